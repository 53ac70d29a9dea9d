"""Celery tasks of the site: refreshing the stored dashboard figures."""

from celery import shared_task

from handoff import metrics


# Safe to run twice or at once: each run replaces the stored results by key.
@shared_task(soft_time_limit=240, time_limit=300)
def refresh_metrics() -> dict:
    return metrics.refresh_snapshots()
