"""Shared goals: each goal metric's value over its quarter so far, and each goal's progress."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils import timezone

from handoff.models import GoalMetric, SharedGoal, quarter_of, quarter_range
from insights import snapshots
from insights.figures.promises import deliverables_in
from insights.figures.results import SNAPSHOT_VERSION, GoalProgress
from insights.figures.reviews import first_pass_approval, turnaround_days
from insights.figures.stats import median, rounded
from insights.figures.summarised import is_folded, summarised
from insights.figures.window import Window
from projects import promises as promise_rules


def goal_values(quarter: str, today: date | None = None) -> dict[str, float | None]:
    """Each goal metric's value over the quarter so far; None before it starts."""
    today = today or timezone.localdate()
    start, end = quarter_range(quarter)
    if start > today:
        return dict.fromkeys(GoalMetric.values)
    w = Window(start, min(end, today))
    if is_folded():
        s = summarised(w)
        return {
            GoalMetric.KEPT_RATE: rounded(s.promise_summary["kept_rate"]),
            GoalMetric.MEDIAN_REVIEW_TURNAROUND_DAYS: median(s.durations),
            GoalMetric.FIRST_PASS_APPROVAL_RATE: first_pass_approval(w, s.first_pass).value,
        }
    return {
        GoalMetric.KEPT_RATE: rounded(
            promise_rules.promise_summary(deliverables_in(w))["kept_rate"]
        ),
        GoalMetric.MEDIAN_REVIEW_TURNAROUND_DAYS: median(turnaround_days(w)),
        GoalMetric.FIRST_PASS_APPROVAL_RATE: first_pass_approval(w).value,
    }


def stored_goal_values(
    quarter: str, today: date, *, recompute: bool = False
) -> dict[str, float | None]:
    """goal_values as stored for the day, like stored_alignment."""
    key = f"goals:v{SNAPSHOT_VERSION}:{quarter}:{today.isoformat()}"
    later = snapshots.refresh_later("goals", {"quarter": quarter, "today": today.isoformat()})
    stored = snapshots.read(
        key, lambda: goal_values(quarter, today), recompute=recompute, later=later
    )
    return stored.value


def goal_progress(goals: Iterable[SharedGoal], today: date | None = None) -> list[GoalProgress]:
    """Progress of each goal, from the stored values of its quarter.

    One query per distinct quarter among them while its values are fresh; else the
    quarter's values are computed and stored.
    """
    goals = list(goals)
    today = today or timezone.localdate()
    values = {q: stored_goal_values(q, today) for q in sorted({g.quarter for g in goals})}
    return [GoalProgress(goal=g, value=values[g.quarter][g.metric]) for g in goals]


def current_goals(today: date | None = None) -> dict[str, Any]:
    """This quarter's goals with their progress: the dashboard and both teams' home pages."""
    today = today or timezone.localdate()
    quarter = quarter_of(today)
    goals = list(SharedGoal.objects.filter(quarter=quarter).order_by("metric"))
    return {"quarter": quarter, "goals": goal_progress(goals, today) if goals else []}
