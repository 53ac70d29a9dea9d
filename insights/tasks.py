"""Celery tasks of the insights: refreshing the stored dashboard figures."""

from celery import shared_task

from insights.figures.refresh import refresh_snapshots


# Safe to run twice or at once: each run replaces the stored results by key.
@shared_task(soft_time_limit=240, time_limit=300)
def refresh_metrics() -> dict:
    return refresh_snapshots()
