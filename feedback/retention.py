"""Retention of operational rows: finished outbox emails, delivery logs, spent link nonces,
expired sessions, announcements that failed for good, deleted in bounded batches once they are older than their settings say.

Only what is finished goes: an outbox email still pending or sending, a webhook or chat
delivery still to be posted, stays however old it is. The audit trails (deal and project
events, sign-offs) are append-only and are never pruned here.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Model, QuerySet
from django.utils import timezone

from deals.models import ApprovalLinkUse
from feedback.models import Announcement, EmailOutbox, OutboxStatus
from feedback.webhooks_models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

OUTBOX_FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED)
DELIVERY_FINISHED = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


@dataclass(frozen=True)
class Kept:
    """One table's rule: the rows of `due(now)` may go."""

    name: str
    model: type[Model]
    due: Callable[[datetime], QuerySet]


def _outbox_due(now: datetime) -> QuerySet:
    cutoff = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    return EmailOutbox.objects.filter(created_at__lt=cutoff, status__in=OUTBOX_FINISHED)


def _deliveries_due(now: datetime) -> QuerySet:
    cutoff = now - timedelta(days=settings.DELIVERY_LOG_RETENTION_DAYS)
    return WebhookDelivery.objects.filter(created_at__lt=cutoff, status__in=DELIVERY_FINISHED)


def _link_uses_due(now: datetime) -> QuerySet:
    # A nonce is kept while its link could still be opened; past that the link says expired.
    cutoff = now - timedelta(seconds=settings.APPROVAL_LINK_MAX_AGE) - timedelta(days=1)
    return ApprovalLinkUse.objects.filter(used_at__lt=cutoff)


def _sessions_due(now: datetime) -> QuerySet:
    return Session.objects.filter(expire_date__lt=now)


def _failed_announcements_due(now: datetime) -> QuerySet:
    # Told announcements are deleted by the worker; one that failed for good waits here.
    cutoff = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    return Announcement.objects.filter(failed_at__lt=cutoff)


TABLES = (
    Kept("outbox", EmailOutbox, _outbox_due),
    Kept("deliveries", WebhookDelivery, _deliveries_due),
    Kept("approval_link_uses", ApprovalLinkUse, _link_uses_due),
    Kept("sessions", Session, _sessions_due),
    Kept("failed_announcements", Announcement, _failed_announcements_due),
)


def _delete_batch(kept: Kept, now: datetime, size: int) -> int:
    """Delete at most `size` due rows, by primary key: each DELETE holds its locks briefly."""
    pks = list(kept.due(now).order_by().values_list("pk", flat=True)[:size])
    if not pks:
        return 0
    # Nothing points at these rows, so this is one DELETE … WHERE pk IN (…), no cascade.
    kept.model._base_manager.filter(pk__in=pks).delete()
    return len(pks)


def prune(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    time_budget: float | None = None,
) -> dict[str, int]:
    """Delete what is due, table by table, a batch at a time; stop when the budget is spent.

    Each batch is its own short transaction (autocommit), so the job never holds a long
    lock; what the budget leaves is taken by the next run.
    """
    now = now or timezone.now()
    size = batch_size or settings.RETENTION_BATCH_SIZE
    budget = settings.RETENTION_TIME_BUDGET_SECONDS if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    deleted = {kept.name: 0 for kept in TABLES}
    for kept in TABLES:
        while time.monotonic() < deadline:
            count = _delete_batch(kept, now, size)
            deleted[kept.name] += count
            if count < size:
                break
    logger.info("Pruned operational rows", extra={"deleted": deleted})
    return deleted
