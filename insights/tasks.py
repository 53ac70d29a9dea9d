"""Celery tasks of the insights: refreshing the stored dashboard figures, on schedule or now."""

import logging

from celery import shared_task

from handoff import broker
from insights import recalculate
from insights.figures import refresh
from insights.summary_fold import summaries_fold

logger = logging.getLogger(__name__)


# Safe to run twice or at once: the fold recomputes whole days and each run replaces the
# stored results by key. Every minute: the fold brings the summaries up to date with the
# events, then the stored figures are summed from them.
@shared_task(soft_time_limit=240, time_limit=300)
def refresh_metrics() -> dict:
    folded = summaries_fold()
    logger.info("Summaries folded: %s", folded)
    return refresh.refresh_snapshots()


# A stale result a reader found: recomputed once, off the request (insights.snapshots.read).
@shared_task(soft_time_limit=240, time_limit=300)
def refresh_stored(kind: str, params: dict) -> str:
    return refresh.refresh_stored(kind, params)


# A manager's "Recalculate now": one run of one range, claimed once (insights.recalculate).
@shared_task(soft_time_limit=240, time_limit=300)
def recalculate_figures(key: str, run: str) -> str:
    return recalculate.recalculation_run(key=key, run=run)


def enqueue_recalculation(key: str, run: str) -> None:
    """Publish the run once, every socket call bounded; a broker that does not answer fails it."""
    lost = f"recalculation {key} not started."
    if not broker.publish(recalculate_figures, (key, run), lost=lost):
        recalculate.recalculation_fail(
            key=key, run=run, error="The job queue did not answer. Try again in a minute."
        )
