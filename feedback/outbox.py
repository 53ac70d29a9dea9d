"""The email outbox: written with the change, sent once after commit.

A row is sent only by whoever moves it from pending to sending with a conditional
UPDATE, so the task after commit and the sweep can race and the email still goes
out once. A failed send goes back to pending with exponential backoff, and fails
for good after OUTBOX_MAX_ATTEMPTS.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from feedback.models import EmailOutbox, OutboxStatus

logger = logging.getLogger(__name__)


def max_attempts() -> int:
    return settings.OUTBOX_MAX_ATTEMPTS


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after the n-th failure, capped at an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def sweep_grace() -> timedelta:
    """How long a fresh row waits for its own task before the sweep sends it instead."""
    return timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)


def stuck_after() -> timedelta:
    """A row still sending after the task's hard time limit was lost with its worker."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def enqueue(outbox_id: int) -> bool:
    """Hand the row to a worker; with the broker down the sweep sends it later."""
    from feedback.tasks import send_email

    try:
        send_email.delay(outbox_id)
    except OperationalError:
        logger.warning("Broker unavailable; email %s stays pending for the sweep.", outbox_id)
        return False
    return True


def enqueue_on_commit(outbox_id: int) -> None:
    transaction.on_commit(lambda: enqueue(outbox_id))


def claim(outbox_id: int, *, now: datetime | None = None) -> bool:
    """Pending → sending. True for exactly one caller."""
    now = now or timezone.now()
    return bool(
        EmailOutbox.objects.filter(pk=outbox_id, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.SENDING, claimed_at=now
        )
    )


def deliver(outbox_id: int) -> bool:
    """Send one email if this call claims it. True when it was sent now."""
    if not claim(outbox_id):
        return False
    email = EmailOutbox.objects.get(pk=outbox_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_address],
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any transport failure: count it and let the sweep retry
        _record_failure(email, exc)
        return False
    EmailOutbox.objects.filter(pk=outbox_id, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def _record_failure(email: EmailOutbox, exc: Exception) -> None:
    attempts = email.attempts + 1
    now = timezone.now()
    failed = attempts >= max_attempts()
    EmailOutbox.objects.filter(pk=email.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.FAILED if failed else OutboxStatus.PENDING,
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        claimed_at=None,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )
    log = logger.error if failed else logger.warning
    log("Email %s failed (attempt %s): %s", email.pk, attempts, exc)


def sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Re-enqueue pending rows that are due and reclaim rows stuck in sending."""
    now = now or timezone.now()
    stuck = EmailOutbox.objects.filter(
        status=OutboxStatus.SENDING, claimed_at__lt=now - stuck_after()
    )
    reclaimed = 0
    for pk, attempts in stuck.values_list("pk", "attempts"):
        attempts += 1
        reclaimed += EmailOutbox.objects.filter(
            pk=pk, status=OutboxStatus.SENDING, claimed_at__lt=now - stuck_after()
        ).update(
            status=OutboxStatus.FAILED if attempts >= max_attempts() else OutboxStatus.PENDING,
            attempts=attempts,
            claimed_at=None,
            next_attempt_at=now,
            last_error="The sending worker stopped before finishing.",
        )
    due = list(
        EmailOutbox.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueued = 0
    for pk in due:
        if not enqueue(pk):
            break  # the broker is down: the next sweep tries again
        enqueued += 1
    return {"reclaimed": reclaimed, "enqueued": enqueued, "due": len(due)}
