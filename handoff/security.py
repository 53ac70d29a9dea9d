"""Failures that are not the user's to see: out-of-range input is a 400; Redis down is a miss."""

import logging

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


class ResilientRedisCache(RedisCache):
    """Redis down must not take the site down: a failed cache call is a miss, and is logged.

    Sessions and lockouts live in the database; the cache holds only what can be recomputed
    (and the API's throttle counts, which let requests through while Redis is away).
    """

    def _safely(name: str, fallback=None):
        def method(self, *args, **kwargs):
            try:
                return getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                logger.warning("Cache %s failed, carrying on without it: %s", name, error)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        method.__name__ = name
        return method

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
