"""The core's scheduled job: the event tables' month partitions made ahead of their months."""

from celery import shared_task

from handoff import partitions


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def create_event_partitions() -> dict[str, list[str]]:
    """Safe to run any number of times: a month's partition is made once; returns those made."""
    return partitions.months_ahead_ensure()
