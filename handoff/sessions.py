"""Sessions read from the shared cache and written through to the database, kept in the cache
for SESSION_CACHE_SECONDS at most.

Django's cached_db keeps a session in the cache for as long as the session lives (two weeks).
A sign-out whose cache delete failed (Redis unreachable for a moment; handoff.security lets
the request through) would then leave the session alive in the cache for that long. Here the
cache holds it for a minute at most, as it holds the user (handoff.user_cache): a sign-out is
everywhere at once when the cache answers and within that minute when it did not, while a
page polling every few seconds still reads its session from the cache.
"""

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore


class _ShortLived:
    """The cache, with every timeout cut to `seconds`."""

    def __init__(self, cache, seconds: int) -> None:
        self._cache = cache
        self._seconds = seconds

    def _timeout(self, timeout):
        return self._seconds if timeout is None else min(timeout, self._seconds)

    def set(self, key, value, timeout=None, **kwargs):
        return self._cache.set(key, value, self._timeout(timeout), **kwargs)

    async def aset(self, key, value, timeout=None, **kwargs):
        return await self._cache.aset(key, value, self._timeout(timeout), **kwargs)

    def __contains__(self, key) -> bool:
        return key in self._cache

    def __getattr__(self, name):
        return getattr(self._cache, name)


class SessionStore(CachedDBStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._cache = _ShortLived(self._cache, settings.SESSION_CACHE_SECONDS)
