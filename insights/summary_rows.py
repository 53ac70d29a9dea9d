"""The summary rows of some rounds and promises, computed with the figures' own definitions.

The fold picks the rows, a range of days (the backfill, the daily sweep) or some deals (what
their events changed), and replaces their stored summaries with these. The counts are those
the live figures take, with their definitions (insights.figures.flags, projects.promises,
insights.figures.calibration), so a window's sum of rows equals its live figure
(tests/insights/test_summaries.py checks it).
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from deals.models import Deal, ReviewRound, Verdict, VerdictKind
from handoff.calendar import working_days_between
from insights.figures.flags import kept_badly
from insights.figures.promises import PROMISE_COUNTS, promise_aggregates, promises_due
from insights.figures.reviews import DECIDED_OUTCOMES
from insights.models import PromiseSummary, ReviewRoundSummary, VerdictSummary
from projects.models import Deliverable

# Ids per IN (…) list, so a backfill's lists stay a size the planner reads by index.
ID_CHUNK = 5000


def start_of(day: date) -> datetime:
    """Midnight that starts the day in the site's time zone, as a window's bounds are."""
    return timezone.make_aware(datetime.combine(day, time.min))


def rounds_submitted(first: date, last: date) -> QuerySet[ReviewRound]:
    """Each round submitted from first to last, both inclusive (round_submitted_idx)."""
    return ReviewRound.objects.filter(
        submitted_at__gte=start_of(first), submitted_at__lt=start_of(last + timedelta(days=1))
    )


def rounds_of(deal_ids: Iterable[int]) -> QuerySet[ReviewRound]:
    return ReviewRound.objects.filter(deal_id__in=list(deal_ids))


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


def badly_kept_among(commitment_ids: list[int], today: date | None = None) -> QuerySet:
    """Of these commitments, those whose deliverable was missed, late, or is open past due."""
    return (
        Deliverable.objects.filter(commitment_id__in=commitment_ids)
        .filter(kept_badly(today))
        .values_list("commitment_id", flat=True)
    )


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for n in range(0, len(ordered), ID_CHUNK):
        yield ordered[n : n + ID_CHUNK]


def round_and_verdict_rows(
    rounds: QuerySet[ReviewRound], today: date | None = None
) -> tuple[list[ReviewRoundSummary], list[VerdictSummary]]:
    """The rounds, one row each, and their verdicts summed per round, deciding PM and kind
    (insights.figures.flags.verdict_aggregates' sums).

    No join: owners, verdicts and deliverables are read by their ids' indexes after, so a
    refold reads only the rows it replaces.
    """
    tz = timezone.get_current_timezone()
    found = list(
        rounds.order_by().values_list(
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
    owners: dict[int, int] = {}
    for ids in _chunks(r[1] for r in found):
        owners.update(Deal.objects.filter(pk__in=ids).values_list("pk", "owner_id"))
    summaries = {}
    for pk, deal_id, submitted, decided, due, reviewer, number, outcome in found:
        summaries[pk] = ReviewRoundSummary(
            round_id=pk,
            deal_id=deal_id,
            day=submitted.astimezone(tz).date(),
            rep_id=owners[deal_id],
            reviewer_id=reviewer or 0,
            first=number == 1,
            outcome=outcome,
            late_decided=decided is not None and decided > due,
            working_days=working_days_between(submitted, decided, tz)
            if outcome in DECIDED_OUTCOMES
            else None,
        )
    verdicts = []
    for ids in _chunks(summaries):
        verdicts.extend(verdicts_of(ids))
    badly: set[int] = set()
    for ids in _chunks(v[2] for v in verdicts):
        badly.update(badly_kept_among(ids, today))
    groups: dict[tuple, VerdictSummary] = {}
    for round_id, pm_id, commitment_id, verdict, kind, effort in verdicts:
        row = groups.get((round_id, pm_id, kind))
        if row is None:
            of = summaries[round_id]
            row = groups[round_id, pm_id, kind] = VerdictSummary(
                round_id=round_id,
                deal_id=of.deal_id,
                day=of.day,
                rep_id=of.rep_id,
                pm_id=pm_id,
                kind=kind,
            )
        row.verdicts += 1
        row.effort += effort
        if verdict == VerdictKind.FLAGGED:
            row.flagged += 1
        if verdict == VerdictKind.FLAGGED or commitment_id in badly:
            row.over_effort += effort
    return list(summaries.values()), list(groups.values())


def promises_of(deal_ids: Iterable[int]) -> QuerySet[Deliverable]:
    """The deals' promises that the figures count, whatever their date."""
    return promises_due(date.min, date.max).filter(project__deal_id__in=list(deal_ids))


def promise_rows(
    deliverables: QuerySet[Deliverable], today: date | None = None
) -> list[PromiseSummary]:
    """One row per promise, with promise_aggregates' counts for it alone."""
    found = (
        deliverables.values(
            "pk", "promised_date", "project__deal_id", "project__deal__owner_id", "project__pm_id"
        )
        .annotate(**promise_aggregates(today))
        .order_by()
    )
    return [
        PromiseSummary(
            deliverable_id=row["pk"],
            deal_id=row["project__deal_id"],
            day=row["promised_date"],
            rep_id=row["project__deal__owner_id"],
            pm_id=row["project__pm_id"],
            **{key: row[key] or 0 for key in PROMISE_COUNTS},
        )
        for row in found
    ]
