"""`/readyz`: whether this instance can serve, its database, cache and broker each checked within a bound.

`/healthz` says the process answers and reaches its database; `/readyz` also
writes and reads the cache and connects to the broker, each check in a thread
of its own with a time limit, so a stalled Redis makes the answer a quick 503
that names it instead of a hung probe.
"""

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from celery import current_app as celery_app
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

CHECK_TIMEOUT_SECONDS = 2.0

logger = logging.getLogger(__name__)

# Threads kept between probes, so a probe does not open new connections to everything each time;
# enough of them that a check still hung from an earlier probe leaves room for this one's.
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")


class CheckFailed(Exception):
    pass


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # This thread's own connection, opened for the check: never left open between probes.
        connection.close()


def check_cache() -> None:
    # The cache carries on without Redis (a failed call is a miss), so only a value written
    # and read back proves the cache is there.
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise CheckFailed("the cache did not return what was written to it")
    finally:
        cache.delete(key)


def check_broker() -> None:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
        # Opening a channel is where the Redis transport sends its PING.
        broker.default_channel  # noqa: B018


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def _timed(check: Callable[[], None]) -> float:
    started = time.monotonic()
    check()
    return round((time.monotonic() - started) * 1000, 1)


def run_checks(timeout: float = CHECK_TIMEOUT_SECONDS) -> dict[str, dict]:
    """Every check at once; each answers within `timeout` seconds or counts as failed."""
    futures = {name: _executor.submit(_timed, check) for name, check in CHECKS.items()}
    deadline = time.monotonic() + timeout
    results: dict[str, dict] = {}
    for name, future in futures.items():
        try:
            results[name] = {"ok": True, "ms": future.result(max(0.0, deadline - time.monotonic()))}
        except FutureTimeout:
            results[name] = {"ok": False, "error": f"no answer within {timeout:g} s"}
            logger.warning("Readiness check %s: no answer within %g s", name, timeout)
        except CheckFailed as error:
            results[name] = {"ok": False, "error": str(error)}
            logger.warning("Readiness check %s failed: %s", name, error)
        except Exception as error:
            # The kind of failure only: the page is public, the details go to the logs.
            results[name] = {"ok": False, "error": type(error).__name__}
            logger.warning("Readiness check %s failed", name, exc_info=error)
    return results


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    failed = [name for name, result in checks.items() if not result["ok"]]
    if failed:
        return JsonResponse(
            {"status": "unavailable", "failed": failed, "checks": checks}, status=503
        )
    return JsonResponse({"status": "ok", "checks": checks})
