"""The headline figures over the previous period of the same length, and each one's trend.

The dashboard shows its headline figures with how they moved against the period just before
the range (a 30-day range against the 30 days before it). The previous period's figures are
computed by the same functions as the range's, and stored like them.
"""

from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any

from handoff.templatetags.formats import count, number
from insights import snapshots
from insights.figures.flags import flag_rate
from insights.figures.promises import promise_figures
from insights.figures.results import SNAPSHOT_VERSION, Figure
from insights.figures.reviews import (
    decided_rounds,
    first_pass_approval,
    review_turnaround,
    sla_breaches,
    turnaround_days,
)
from insights.figures.summarised import is_folded, summarised
from insights.figures.window import Window, window_params

# The headline figures in the order shown, and which way each one gets better.
HEADLINE = {
    "kept_rate": "up",
    "review_turnaround_median_days": "down",
    "flag_rate": "down",
    "first_pass_approval_rate": "up",
    "sla_breaches": "down",
}


def previous_window(w: Window) -> Window:
    """The same number of days just before the range, over the same people."""
    return replace(w, start=w.start - timedelta(days=w.days), end=w.start - timedelta(days=1))


def headline_figures(w: Window) -> list[Figure]:
    """The headline figures over one window, as the dashboard computes them: from the
    summaries once they are built, else from the rows."""
    if is_folded():
        s = summarised(w)
        found = [
            *promise_figures(w, s.promise_summary, s.sold),
            *review_turnaround(w, s.durations),
            flag_rate(w, s.verdict_counts),
            first_pass_approval(w, s.first_pass),
            sla_breaches(w, s.sla),
        ]
        return [f for f in found if f.key in HEADLINE]
    durations = turnaround_days(w, decided_rounds(w))
    found = [
        *promise_figures(w),
        *review_turnaround(w, durations),
        flag_rate(w),
        first_pass_approval(w),
        sla_breaches(w),
    ]
    return [f for f in found if f.key in HEADLINE]


def _key(w: Window) -> str:
    team = w.team.pk if w.team else "all"
    return f"headline:v{SNAPSHOT_VERSION}:{w.start.isoformat()}:{w.end.isoformat()}:{team}"


def stored_headline_figures(w: Window, *, recompute: bool = False) -> list[dict[str, Any]]:
    """The headline figures of w, as stored (see stored_alignment)."""
    stored = snapshots.read(
        _key(w),
        lambda: [asdict(f) for f in headline_figures(w)],
        recompute=recompute,
        later=snapshots.refresh_later("headline", window_params(w)),
    )
    return stored.value


def stored_previous_figures(w: Window, *, recompute: bool = False) -> dict[str, Figure]:
    """The headline figures of the period before w, by key, as stored."""
    before = previous_window(w)
    return {
        figure["key"]: Figure(**figure)
        for figure in stored_headline_figures(before, recompute=recompute)
    }


@dataclass(frozen=True)
class Trend:
    """How a figure moved against the previous period, in words and as an arrow."""

    direction: str  # "up", "down", "level", or "" when either period has nothing to measure
    amount: str  # "4 points", "0.5 days", "3"
    days: int
    better: bool | None = None

    @property
    def period(self) -> str:
        return f"the previous {count(self.days, 'day')}"

    @property
    def text(self) -> str:
        """The words a screen reader and the page say: "up 4 points on the previous 30 days"."""
        if not self.direction:
            return f"nothing to compare in {self.period}"
        if self.direction == "level":
            return f"level with {self.period}"
        return f"{self.direction} {self.amount} on {self.period}"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "level": "▶"}.get(self.direction, "\N{EN DASH}")

    @property
    def tone(self) -> str:
        """better, worse or neutral: how the page colours it."""
        return {True: "better", False: "worse"}.get(self.better, "neutral")


def _shown(value: float, unit: str) -> tuple[float, str, str]:
    """The value as the page rounds it, and the words for one and for many of its unit."""
    if unit == "percent":
        return round(value * 100), "point", "points"
    if unit in ("days", "hours"):
        return round(value, 1), unit[:-1], unit
    return value, "", ""


def trend(current: Figure, previous: Figure | None, days: int) -> Trend:
    """current against previous, compared as the page shows them (54 % and 54 % are level)."""
    if previous is None or current.value is None or previous.value is None:
        return Trend("", "", days)
    now, one, many = _shown(float(current.value), current.unit)
    before, _, _ = _shown(float(previous.value), current.unit)
    delta = round(now - before, 1)
    if delta == 0:
        return Trend("level", "", days)
    size = abs(delta)
    unit = one if size == 1 else many
    direction = "up" if delta > 0 else "down"
    better = direction == HEADLINE[current.key] if current.key in HEADLINE else None
    return Trend(direction, f"{number(size)} {unit}".strip(), days, better)
