"""Recalculate now: one range's stored dashboard figures recomputed by a background job.

The job's state is a MetricsSnapshot row keyed "recalculation:" and the range's figures key,
so every web process reads what the worker writes: queued, running, done or failed, with a
percentage, who asked and when. A range has one job at a time: asking again while it is queued
or running follows that job. A job that has not moved for longer than the task may run died
with its worker; asking again starts a new one.

Each start writes a new run id and hands it to the task; the task claims the run once, with a
conditional UPDATE from queued to running, and writes its progress only while the run is its
own, so a second delivery of the task or an older run changes nothing.
"""

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from handoff.models import MetricsSnapshot, User, quarter_of
from insights.figures.alignment import snapshot_key, stored_alignment
from insights.figures.goals import stored_goal_values
from insights.figures.window import Window, window_from_params, window_params
from insights.summary_fold import summaries_fold

logger = logging.getLogger(__name__)

PREFIX = "recalculation:"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = frozenset({QUEUED, RUNNING})
# Longer than the task's hard time limit (insights.tasks): a job quiet for this long is dead.
STALE_AFTER = timedelta(seconds=360)
# How far along the job is once each step is done.
STARTED, FIGURES_DONE = 10, 80

Enqueue = Callable[[str, str], None]


@dataclass(frozen=True)
class Job:
    """What a recalculation is doing, as stored."""

    key: str
    status: str
    percent: int
    requested_by: str
    requested_at: datetime | None
    finished_at: datetime | None
    error: str

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_done(self) -> bool:
        return self.status == DONE

    @property
    def is_failed(self) -> bool:
        return self.status == FAILED


def job_key(w: Window) -> str:
    return PREFIX + snapshot_key(w)


def _now_text() -> str:
    return timezone.now().isoformat()


def _job(key: str, payload: dict[str, Any], updated_at: datetime) -> Job | None:
    status = payload.get("status")
    if status not in (QUEUED, RUNNING, DONE, FAILED):
        return None
    error = payload.get("error", "")
    if status in ACTIVE and timezone.now() - updated_at > STALE_AFTER:
        status, error = FAILED, "The recalculation stopped without finishing."
    return Job(
        key=key,
        status=status,
        percent=int(payload.get("percent", 0)),
        requested_by=payload.get("requested_by", ""),
        requested_at=parse_datetime(payload.get("requested_at") or ""),
        finished_at=parse_datetime(payload.get("finished_at") or ""),
        error=error,
    )


def job_for(w: Window) -> Job | None:
    """The range's latest recalculation, or None when nobody asked for one lately. One query."""
    key = job_key(w)
    row = MetricsSnapshot.objects.filter(key=key).only("payload", "computed_at").first()
    return _job(key, row.payload, row.computed_at) if row else None


@transaction.atomic
def recalculation_start(*, window: Window, actor: User, enqueue: Enqueue) -> Job:
    """Queue a recalculation of the range, or follow the one already under way.

    The task is handed over after commit: enqueue(key, run) publishes it.
    """
    key = job_key(window)
    now = timezone.now()
    MetricsSnapshot.objects.bulk_create(
        [MetricsSnapshot(key=key, computed_at=now, seconds=0, payload={})], ignore_conflicts=True
    )
    row = MetricsSnapshot.objects.select_for_update().get(key=key)
    current = _job(key, row.payload, row.computed_at)
    if current is not None and current.is_active:
        return current
    run = uuid.uuid4().hex
    row.payload = {
        "status": QUEUED,
        "percent": 0,
        "run": run,
        **window_params(window),
        "requested_by": actor.display_name,
        "requested_at": now.isoformat(),
    }
    row.computed_at, row.seconds = now, 0
    row.save(update_fields=["payload", "computed_at", "seconds"])
    transaction.on_commit(lambda: enqueue(key, run))
    return _job(key, row.payload, now)


def _advance(key: str, run: str, *, expect: str | None = None, **changes: Any) -> dict | None:
    """Write changes to the run's state if the run is still this one (and in status expect)."""
    row = MetricsSnapshot.objects.filter(key=key).only("payload").first()
    if row is None or row.payload.get("run") != run:
        return None
    if expect is not None and row.payload.get("status") != expect:
        return None
    payload = {**row.payload, **changes}
    started = parse_datetime(payload.get("requested_at") or "") or timezone.now()
    seconds = round((timezone.now() - started).total_seconds(), 3)
    condition = {"payload__run": run} | ({"payload__status": expect} if expect else {})
    updated = MetricsSnapshot.objects.filter(key=key, **condition).update(
        payload=payload, computed_at=timezone.now(), seconds=seconds
    )
    return payload if updated else None


def recalculation_fail(*, key: str, run: str, error: str) -> None:
    _advance(key, run, status=FAILED, error=error, finished_at=_now_text())


def recalculation_run(*, key: str, run: str, today: date | None = None) -> str:
    """The task's work: claim the run, recompute the range's figures, then this quarter's goals."""
    payload = _advance(key, run, expect=QUEUED, status=RUNNING, percent=STARTED)
    if payload is None:
        return "skipped"
    started = time.perf_counter()
    try:
        w = window_from_params(payload)
        if w is None:
            recalculation_fail(key=key, run=run, error="The team of this range no longer exists.")
            return FAILED
        # What changed since the last scheduled fold counts too.
        summaries_fold()
        stored_alignment(w, recompute=True)
        _advance(key, run, percent=FIGURES_DONE)
        today = today or timezone.localdate()
        stored_goal_values(quarter_of(today), today, recompute=True)
    except SoftTimeLimitExceeded:
        recalculation_fail(key=key, run=run, error="It took too long and was stopped.")
        return FAILED
    except Exception:
        # The job's state tells the manager; the log keeps the details.
        logger.exception("Recalculation %s failed", key)
        recalculation_fail(key=key, run=run, error="Something went wrong while computing.")
        return FAILED
    _advance(key, run, status=DONE, percent=100, finished_at=_now_text())
    logger.info("Recalculated %s in %.2f s", key, time.perf_counter() - started)
    return DONE
