"""The fold: keeps the dashboard's summary tables (insights.models) up to date with the rows.

Every change the figures count leaves an audit event: a deal event for rounds, verdicts,
escalations and commitments, a project event for deliverables and change requests. Each run
reads the events since its watermark in bounded batches, finds the days they touch (the
submission days of the deal's rounds, the promised days of its deliverables) and recomputes
those days' rows from the rows themselves, replacing what was stored.

Recomputing a day rather than adding each event's delta is what keeps it simple and correct:
a day's rows are a function of the data, so running twice, or two runs at once, or refolding
events already folded changes nothing, and a day's rows always equal the live figures' sums.
A transaction can commit an event with an id below one already folded, so the watermark
stops short of events younger than SETTLE_SECONDS: they are folded now and again next run.

Lateness moves with the date, not with an event: when the day changes the run refolds the
days of promises that became late since, and the dashboard's default range as a daily sweep
(which also covers what the ORM changed without an event, a deleted draft's rounds).
The first run, or `manage.py fold_summaries --full`, folds every day there is.
"""

import time
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from deals.models import DealEvent, ReviewRound
from insights.figures.window import default_range
from insights.models import (
    FIGURES_STATE,
    PromiseDay,
    ReviewRoundSummary,
    SummaryState,
    VerdictDay,
)
from insights.summary_rows import promise_rows, round_and_verdict_rows
from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable, Project, ProjectEvent

# Events read per batch, and batches per run; a run that stops short goes on next time.
EVENT_BATCH = 2000
MAX_BATCHES = 50
# Days recomputed in one statement per table, so a backfill holds bounded memory.
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


def refold_round_days(days: Iterable[date], today: date | None = None) -> int:
    """Replace the round and verdict rows of these submission days; the days refolded."""
    done = 0
    for first, last in _runs(days):
        rounds, verdicts = round_and_verdict_rows(first, last, today)
        with transaction.atomic():
            ReviewRoundSummary.objects.filter(day__gte=first, day__lte=last).delete()
            ReviewRoundSummary.objects.bulk_create(rounds, batch_size=2000)
            VerdictDay.objects.filter(day__gte=first, day__lte=last).delete()
            VerdictDay.objects.bulk_create(verdicts, batch_size=2000)
        done += (last - first).days + 1
    return done


def refold_promise_days(days: Iterable[date], today: date | None = None) -> int:
    """Replace the promise rows of these promised days; the days refolded."""
    done = 0
    for first, last in _runs(days):
        rows = promise_rows(first, last, today)
        with transaction.atomic():
            PromiseDay.objects.filter(day__gte=first, day__lte=last).delete()
            PromiseDay.objects.bulk_create(rows, batch_size=2000)
        done += (last - first).days + 1
    return done


def _days_of_deals(deal_ids: set[int]) -> tuple[set[date], set[date]]:
    """The submission days of the deals' rounds and the promised days of their deliverables."""
    if not deal_ids:
        return set(), set()
    tz = timezone.get_current_timezone()
    submitted = ReviewRound.objects.filter(deal_id__in=deal_ids).values_list(
        "submitted_at", flat=True
    )
    promised = Deliverable.objects.filter(project__deal_id__in=deal_ids).values_list(
        "promised_date", flat=True
    )
    return {at.astimezone(tz).date() for at in submitted}, set(promised)


def _every_day(field_min, field_max) -> list[date]:
    if field_min is None:
        return []
    return [field_min + timedelta(days=n) for n in range((field_max - field_min).days + 1)]


def fold_everything(today: date | None = None) -> dict[str, int]:
    """Every day there is, from the first round and promise to the last: the backfill."""
    tz = timezone.get_current_timezone()
    rounds = ReviewRound.objects.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    promises = Deliverable.objects.aggregate(first=Min("promised_date"), last=Max("promised_date"))
    round_days = _every_day(
        rounds["first"] and rounds["first"].astimezone(tz).date(),
        rounds["last"] and rounds["last"].astimezone(tz).date(),
    )
    promise_days = _every_day(promises["first"], promises["last"])
    with transaction.atomic():
        for model, days in (
            (ReviewRoundSummary, round_days),
            (VerdictDay, round_days),
            (PromiseDay, promise_days),
        ):
            outside = model.objects.all()
            if days:
                outside = outside.exclude(day__gte=days[0], day__lte=days[-1])
            outside.delete()
    return {
        "round_days": refold_round_days(round_days, today),
        "promise_days": refold_promise_days(promise_days, today),
    }


def _batch(model, after: int, cutoff) -> tuple[list[int], int, int]:
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


def _rollover_days(since: date, today: date) -> tuple[set[date], set[date]]:
    """Days whose lateness changed between two dates: promises open and due in between."""
    open_due = Deliverable.objects.filter(
        status__in=OPEN_DELIVERABLE_STATUSES, promised_date__gte=since, promised_date__lt=today
    )
    deal_ids = set(open_due.values_list("project__deal_id", flat=True))
    round_days, _ = _days_of_deals(deal_ids)
    return round_days, set(open_due.values_list("promised_date", flat=True))


def summaries_fold(today: date | None = None, *, full: bool = False) -> dict[str, Any]:
    """One run of the fold; what it read and refolded. Safe to run twice or at once."""
    started = time.perf_counter()
    today = today or timezone.localdate()
    with transaction.atomic():
        state = _state()
        first_run = state.as_of is None
    stats: dict[str, Any] = dict.fromkeys(
        ("deal_events", "project_events", "round_days", "promise_days"), 0
    )
    if full or first_run:
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
        stats["seconds"] = round(time.perf_counter() - started, 3)
        return stats
    cutoff = timezone.now() - timedelta(seconds=SETTLE_SECONDS)
    deal_cursor, project_cursor = state.deal_event_id, state.project_event_id
    for _ in range(MAX_BATCHES):
        deals, deal_cursor, deal_settled = _batch(DealEvent, deal_cursor, cutoff)
        projects, project_cursor, project_settled = _batch(ProjectEvent, project_cursor, cutoff)
        if not deals and not projects:
            break
        stats["deal_events"] += len(deals)
        stats["project_events"] += len(projects)
        deal_ids = set(deals)
        if projects:
            deal_ids |= set(
                Project.objects.filter(pk__in=set(projects)).values_list("deal_id", flat=True)
            )
        round_days, promise_days = _days_of_deals(deal_ids)
        stats["round_days"] += refold_round_days(round_days, today)
        stats["promise_days"] += refold_promise_days(promise_days, today)
        with transaction.atomic():
            state = _state()
            state.deal_event_id = max(state.deal_event_id, deal_settled)
            state.project_event_id = max(state.project_event_id, project_settled)
            state.folded_at = timezone.now()
            state.save()
    if state.as_of < today:
        round_days, promise_days = _rollover_days(state.as_of, today)
        start, end = default_range(today)
        sweep = {start + timedelta(days=n) for n in range((end - start).days + 1)}
        stats["round_days"] += refold_round_days(round_days | sweep, today)
        stats["promise_days"] += refold_promise_days(promise_days | sweep, today)
        with transaction.atomic():
            state = _state()
            state.as_of = max(state.as_of, today)
            state.save()
    stats["seconds"] = round(time.perf_counter() - started, 3)
    return stats
