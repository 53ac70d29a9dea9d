"""Celery tasks of deals: running a large import of deals, a slice at a time."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError as DatabaseUnavailable
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from deals.services.imports import import_fail, import_run

logger = logging.getLogger(__name__)

# Each run holds the import for a slice well inside the soft limit, then queues the next:
# a deal and its rows' outcomes commit together, so a run cut short loses nothing.
SLICE_SECONDS = 30


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseUnavailable,),
    max_retries=3,
    retry_backoff=10,
    soft_time_limit=60,
    time_limit=90,
)
def run_import(import_id: int) -> bool:
    try:
        done = import_run(import_id=import_id, budget_seconds=SLICE_SECONDS)
    except SoftTimeLimitExceeded:
        done = False
    except DatabaseUnavailable:
        raise
    except Exception as error:
        logger.exception("Import %s failed.", import_id)
        import_fail(import_id=import_id, error=f"The import stopped: {type(error).__name__}.")
        return True
    if not done:
        enqueue_import(import_id)
    return done


def enqueue_import(import_id: int) -> None:
    """Publish the next slice once, every socket call bounded; the page asks again if lost."""
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    bounded = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    try:
        with run_import.app.connection_for_write(transport_options=bounded) as connection:
            run_import.apply_async((import_id,), connection=connection, retry=False)
    except (OperationalError, RedisError, OSError) as error:
        logger.warning(
            "Broker unavailable (%s); import %s waits to be asked again.", error, import_id
        )
