"""The scheduled refresh of the stored figures that pages read most."""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from handoff.models import Team, quarter_of
from insights import snapshots
from insights.figures.alignment import stored_alignment
from insights.figures.goals import stored_goal_values
from insights.figures.trends import stored_headline_figures, stored_previous_figures
from insights.figures.window import default_range, window_for, window_from_params

# Stored results not recomputed for this long are dropped by the refresh job.
SNAPSHOT_KEEP_DAYS = 2


def refresh_snapshots(today: date | None = None) -> dict[str, Any]:
    """The scheduled job: recompute what pages read most, drop what nobody needed lately.

    The dashboard's default range for both teams and for each team, with the headline
    figures of the period before it, and this quarter's goal values. Other ranges are
    computed when someone first looks at them.
    """
    today = today or timezone.localdate()
    start, end = default_range(today)
    windows = [window_for(start, end)] + [
        window_for(start, end, team) for team in Team.objects.order_by("name")
    ]
    for w in windows:
        stored_alignment(w, recompute=True)
        stored_previous_figures(w, recompute=True)
    stored_goal_values(quarter_of(today), today, recompute=True)
    forgotten = snapshots.forget(timedelta(days=SNAPSHOT_KEEP_DAYS))
    return {
        "alignments": len(windows),
        "previous_periods": len(windows),
        "goals": 1,
        "forgotten": forgotten,
    }


def refresh_stored(kind: str, params: dict[str, Any]) -> str:
    """Recompute and store one stale result a reader handed over (insights.snapshots.read).

    kind and params are what the reader's figures passed to snapshots.refresh_later.
    """
    if kind == "goals":
        stored_goal_values(params["quarter"], date.fromisoformat(params["today"]), recompute=True)
        return "stored"
    w = window_from_params(params)
    if w is None:
        return "team gone"
    if kind == "alignment":
        stored_alignment(w, recompute=True)
    elif kind == "headline":
        stored_headline_figures(w, recompute=True)
    else:
        raise ValueError(f"No stored figures of kind {kind!r}.")
    return "stored"
