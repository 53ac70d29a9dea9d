"""Failures that are not the user's to see: out-of-range input is a 400; Redis down is a miss."""

import logging
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class OutOfRangeInputMiddleware:
    """An id or number too large for its column (SQLite: OverflowError; PostgreSQL: DataError).

    Filters and lookups take ids from the query string; any of them can be fed a huge number.
    One guard here answers 400 for all of them instead of a 500.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OverflowError | DataError):
            return None
        logger.info("Refused out-of-range input on %s: %s", request.path, exception)
        message = "A value in the request is out of range."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "out_of_range"}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


# Per process and cache location: until when Redis is left alone after a failed call.
_CACHE_DOWN_UNTIL: dict[str, float] = {}


class ResilientRedisCache(RedisCache):
    """Redis down must not take the site down: a failed cache call is a miss, and is logged.

    Sessions and lockouts live in the database; the cache holds only what can be recomputed
    (and the API's throttle counts, which let requests through while Redis is away). A Redis
    that stops answering costs one bounded timeout; for CACHE_RETRY_AFTER_SECONDS after it,
    every call is a miss at once instead of another timeout.
    """

    def _safely(name: str, fallback=None):
        def method(self, *args, **kwargs):
            if _CACHE_DOWN_UNTIL.get(self.location, 0.0) > time.monotonic():
                return fallback(*args, **kwargs) if callable(fallback) else fallback
            try:
                return getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                retry_after = getattr(settings, "CACHE_RETRY_AFTER_SECONDS", 5.0)
                _CACHE_DOWN_UNTIL[self.location] = time.monotonic() + retry_after
                logger.warning(
                    "Cache %s failed, carrying on without it for %ss: %s", name, retry_after, error
                )
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        method.__name__ = name
        return method

    @property
    def location(self) -> str:
        return ",".join(self._servers)

    get = _safely("get", lambda key, default=None, version=None: default)
    get_many = _safely("get_many", lambda *args, **kwargs: {})
    has_key = _safely("has_key", False)
    set = _safely("set")
    set_many = _safely("set_many", lambda data, *args, **kwargs: list(data))
    add = _safely("add", False)
    touch = _safely("touch", False)
    delete = _safely("delete", False)
    delete_many = _safely("delete_many")
    clear = _safely("clear")
    del _safely
