"""Settings for the benchmark: the production settings plus a floor view and plain static files."""

import os
import warnings

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/handoff_bench")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-" + "x" * 48)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# In-process timings run tasks inline; the load test's gunicorn enqueues them on Redis (or the
# folder broker) as production does, so a request never waits for an email to be sent.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("BENCH_SERVER")
# Timings, not logs: a request log line per request would be measured too.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# In-process timings read a shared cache as a deployment with Redis does (the session and the
# user from it, the write-through sessions of config/settings.py), in a Redis database of their
# own; bench.measure.use_database gives each database's entries a prefix of its name.
if not os.environ.get("BENCH_SERVER"):
    from bench.stack import broker_answers

    _cache_url = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14")
    if broker_answers(_cache_url):
        BENCH_CACHE_URL = _cache_url  # set only when the timings use it
        CACHES = {
            "default": {
                "BACKEND": "handoff.security.ResilientRedisCache",
                "LOCATION": _cache_url,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        AUTH_USER_CACHE_SECONDS = 60
        SESSION_ENGINE = "handoff.sessions"

# The benchmark serves no static files itself; whitenoise need not warn that none were collected.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
