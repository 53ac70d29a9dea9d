"""The core's scheduled job: the event tables' month partitions made ahead of their months."""

from celery import shared_task
from django.db import OperationalError

from handoff import partitions


# A lock not granted within the job's lock_timeout raises OperationalError: try again later.
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    max_retries=3,
    retry_backoff=60,
    retry_backoff_max=900,
    retry_jitter=True,
    soft_time_limit=300,
    time_limit=360,
)
def create_event_partitions() -> dict[str, list[str]]:
    """Safe to run any number of times: a month's partition is made once; returns those made."""
    return partitions.months_ahead_ensure()
