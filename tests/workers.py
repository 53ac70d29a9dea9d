"""Parallel test workers (pytest-xdist) share one PostgreSQL server and one Redis server.

pytest-django gives each worker its own test database. Redis is ours to split: every test
empties the cache and some run a real Celery worker on the broker, so each test worker takes its
own Redis database, the one REDIS_URL names for the first worker and the ones below it for the
others. Settings are loaded before any conftest, so this rewrites them in place, and the
environment, which the Celery workers that tests start inherit.
"""

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16


def worker_number() -> int | None:
    """0 for gw0, 1 for gw1…; None outside a parallel run."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def redis_url_for_worker(url: str, number: int) -> str:
    """The same server, database `base - number` (wrapping within Redis's 16 databases)."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    base = int(path) if path.isdigit() else 0
    database = (base - number) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{database}"))


def use_own_redis() -> None:
    number = worker_number()
    if not number:
        return
    from django.conf import settings

    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        own = redis_url_for_worker(redis_url, number)
        os.environ["REDIS_URL"] = own
        settings.REDIS_URL = own
        settings.CELERY_BROKER_URL = own
        from config.celery import app

        app.conf.broker_url = own
    cache_url = os.environ.get("CACHE_REDIS_URL", "") or redis_url
    if cache_url:
        own_cache = redis_url_for_worker(cache_url, number)
        if os.environ.get("CACHE_REDIS_URL"):
            os.environ["CACHE_REDIS_URL"] = own_cache
        settings.CACHE_REDIS_URL = own_cache
        settings.CACHES["default"]["LOCATION"] = own_cache
        from asgiref.local import Local
        from django.core.cache import caches

        caches._settings = caches.settings = caches.configure_settings(None)
        caches._connections = Local(caches.thread_critical)
