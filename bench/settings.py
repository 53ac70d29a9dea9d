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

# The benchmark serves no static files itself; whitenoise need not warn that none were collected.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
