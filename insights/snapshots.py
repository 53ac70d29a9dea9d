"""Stored results of aggregates that scan history.

The alignment dashboard and the goal panels aggregate every review round, verdict and
deliverable inside their range, so their cost follows the size of the business (about
60 ms at 1,000 deals, most of a second at 100,000). Pages read a stored result instead,
fresh while younger than METRICS_SNAPSHOT_MAX_AGE_SECONDS: a scheduled job recomputes the
default ranges every METRICS_REFRESH_SECONDS.

A reader that finds its result stale is answered with it as it is (the page says when it
was computed) and hands the recomputation to the job queue (`later`), once for all readers:
the figures are computed by a worker rather than inside a request, which keeps the
dashboard's cost flat while the machine is busy and the scheduled job falls behind. The
request computes only what nothing stored yet, what has been stale for longer than
METRICS_SNAPSHOT_STALE_LIMIT_SECONDS (no worker is keeping up), or what cannot be handed
over (no `later`, or the broker is down); one reader at a time computes a key, and the
others get what is stored meanwhile.

Results are stored as tagged JSON (handoff.tagged_json), so a stored result reads back
equal to the computed one.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from handoff import broker
from handoff.db_router import reading_from_replica
from handoff.models import MetricsSnapshot
from handoff.tagged_json import decode, encode


@dataclass(frozen=True)
class Stored:
    value: Any
    computed_at: datetime
    seconds: float


# Longer than any computation may run (the jobs' hard limits): a claim left by a process that
# died lapses by itself.
CLAIM_SECONDS = 360


# The job that recomputes a stored result by kind (insights.tasks.refresh_stored), named so
# that the figures can hand work to it without importing the tasks that import them.
REFRESH_TASK = "insights.tasks.refresh_stored"

# Hands a stale result's recomputation to a worker; False when it could not.
Later = Callable[[], bool]


def max_age() -> timedelta:
    return timedelta(seconds=settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS)


def stale_limit() -> timedelta:
    return timedelta(seconds=settings.METRICS_SNAPSHOT_STALE_LIMIT_SECONDS)


def refresh_later(kind: str, params: dict[str, Any]) -> Later:
    """A `later` that queues refresh_stored(kind, params), which recomputes and stores the key."""

    def publish() -> bool:
        task = current_app.tasks[REFRESH_TASK]
        return broker.publish(task, (kind, params), lost=f"the {kind} figures stay as stored.")

    return publish


def _claim_key(key: str) -> str:
    return f"snapshot-computing:{key}"


def read(
    key: str, compute: Callable[[], Any], *, recompute: bool = False, later: Later | None = None
) -> Stored:
    """The result stored under key if it is fresh enough; else see the module's docstring.

    With recompute, compute and store it whatever is stored.
    """
    if recompute:
        return store(key, compute)
    row = MetricsSnapshot.objects.filter(key=key).only("payload", "computed_at", "seconds").first()
    if row is None:
        return store(key, compute)
    stored = Stored(decode(row.payload), row.computed_at, row.seconds)
    now = timezone.now()
    if row.computed_at >= now - max_age():
        return stored
    # Stale: the first reader to claim it hands it to a worker, or computes it; the others
    # read what is stored. Without a shared cache the claim holds for one process; with the
    # cache down, nobody claims and the stale result stands until the scheduled job stores a
    # fresh one.
    if not cache.add(_claim_key(key), 1, timeout=CLAIM_SECONDS):
        return stored
    # The claim stays until the job stores the result (or lapses, if the job is lost).
    if later is not None and row.computed_at >= now - stale_limit() and later():
        return stored
    try:
        return store(key, compute)
    finally:
        cache.delete(_claim_key(key))


def store(key: str, compute: Callable[[], Any]) -> Stored:
    """Compute now and store under key, replacing what was there (one statement, no race)."""
    started = time.perf_counter()
    # The computation reads history, where a moment's lag does not matter; the result is
    # written to the primary.
    with reading_from_replica():
        payload = encode(compute())
    seconds = round(time.perf_counter() - started, 3)
    computed_at = timezone.now()
    MetricsSnapshot.objects.bulk_create(
        [MetricsSnapshot(key=key, computed_at=computed_at, seconds=seconds, payload=payload)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["computed_at", "seconds", "payload"],
    )
    cache.delete(_claim_key(key))
    return Stored(decode(payload), computed_at, seconds)


def forget(older_than: timedelta) -> int:
    """Drop results nobody has needed for a while (past days' ranges, one-off ranges)."""
    deleted, _ = MetricsSnapshot.objects.filter(
        computed_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
