"""Celery tasks of deals: running a large import of deals, a slice at a time."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError as DatabaseUnavailable

from deals.services.imports import import_fail, import_run
from handoff import broker

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
    broker.publish(run_import, (import_id,), lost=f"import {import_id} waits to be asked again.")
