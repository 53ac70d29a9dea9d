"""Figures built from many rows and shared through the cache, rebuilt at most once a while.

A write that may change such a figure marks it changed (`mark_changed`) instead of dropping
it. A reader takes the stored figure while it is current: unchanged since it was built, or
built less than CACHED_LOAD_SETTLE_SECONDS ago. Past that, one process rebuilds it (a short
lock in the cache) while the others go on reading the one before. Under a stream of writes a
figure is then rebuilt once per settle period, not after every write: the tentative load of
100,000 deals costs 0.7 s to build, and every submission, ruling and sign-off changes it.
With a settle period of 0 every change is seen by the next reader, as before.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

# Long enough for the slowest build; a build that fails leaves the lock to expire.
BUILD_LOCK_SECONDS = 30


@dataclass(frozen=True)
class _Stored:
    value: Any
    built_at: float


def _changed_key(key: str) -> str:
    return f"{key}:changed"


def _building_key(key: str) -> str:
    return f"{key}:building"


def read(key: str, build: Callable[[], Any], *, timeout: int) -> Any:
    """The figure under `key`, built by `build` when missing or changed and settled."""
    stored = cache.get(key)
    locked = False
    if isinstance(stored, _Stored):
        changed_at = cache.get(_changed_key(key))
        settled = time.time() - stored.built_at >= settings.CACHED_LOAD_SETTLE_SECONDS
        if changed_at is None or changed_at <= stored.built_at or not settled:
            return stored.value
        locked = cache.add(_building_key(key), 1, BUILD_LOCK_SECONDS)
        if not locked:
            return stored.value  # another process is building the new one
    # Nothing stored: every reader builds, as nobody has an older one to read meanwhile.
    built_at = time.time()  # before the rows are read: a write meanwhile marks it again
    value = build()
    cache.set(key, _Stored(value, built_at), timeout)
    if locked:
        cache.delete(_building_key(key))
    return value


def mark_changed(key: str, *, timeout: int) -> None:
    """The figure under `key` may have changed: now, and again when the transaction commits
    (a reader building it before the commit read the rows as they were)."""

    def mark() -> None:
        cache.set(_changed_key(key), time.time(), timeout)

    mark()
    transaction.on_commit(mark)
