"""What the figures are computed into: Figure, Table, the dashboard's Alignment, a goal's progress.

Plain data with their shown text; no queries.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handoff.models import GoalComparison, SharedGoal
from insights.figures.format import chart_number, format_value
from insights.figures.window import Window

# Rows of a table of people shown on the dashboard; the CSV export has them all.
PAGE_ROWS = 15
# Part of every stored result's key: a change to Figure or Table (or to what they hold) bumps it,
# so new code never reads a result stored in an older shape.
SNAPSHOT_VERSION = 3


@dataclass
class Figure:
    """One number on the dashboard, with how it is computed and where its deals are."""

    key: str
    label: str
    value: float | int | None
    unit: str  # "count", "percent" (a fraction 0..1), "days"
    how: str
    url: str = ""
    detail: str = ""

    @property
    def display(self) -> str:
        return format_value(self.value, self.unit)


@dataclass
class Table:
    """Rows behind a chart or a list, exportable as CSV under its key."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    how: str = ""
    units: dict[str, str] = field(default_factory=dict)
    chart: dict[str, Any] | None = None
    # A table of people shows its `shown` rows ranked highest by `rank` on the page (a chart of
    # 200 bars says nothing); its CSV export and the API keep every row.
    shown: int | None = None
    rank: str = ""

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def page_rows(self) -> list[dict[str, Any]]:
        if self.shown is None or len(self.rows) <= self.shown:
            return self.rows
        ranked = sorted(self.rows, key=lambda row: row.get(self.rank) or 0, reverse=True)
        return ranked[: self.shown]

    @property
    def hidden_note(self) -> str:
        """What the page leaves out, said where the rows would be."""
        if self.shown is None or len(self.rows) <= self.shown:
            return ""
        label = dict(self.columns)[self.rank].lower()
        return (
            f"The {self.shown} rows with the most {label}, of {len(self.rows)}; "
            "the CSV has them all."
        )

    def display_rows(self) -> list[list[dict[str, Any]]]:
        """Cells with their shown text, for templates."""
        return [
            [
                {
                    "key": key,
                    "text": format_value(row.get(key), self.units.get(key, "text")),
                    "url": row.get(f"{key}_url", ""),
                }
                for key, _ in self.columns
            ]
            for row in self.page_rows
        ]

    def chart_data(self) -> dict[str, Any] | None:
        if not self.chart or not self.rows:
            return None
        label_key = self.chart["label"]
        datasets = []
        for key in self.chart["series"]:
            unit = self.units.get(key, "count")
            scale = 100 if unit == "percent" else 1
            datasets.append(
                {
                    "label": dict(self.columns)[key],
                    "data": [chart_number(row.get(key), scale) for row in self.page_rows],
                    "kind": self.chart.get("kinds", {}).get(key, self.chart["type"]),
                }
            )
        if all(value is None for dataset in datasets for value in dataset["data"]):
            return None
        return {
            "type": self.chart["type"],
            "title": self.title,
            "unit": self.units.get(self.chart["series"][0], "count"),
            "stacked": self.chart.get("stacked", False),
            "labels": [str(row.get(label_key)) for row in self.page_rows],
            "datasets": datasets,
        }


@dataclass
class Alignment:
    window: Window
    figures: list[Figure]
    tables: list[Table]
    # When the figures were computed and how long that took (see stored_alignment).
    computed_at: datetime | None = None
    seconds: float | None = None

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


@dataclass
class GoalProgress:
    goal: SharedGoal
    value: float | None

    @property
    def target(self) -> float:
        target = float(self.goal.target)
        return target / 100 if self.goal.unit == "percent" else target

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        if self.goal.comparison == GoalComparison.AT_LEAST:
            return self.value >= self.target
        return self.value <= self.target

    @property
    def display(self) -> str:
        return format_value(self.value, self.goal.unit)

    @property
    def target_display(self) -> str:
        return f"{self.goal.comparison_sign} {format_value(self.target, self.goal.unit)}"

    @property
    def status(self) -> str:
        return {True: "Met", False: "Not met", None: "Not measured yet"}[self.met]
