"""The fold: keeps the dashboard's summary tables (insights.models) up to date with the rows.

Every change the figures count leaves an audit event: a deal event for rounds, verdicts,
escalations and commitments, a project event for deliverables and change requests. Each run
reads the events since its watermark in bounded batches and recomputes every summary row of
the deals they name (their rounds, verdicts and promises) from the rows themselves, replacing
what was stored.

Recomputing a deal's rows rather than adding each event's delta is what keeps it simple and
correct: the rows are a function of the data, so running twice, or two runs at once, or
refolding events already folded changes nothing, and a window's sum always equals the live
figures. A transaction can commit an event with an id below one already folded, so the
watermark stops short of events younger than SETTLE_SECONDS: they are folded now and again
by the next run.

Lateness moves with the date, not with an event: when the day changes the run refolds the
deals whose promises fell due since, and the dashboard's default range day by day as a daily
sweep (which also covers what the ORM changed without an event, a deleted draft's rounds).
The first run, or `manage.py fold_summaries --full`, folds every day there is.
"""

import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from deals.models import DealEvent, ReviewRound
from insights.figures.promises import promises_due
from insights.figures.window import default_range
from insights.models import (
    FIGURES_STATE,
    PromiseSummary,
    ReviewRoundSummary,
    SummaryState,
    VerdictSummary,
)
from insights.summary_rows import (
    promise_rows,
    promises_of,
    round_and_verdict_rows,
    rounds_of,
    rounds_submitted,
)
from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable, Project, ProjectEvent

# Events read per batch, and batches per run; a run that stops short goes on next time.
EVENT_BATCH = 2000
MAX_BATCHES = 50
# Deals refolded per transaction, and days per statement of a backfill or a sweep.
DEALS_PER_CHUNK = 500
DAYS_PER_CHUNK = 31
# Events younger than this are folded again by the next run (see the module's docstring).
SETTLE_SECONDS = 60


def _state() -> SummaryState:
    SummaryState.objects.get_or_create(name=FIGURES_STATE)
    return SummaryState.objects.select_for_update().get(name=FIGURES_STATE)


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as (first, last) ranges of consecutive days, at most DAYS_PER_CHUNK long."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges:
            first, last = ranges[-1]
            if day == last + timedelta(days=1) and (day - first).days < DAYS_PER_CHUNK:
                ranges[-1] = (first, day)
                continue
        ranges.append((day, day))
    return ranges


def _insert(model, rows: list) -> None:
    """bulk_create, or on PostgreSQL a COPY: a backfill writes hundreds of thousands of rows,
    and preparing each value through the ORM cost more than computing them."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows, batch_size=2000)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([getattr(row, f.attname) for f in fields])


def _replace(changes: list[tuple[type, QuerySet, list]]) -> None:
    """In one transaction: delete what each queryset selects, insert the new rows.

    Holding the state row's lock first puts two folds' replacements one after the other, so
    the second one's delete sees the first one's rows instead of inserting beside them.
    """
    with transaction.atomic():
        _state()
        for model, stored, rows in changes:
            stored.delete()
            if rows:
                _insert(model, rows)


def refold_round_days(days: Iterable[date], today: date | None = None) -> int:
    """Replace the round and verdict rows of these submission days; the days refolded."""
    done = 0
    for first, last in _runs(days):
        rounds, verdicts = round_and_verdict_rows(rounds_submitted(first, last), today)
        between = {"day__gte": first, "day__lte": last}
        _replace(
            [
                (ReviewRoundSummary, ReviewRoundSummary.objects.filter(**between), rounds),
                (VerdictSummary, VerdictSummary.objects.filter(**between), verdicts),
            ]
        )
        done += (last - first).days + 1
    return done


def refold_promise_days(days: Iterable[date], today: date | None = None) -> int:
    """Replace the promise rows of these promised days; the days refolded."""
    done = 0
    for first, last in _runs(days):
        rows = promise_rows(promises_due(first, last), today)
        stored = PromiseSummary.objects.filter(day__gte=first, day__lte=last)
        _replace([(PromiseSummary, stored, rows)])
        done += (last - first).days + 1
    return done


def _deal_chunks(deal_ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(deal_ids))
    for n in range(0, len(ordered), DEALS_PER_CHUNK):
        yield ordered[n : n + DEALS_PER_CHUNK]


def refold_deals(deal_ids: Iterable[int], today: date | None = None) -> int:
    """Replace every summary row of these deals: their rounds, verdicts and promises."""
    done = 0
    for ids in _deal_chunks(deal_ids):
        rounds, verdicts = round_and_verdict_rows(rounds_of(ids), today)
        promises = promise_rows(promises_of(ids), today)
        _replace(
            [
                (ReviewRoundSummary, ReviewRoundSummary.objects.filter(deal_id__in=ids), rounds),
                (VerdictSummary, VerdictSummary.objects.filter(deal_id__in=ids), verdicts),
                (PromiseSummary, PromiseSummary.objects.filter(deal_id__in=ids), promises),
            ]
        )
        done += len(ids)
    return done


def _days(first: date | None, last: date | None) -> list[date]:
    if first is None or last is None:
        return []
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _local_day(at: datetime | None) -> date | None:
    return at and at.astimezone(timezone.get_current_timezone()).date()


def fold_everything(today: date | None = None) -> dict[str, int]:
    """Every day there is, from the first round and promise to the last: the backfill."""
    rounds = ReviewRound.objects.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    promises = Deliverable.objects.aggregate(first=Min("promised_date"), last=Max("promised_date"))
    round_days = _days(_local_day(rounds["first"]), _local_day(rounds["last"]))
    promise_days = _days(promises["first"], promises["last"])
    with transaction.atomic():
        for model, days in (
            (ReviewRoundSummary, round_days),
            (VerdictSummary, round_days),
            (PromiseSummary, promise_days),
        ):
            outside = model.objects.all()
            if days:
                outside = outside.exclude(day__gte=days[0], day__lte=days[-1])
            outside.delete()
    folded = {
        "round_days": refold_round_days(round_days, today),
        "promise_days": refold_promise_days(promise_days, today),
    }
    if connection.vendor == "postgresql":
        # Fresh tables have no statistics yet: without them the planner guesses the day scans.
        tables = (ReviewRoundSummary, VerdictSummary, PromiseSummary)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))
    return folded


def _batch(model, after: int, cutoff: datetime) -> tuple[list[int], int, int]:
    """Up to EVENT_BATCH events after the id: their deal or project ids, the last id read,
    and the last id of the settled prefix (all older than cutoff)."""
    owner = "deal_id" if model is DealEvent else "project_id"
    rows = list(
        model.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", owner, "at")[:EVENT_BATCH]
    )
    settled = after
    for pk, _, at in rows:
        if at > cutoff:
            break
        settled = pk
    return [row[1] for row in rows], (rows[-1][0] if rows else after), settled


def _newly_late(since: date, today: date) -> set[int]:
    """Deals whose promises fell due between two dates while open: their lateness changed."""
    return set(
        Deliverable.objects.filter(
            status__in=OPEN_DELIVERABLE_STATUSES, promised_date__gte=since, promised_date__lt=today
        ).values_list("project__deal_id", flat=True)
    )


def _fold_events(state: SummaryState, today: date, stats: dict[str, Any]) -> None:
    cutoff = timezone.now() - timedelta(seconds=SETTLE_SECONDS)
    deal_cursor, project_cursor = state.deal_event_id, state.project_event_id
    for _ in range(MAX_BATCHES):
        deals, deal_cursor, deal_settled = _batch(DealEvent, deal_cursor, cutoff)
        projects, project_cursor, project_settled = _batch(ProjectEvent, project_cursor, cutoff)
        if not deals and not projects:
            return
        stats["deal_events"] += len(deals)
        stats["project_events"] += len(projects)
        deal_ids = set(deals)
        if projects:
            deal_ids |= set(
                Project.objects.filter(pk__in=set(projects)).values_list("deal_id", flat=True)
            )
        stats["deals"] += refold_deals(deal_ids, today)
        with transaction.atomic():
            state = _state()
            state.deal_event_id = max(state.deal_event_id, deal_settled)
            state.project_event_id = max(state.project_event_id, project_settled)
            state.folded_at = timezone.now()
            state.save()


def summaries_fold(today: date | None = None, *, full: bool = False) -> dict[str, Any]:
    """One run of the fold; what it read and refolded. Safe to run twice or at once."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    stats: dict[str, Any] = dict.fromkeys(
        ("deal_events", "project_events", "deals", "round_days", "promise_days"), 0
    )
    with transaction.atomic():
        state = _state()
    if full or state.as_of is None:
        # The watermark is taken before folding: what happens meanwhile is folded next run.
        deal_mark = DealEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        project_mark = ProjectEvent.objects.aggregate(last=Max("pk"))["last"] or 0
        stats.update(fold_everything(today))
        with transaction.atomic():
            state = _state()
            state.deal_event_id = max(state.deal_event_id, deal_mark)
            state.project_event_id = max(state.project_event_id, project_mark)
            state.as_of, state.folded_at = today, timezone.now()
            state.save()
    else:
        _fold_events(state, today, stats)
        if state.as_of < today:
            stats["deals"] += refold_deals(_newly_late(state.as_of, today), today)
            start, end = default_range(today)
            stats["round_days"] += refold_round_days(_days(start, end), today)
            stats["promise_days"] += refold_promise_days(_days(start, end), today)
            with transaction.atomic():
                state = _state()
                state.as_of = max(state.as_of, today)
                state.save()
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return stats
