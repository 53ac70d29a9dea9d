"""Failures that are not the user's to see (out-of-range input is a 400; Redis down is a miss),
and who the client is: its address behind proxies, and what a locked-out login is told.
"""

import logging
import time
from datetime import timedelta

from axes import helpers as axes_helpers
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django.db import DataError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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
    (a minute's copy of a session or a user, the API's throttle counts, which let requests
    through while Redis is away). A Redis
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


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address
    the outermost of them saw, read from X-Forwarded-For as DRF's NUM_PROXIES reads it.

    With no proxy trusted the header is ignored, so a client cannot pick its own address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))][:45]
    return request.META.get("REMOTE_ADDR")


def _for_how_long(cool_off: timedelta | None) -> str:
    if not cool_off:
        return ""
    minutes = round(cool_off.total_seconds() / 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f" for {hours} hour{'s' if hours != 1 else ''}"
    return f" for {minutes} minute{'s' if minutes != 1 else ''}"


def lockout_message(request: HttpRequest, credentials: dict | None = None) -> str:
    """The one sentence the login page and the token endpoint give a locked-out user."""
    limit = axes_helpers.get_failure_limit(request, credentials)
    username = axes_helpers.get_client_username(request, credentials) or ""
    who = f" as {username}" if username else ""
    return (
        f"There were {limit} failed attempts to log in{who}, so this account is locked"
        f"{_for_how_long(axes_helpers.get_cool_off(request))}."
    )


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: the page for people, JSON for the API."""
    message = lockout_message(request, credentials)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": f"{message} Try again later, or reset your password.",
                "code": "locked_out",
            },
            status=429,
        )
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
