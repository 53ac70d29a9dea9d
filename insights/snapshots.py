"""Stored results of aggregates that scan history.

The alignment dashboard and the goal panels aggregate every review round, verdict and
deliverable inside their range, so their cost follows the size of the business (about
60 ms at 1,000 deals, most of a second at 100,000). Pages read a stored result instead,
never older than METRICS_SNAPSHOT_MAX_AGE_SECONDS: a scheduled job recomputes the
default ranges every METRICS_REFRESH_SECONDS, and a read that finds nothing fresh
computes the result and stores it for the next reader.

Results are stored as tagged JSON (handoff.tagged_json), so a stored result reads back
equal to the computed one.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from handoff.db_router import reading_from_replica
from handoff.models import MetricsSnapshot
from handoff.tagged_json import decode, encode


@dataclass(frozen=True)
class Stored:
    value: Any
    computed_at: datetime
    seconds: float


def max_age() -> timedelta:
    return timedelta(seconds=settings.METRICS_SNAPSHOT_MAX_AGE_SECONDS)


def read(key: str, compute: Callable[[], Any], *, recompute: bool = False) -> Stored:
    """The result stored under key if it is fresh enough; else compute it now and store it.

    With recompute, compute and store it whatever is stored.
    """
    if recompute:
        return store(key, compute)
    row = (
        MetricsSnapshot.objects.filter(key=key, computed_at__gte=timezone.now() - max_age())
        .only("payload", "computed_at", "seconds")
        .first()
    )
    if row is not None:
        return Stored(decode(row.payload), row.computed_at, row.seconds)
    return store(key, compute)


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
