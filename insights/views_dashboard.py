"""How the alignment dashboard lays out its figures: headline cards with their trend and
sparkline, then a panel per table, drawn as a chart only where a chart says more than the rows.

Plain data for the template; no queries.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from handoff.templatetags.formats import duration_days, short_day
from insights.figures.pipeline import PIPELINE_TABLE
from insights.figures.results import Alignment, Figure, Table
from insights.figures.trends import HEADLINE, Trend, trend

# A chart needs at least this many points with a value: two bars are a table's job.
MIN_CHART_POINTS = 3
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 28, 3


def short_date(day: date) -> str:
    """6 Jan: a week's Monday as the charts and the heat map label it."""
    return short_day(day)


def short_label(label: str) -> str:
    """A label holding a date, as "W2 (2026-01-05)" or "2026-01-05", as "5 Jan"; others as they are."""
    found = ISO_DATE.search(label)
    return short_date(date.fromisoformat(found.group())) if found else label


@dataclass(frozen=True)
class Sparkline:
    """A small line of values drawn as inline SVG, with what it shows in words."""

    points: str  # "x,y x,y …" inside a box of SPARK_WIDTH by SPARK_HEIGHT
    last_x: float
    last_y: float
    label: str
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT


def sparkline(values: list[float | None], label: str) -> Sparkline | None:
    """A sparkline of the values that are known, or None with fewer than three of them."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    if len(known) < MIN_CHART_POINTS:
        return None
    low, high = min(v for _, v in known), max(v for _, v in known)
    span = (high - low) or 1.0
    step = SPARK_WIDTH / (len(values) - 1)
    inner = SPARK_HEIGHT - 2 * SPARK_PAD
    xy = [(round(i * step, 1), round(SPARK_PAD + (high - v) / span * inner, 1)) for i, v in known]
    return Sparkline(
        points=" ".join(f"{x},{y}" for x, y in xy),
        last_x=xy[-1][0],
        last_y=xy[-1][1],
        label=label,
    )


def turnaround_sparkline(table: Table) -> Sparkline | None:
    """The median review turnaround week by week, from the review-turnaround table."""
    rows = [row for row in table.rows if row.get("median_days") is not None]
    if len(rows) < MIN_CHART_POINTS:
        return None
    first, last = rows[0], rows[-1]
    label = (
        f"Median by week of submission, {len(rows)} weeks: "
        f"{duration_days(first['median_days'])} in the week of {short_label(first['week'])}, "
        f"{duration_days(last['median_days'])} in the week of {short_label(last['week'])}"
    )
    return sparkline([row["median_days"] for row in rows], label)


@dataclass(frozen=True)
class Headline:
    """A headline figure, how it moved against the previous period, and its line if any."""

    figure: Figure
    trend: Trend | None = None
    sparkline: Sparkline | None = None


def headline(result: Alignment, previous: dict[str, Figure]) -> list[Headline]:
    """Deals in review now (not limited by the range, so no trend), then the HEADLINE figures."""
    days = result.window.days
    lines = {
        "review_turnaround_median_days": turnaround_sparkline(result.table("review-turnaround"))
    }
    cards = [Headline(result.figure("deals_in_review"))]
    for key in HEADLINE:
        figure = result.figure(key)
        cards.append(Headline(figure, trend(figure, previous.get(key), days), lines.get(key)))
    return cards


def _points(chart: dict[str, Any]) -> int:
    """Labels with a value in some series (a doughnut's empty slices count for nothing)."""
    empty = (None, 0) if chart["type"] == "doughnut" else (None,)
    return sum(
        1
        for i in range(len(chart["labels"]))
        if any(dataset["data"][i] not in empty for dataset in chart["datasets"])
    )


def chart_for(table: Table) -> dict[str, Any] | None:
    """The table's chart with short week labels, or None where the rows say it better."""
    chart = table.chart_data()
    if chart is None or _points(chart) < MIN_CHART_POINTS:
        return None
    if not any(value for dataset in chart["datasets"] for value in dataset["data"]):
        return None  # every value is zero: a flat line tells nothing the table does not
    return {**chart, "labels": [short_label(label) for label in chart["labels"]]}


@dataclass(frozen=True)
class Panel:
    """One table of the dashboard: a chart with its data behind a toggle, or just the rows."""

    table: Table
    chart: dict[str, Any] | None


# Drawn full width above the heat map, whose weeks it shares.
CAPACITY_TABLE = "pipeline-capacity"


def panels(result: Alignment) -> dict[str, Any]:
    """The charted panels and the table-only ones, each in the dashboard's order, and the
    capacity panel that goes with the heat map. The open pipeline is a line under the
    headline figures, not a panel."""
    found = [Panel(table, chart_for(table)) for table in result.tables]
    rest = [p for p in found if p.table.key not in (CAPACITY_TABLE, PIPELINE_TABLE)]
    return {
        "charts": [p for p in rest if p.chart],
        "tables": [p for p in rest if not p.chart],
        "capacity": next(p for p in found if p.table.key == CAPACITY_TABLE),
    }
