"""Celery tasks of the insights: refreshing the stored dashboard figures, on schedule or now."""

import logging

from celery import shared_task
from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from insights import recalculate
from insights.figures.refresh import refresh_snapshots
from insights.summary_fold import summaries_fold

logger = logging.getLogger(__name__)


# Safe to run twice or at once: the fold recomputes whole days and each run replaces the
# stored results by key. Every minute: the fold brings the summaries up to date with the
# events, then the stored figures are summed from them.
@shared_task(soft_time_limit=240, time_limit=300)
def refresh_metrics() -> dict:
    folded = summaries_fold()
    logger.info("Summaries folded: %s", folded)
    return refresh_snapshots()


# A manager's "Recalculate now": one run of one range, claimed once (insights.recalculate).
@shared_task(soft_time_limit=240, time_limit=300)
def recalculate_figures(key: str, run: str) -> str:
    return recalculate.recalculation_run(key=key, run=run)


def enqueue_recalculation(key: str, run: str) -> None:
    """Publish the run once, every socket call bounded; a broker that does not answer fails it."""
    timeout = settings.CELERY_PUBLISH_TIMEOUT
    bounded = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    try:
        with recalculate_figures.app.connection_for_write(transport_options=bounded) as connection:
            recalculate_figures.apply_async((key, run), connection=connection, retry=False)
    except (OperationalError, RedisError, OSError) as error:
        logger.warning("Broker unavailable (%s); recalculation %s not started.", error, key)
        recalculate.recalculation_fail(
            key=key, run=run, error="The job queue did not answer. Try again in a minute."
        )
