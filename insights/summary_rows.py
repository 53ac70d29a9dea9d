"""The summary rows of a range of days, computed from the rows with the figures' own definitions.

Each function reads one range of days and returns unsaved rows; insights.summary_fold replaces
the range's stored rows with them. The sums are those the live figures take, with their
definitions (insights.figures.flags, projects.promises, insights.figures.calibration), grouped
by day and by the people a window can be limited to, so a window's sum of rows equals its
live figure (tests/insights/test_summaries.py checks it).
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from deals.models import Deal, ReviewRound, Verdict, VerdictKind
from handoff.calendar import working_days_between
from insights.figures.flags import kept_badly
from insights.figures.promises import PROMISE_COUNTS, promise_aggregates, promises_due
from insights.figures.reviews import DECIDED_OUTCOMES
from insights.models import PromiseDay, ReviewRoundSummary, VerdictDay
from projects.models import Deliverable


def start_of(day: date) -> datetime:
    """Midnight that starts the day in the site's time zone, as a window's bounds are."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _submitted_between(first: date, last: date) -> Q:
    return Q(submitted_at__gte=start_of(first), submitted_at__lt=start_of(last + timedelta(days=1)))


def rounds_submitted(first: date, last: date) -> QuerySet:
    """What round_rows reads: each round submitted from first to last, both inclusive.

    No join: the owners, verdicts and deliverables are read by their ids' indexes after, so
    refolding a day reads that day's rows only.
    """
    return (
        ReviewRound.objects.filter(_submitted_between(first, last))
        .order_by()
        .values_list(
            "pk",
            "deal_id",
            "submitted_at",
            "decided_at",
            "due_at",
            "reviewer_id",
            "number",
            "outcome",
        )
    )


def verdicts_of(round_ids: list[int]) -> QuerySet:
    return (
        Verdict.objects.filter(round_id__in=round_ids)
        .order_by()
        .values_list(
            "round_id",
            "decided_by_id",
            "commitment_id",
            "verdict",
            "commitment__kind",
            "commitment__effort_days",
        )
    )


def badly_kept_among(commitment_ids: set[int], today: date | None = None) -> QuerySet:
    return (
        Deliverable.objects.filter(commitment_id__in=commitment_ids)
        .filter(kept_badly(today))
        .values_list("commitment_id", flat=True)
    )


def _chunks(ids: list[int], size: int = 5000):
    for n in range(0, len(ids), size):
        yield ids[n : n + size]


def round_and_verdict_rows(
    first: date, last: date, today: date | None = None
) -> tuple[list[ReviewRoundSummary], list[VerdictDay]]:
    """The rounds submitted from first to last, one row each, and their verdicts summed per
    day, rep, PM and kind (insights.figures.flags.verdict_aggregates' sums)."""
    tz = timezone.get_current_timezone()
    rounds = list(rounds_submitted(first, last))
    owners: dict[int, int] = {}
    for ids in _chunks(sorted({r[1] for r in rounds})):
        owners.update(Deal.objects.filter(pk__in=ids).values_list("pk", "owner_id"))
    summaries, day_of, rep_of = [], {}, {}
    for pk, deal_id, submitted, decided, due, reviewer, number, outcome in rounds:
        day_of[pk], rep_of[pk] = submitted.astimezone(tz).date(), owners[deal_id]
        summaries.append(
            ReviewRoundSummary(
                round_id=pk,
                day=day_of[pk],
                rep_id=owners[deal_id],
                reviewer_id=reviewer or 0,
                first=number == 1,
                outcome=outcome,
                late_decided=decided is not None and decided > due,
                working_days=working_days_between(submitted, decided, tz)
                if outcome in DECIDED_OUTCOMES
                else None,
            )
        )
    verdicts = []
    for ids in _chunks(sorted(day_of)):
        verdicts.extend(verdicts_of(ids))
    badly: set[int] = set()
    for ids in _chunks(sorted({v[2] for v in verdicts})):
        badly.update(badly_kept_among(set(ids), today))
    groups: dict[tuple, VerdictDay] = {}
    for round_id, pm_id, commitment_id, verdict, kind, effort in verdicts:
        key = (day_of[round_id], rep_of[round_id], pm_id, kind)
        row = groups.get(key)
        if row is None:
            row = groups[key] = VerdictDay(day=key[0], rep_id=key[1], pm_id=pm_id, kind=kind)
        row.verdicts += 1
        row.effort += effort
        if verdict == VerdictKind.FLAGGED:
            row.flagged += 1
        if verdict == VerdictKind.FLAGGED or commitment_id in badly:
            row.over_effort += effort
    return summaries, list(groups.values())


def promise_rows(first: date, last: date, today: date | None = None) -> list[PromiseDay]:
    """Promises due from first to last, per day, rep and project PM."""
    found = (
        promises_due(first, last)
        .values("promised_date", "project__deal__owner_id", "project__pm_id")
        .annotate(**promise_aggregates(today))
        .order_by()
    )
    return [
        PromiseDay(
            day=row["promised_date"],
            rep_id=row["project__deal__owner_id"],
            pm_id=row["project__pm_id"],
            **{key: row[key] or 0 for key in PROMISE_COUNTS},
        )
        for row in found
    ]
