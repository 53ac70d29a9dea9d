"""Stored results of aggregates that scan history.

The alignment dashboard and the goal panels aggregate every review round, verdict and
deliverable inside their range, so their cost follows the size of the business (about
60 ms at 1,000 deals, most of a second at 100,000). Pages read a stored result instead,
never older than METRICS_SNAPSHOT_MAX_AGE_SECONDS: a scheduled job recomputes the
default ranges every METRICS_REFRESH_SECONDS, and a read that finds nothing fresh
computes the result and stores it for the next reader.

One reader at a time computes a key: while one does, the others get what is stored, stale as
it is (the page says when it was computed), rather than each paying the same computation
again, all at once, the moment a result expires. Only a key with nothing stored yet is
computed by every reader that finds it so.

Results are stored as tagged JSON (handoff.tagged_json), so a stored result reads back
equal to the computed one.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

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


def max_age() -> timedelta:
    return timedelta(seconds=settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS)


def _claim_key(key: str) -> str:
    return f"snapshot-computing:{key}"


def read(key: str, compute: Callable[[], Any], *, recompute: bool = False) -> Stored:
    """The result stored under key if it is fresh enough; else compute it now and store it.

    With recompute, compute and store it whatever is stored.
    """
    if recompute:
        return store(key, compute)
    row = MetricsSnapshot.objects.filter(key=key).only("payload", "computed_at", "seconds").first()
    if row is None:
        return store(key, compute)
    stored = Stored(decode(row.payload), row.computed_at, row.seconds)
    if row.computed_at >= timezone.now() - max_age():
        return stored
    # Stale: this reader computes it if no other is doing so, else reads what is stored.
    # Without a shared cache the claim holds for one process; with the cache down, nobody
    # claims and the stale result stands until the scheduled job stores a fresh one.
    if not cache.add(_claim_key(key), 1, timeout=CLAIM_SECONDS):
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
    return Stored(decode(payload), computed_at, seconds)


def forget(older_than: timedelta) -> int:
    """Drop results nobody has needed for a while (past days' ranges, one-off ranges)."""
    deleted, _ = MetricsSnapshot.objects.filter(
        computed_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
