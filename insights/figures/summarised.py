"""The figures' inputs summed from the summary tables (insights.models), not from the rows.

A window is a range of days and, maybe, a team: a sum of the rows of those days whose people
are the team's. What cannot wait for the fold stays live, on an index: the rounds open past
their due time (it moves with the clock). Six queries whatever the range.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from deals.models import RoundOutcome
from handoff.models import User
from insights.figures.promises import PROMISE_COUNTS, sold_of, summary_of
from insights.figures.reviews import DECIDED_OUTCOMES, open_past_due
from insights.figures.window import Window
from insights.models import (
    FIGURES_STATE,
    PromiseSummary,
    ReviewRoundSummary,
    SummaryState,
    VerdictSummary,
)


def is_folded() -> bool:
    """Whether the fold has built the summaries at least once; one query."""
    return SummaryState.objects.filter(name=FIGURES_STATE, as_of__isnull=False).exists()


@dataclass
class Summarised:
    """What the figure functions take, as insights.figures.alignment hands it to them."""

    durations: list[float]
    dated: list[tuple[date, float]]
    sla: dict[str, int]
    first_pass: dict[str, int]
    verdict_counts: list[dict[str, Any]]
    promise_summary: dict[str, Any]
    sold: dict[str, Any]
    per_rep: dict[int, dict[str, Any]]
    per_pm: dict[int, dict[str, Any]]
    calibration: dict[str, int]


def _in_window(rows: QuerySet, w: Window, pm_field: str) -> QuerySet:
    rows = rows.filter(day__gte=w.start, day__lte=w.end)
    if w.reps is not None:
        rows = rows.filter(rep_id__in=w.reps)
    if w.pms is not None:
        rows = rows.filter(**{f"{pm_field}__in": w.pms})
    return rows


def round_figures(w: Window) -> tuple[list[tuple[date, float]], dict, dict]:
    """(day, working days) of each decided round, SLA and first-pass counts; three queries."""
    rounds = _in_window(ReviewRoundSummary.objects.all(), w, "reviewer_id")
    dated = list(
        rounds.filter(working_days__isnull=False).order_by().values_list("day", "working_days")
    )
    first_decided = Q(first=True, outcome__in=DECIDED_OUTCOMES)
    counts = rounds.aggregate(
        total=Count("pk"),
        late=Count("pk", filter=Q(late_decided=True)),
        decided=Count("pk", filter=first_decided),
        signed=Count("pk", filter=first_decided & Q(outcome=RoundOutcome.SIGNED_OFF)),
    )
    sla = {"total": counts["total"], "breached": counts["late"] + open_past_due(w)}
    return dated, sla, {"decided": counts["decided"], "signed": counts["signed"]}


def verdict_counts(w: Window) -> list[dict[str, Any]]:
    """insights.figures.flags.verdict_counts from the summaries, with the reps' names; two
    queries."""
    rows = list(
        _in_window(VerdictSummary.objects.all(), w, "pm_id")
        .values("rep_id", "kind")
        .annotate(
            total=Sum("verdicts"),
            flagged=Sum("flagged"),
            effort=Sum("effort"),
            over_effort=Sum("over_effort"),
        )
        .order_by()
    )
    names = User.objects.in_bulk({row["rep_id"] for row in rows}) if rows else {}
    found = []
    for row in rows:
        rep = names[row["rep_id"]]
        found.append(
            {
                "round__deal__owner_id": rep.pk,
                "round__deal__owner__first_name": rep.first_name,
                "round__deal__owner__last_name": rep.last_name,
                "round__deal__owner__username": rep.username,
                "commitment__kind": row["kind"],
                "total": row["total"],
                "flagged": row["flagged"],
                "effort": row["effort"],
                "over_effort": row["over_effort"] or None,
            }
        )
    return found


def summarised(w: Window) -> Summarised:
    """Every input of the figures that the summaries hold, over one window; six queries."""
    dated, sla, first_pass = round_figures(w)
    promise_groups = list(
        _in_window(PromiseSummary.objects.all(), w, "pm_id")
        .values("rep_id", "pm_id")
        .annotate(**{key: Sum(key) for key in PROMISE_COUNTS})
        .order_by()
    )
    total = dict.fromkeys(PROMISE_COUNTS, 0)
    # Each person's sums, made once when first met: a group is a (rep, PM) pair of them.
    by_rep: defaultdict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PROMISE_COUNTS, 0))
    by_pm: defaultdict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PROMISE_COUNTS, 0))
    for group in promise_groups:
        rep, pm = by_rep[group["rep_id"]], by_pm[group["pm_id"]]
        for key in PROMISE_COUNTS:
            count = group[key] or 0
            total[key] += count
            rep[key] += count
            pm[key] += count
    return Summarised(
        durations=[days for _, days in dated],
        dated=dated,
        sla=sla,
        first_pass=first_pass,
        verdict_counts=verdict_counts(w),
        promise_summary=summary_of(total),
        sold=sold_of(total),
        per_rep={rep: summary_of(sums) for rep, sums in by_rep.items()},
        per_pm={pm: summary_of(sums) for pm, sums in by_pm.items()},
        calibration={
            "suggested": total["suggested"],
            "held": total["suggestion_held"],
            "against": total["against_suggestion"],
            "against_missed": total["against_suggestion_missed"],
            "taken": total["suggestion_taken"],
        },
    )
