"""Figures built from many rows and shared through the cache, rebuilt at most once a while.

A write that may change such a figure marks it changed (`mark_changed`) instead of dropping
it. A reader takes the stored figure while it is current: unchanged since it was built, or
built less than CACHED_LOAD_SETTLE_SECONDS ago. Past that, one process rebuilds it (a short
lock in the cache) while the others go on reading the one before. Under a stream of writes a
figure is then rebuilt once per settle period, not after every write: the tentative load of
100,000 deals costs 0.7 s to build, and every submission, ruling and sign-off changes it.
With a settle period of 0 every change is seen by the next reader, as before.

Each process also keeps the last figure it read of each key for as long as the rule above lets
it go unchecked: until the figure is a settle period old, or a settle period after the cache
last said it was unchanged. A busy page then reads the shared cache once a settle period, not
on every request (the tentative load is 90 kB to fetch and unpickle at 100,000 deals).
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
# Figures a process keeps at most (a key a day, and one per team for some).
HELD_KEYS = 64

# {cache key, with its prefix: the database it belongs to: (until, value)}
_held: dict[str, tuple[float, Any]] = {}


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
    now = time.time()
    held = _held.get(cache.make_key(key))
    if held is not None and now < held[0]:
        return held[1]
    settle = settings.CACHED_LOAD_SETTLE_SECONDS
    stored = cache.get(key)
    locked = False
    if isinstance(stored, _Stored):
        changed_at = cache.get(_changed_key(key))
        settled = now - stored.built_at >= settle
        if changed_at is None or changed_at <= stored.built_at:
            return _hold(key, stored.value, until=now + settle)
        if not settled:
            return _hold(key, stored.value, until=stored.built_at + settle)
        locked = cache.add(_building_key(key), 1, BUILD_LOCK_SECONDS)
        if not locked:
            return stored.value  # another process is building the new one: not held
    # Nothing stored: every reader builds, as nobody has an older one to read meanwhile.
    built_at = time.time()  # before the rows are read: a write meanwhile marks it again
    value = build()
    cache.set(key, _Stored(value, built_at), timeout)
    if locked:
        cache.delete(_building_key(key))
    return _hold(key, value, until=built_at + settle)


def _hold(key: str, value: Any, *, until: float) -> Any:
    if until > time.time():
        if len(_held) >= HELD_KEYS:
            _held.clear()
        _held[cache.make_key(key)] = (until, value)
    return value


def forget_held() -> None:
    """Drop the figures this process keeps (the tests' fresh cache)."""
    _held.clear()


def mark_changed(key: str, *, timeout: int) -> None:
    """The figure under `key` may have changed: now, and again when the transaction commits
    (a reader building it before the commit read the rows as they were)."""

    def mark() -> None:
        cache.set(_changed_key(key), time.time(), timeout)
        _held.pop(cache.make_key(key), None)  # this process reads the cache again

    mark()
    transaction.on_commit(mark)
