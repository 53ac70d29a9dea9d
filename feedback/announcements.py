"""Telling many people without making the change wait: one row with the change, one task after.

A submission tells every PM who may claim it and each approver a review rule asks for; a
comment tells everyone it mentions, a whole team at once. Building each person's notification
and outbox row, and signing each PM's approval links, made such a request grow with the people
told. Now the change writes one Announcement naming itself and, after commit, one task expands
every announcement of the transaction: it runs the handler the request used to run, so who is
told and what their email says are unchanged, only written by the worker.

A row is expanded once: the task deletes it in the transaction that writes the notifications
(a second run, or the sweep, finds nothing to delete). A failure rolls that back and is counted;
the sweep tries again with backoff, and gives up after OUTBOX_MAX_ATTEMPTS. With the broker
down at commit, the sweep expands the row once OUTBOX_SWEEP_GRACE_SECONDS have passed.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from feedback.models import Announcement
from feedback.outbox import backoff, max_attempts, publish, sweep_grace
from handoff.commit_batches import send_on_commit

logger = logging.getLogger(__name__)

# Announcements per task the sweep hands over; each is one change, however many it tells.
SWEEP_BATCH = 20

# The task that expands a batch, set by feedback.apps: tasks sit above this module.
_expander: dict[str, Any] = {}


def expand_with(task: Any) -> None:
    """Name the Celery task that expands announcements (feedback.tasks.expand_announcements)."""
    _expander["task"] = task


def announce(*, event: Any = None, comment: Any = None) -> Announcement:
    """Write the announcement of a deal event or a comment; its task is enqueued on commit."""
    change = event if event is not None else comment
    announcement = Announcement.objects.create(
        deal_id=change.deal_id,
        event_id=event.pk if event is not None else None,
        comment=comment,
        next_attempt_at=timezone.now() + sweep_grace(),
    )
    send_on_commit(enqueue_batch, [announcement.pk])
    return announcement


def enqueue_batch(announcement_ids: list[int]) -> bool:
    """Hand the announcements to one task; with the broker down the sweep hands them later."""
    return publish(_expander["task"], announcement_ids, rows="announcement(s)")


Tell = Callable[[Announcement], None]


def expand(announcement_id: int, *, tell: Tell) -> bool:
    """Tell the people of one announcement if this call claims it. True when it did now."""
    try:
        with transaction.atomic():
            announcement = Announcement.objects.filter(
                pk=announcement_id, failed_at__isnull=True
            ).first()
            if announcement is None:
                return False
            deleted, _ = Announcement.objects.filter(pk=announcement_id).delete()
            if not deleted:
                return False  # another worker (or the sweep's task) expanded it first
            tell(announcement)
    except Exception as exc:  # a bug or an outage: count it and let the sweep try again
        _record_failure(announcement_id, exc)
        if isinstance(exc, SoftTimeLimitExceeded):
            raise  # the task's time is up: the rest of its batch waits for the sweep
        return False
    return True


def expand_batch(announcement_ids: list[int], *, tell: Tell) -> int:
    """Expand each announcement this call claims, one after the other. How many it expanded."""
    return sum(expand(pk, tell=tell) for pk in announcement_ids)


def _record_failure(announcement_id: int, exc: Exception) -> None:
    row = Announcement.objects.filter(pk=announcement_id).values("attempts").first()
    if row is None:
        return
    attempts = row["attempts"] + 1
    now = timezone.now()
    failed = attempts >= max_attempts()
    Announcement.objects.filter(pk=announcement_id).update(
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        failed_at=now if failed else None,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )
    log = logger.error if failed else logger.warning
    log("Announcement %s failed (attempt %s): %s", announcement_id, attempts, exc)


def due_now(now: datetime) -> QuerySet[Announcement]:
    """The announcements the sweep hands over now, oldest first (announcement_due_idx)."""
    return Announcement.objects.filter(failed_at__isnull=True, next_attempt_at__lte=now).order_by(
        "next_attempt_at"
    )


def sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Hand the announcements that are due to tasks, SWEEP_BATCH to a task."""
    due = list(due_now(now or timezone.now()).values_list("pk", flat=True)[:limit])
    enqueued = 0
    for start in range(0, len(due), SWEEP_BATCH):
        batch = due[start : start + SWEEP_BATCH]
        if not publish(_expander["task"], batch, rows="announcement(s)"):
            break  # the broker is down: the next sweep tries again
        enqueued += len(batch)
    return {"enqueued": enqueued, "due": len(due)}
