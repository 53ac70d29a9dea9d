"""The email outbox: written with the change, rendered and sent once after commit.

The change's transaction writes the rows; after commit one task takes all of them
(one broker round trip however many people are told), and the worker renders each
email right before sending it. A row is sent only by whoever moves it from pending
to sending with a conditional UPDATE, so the task after commit and the sweep can
race and the email still goes out once. A failed send goes back to pending with
exponential backoff, and fails for good after OUTBOX_MAX_ATTEMPTS.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from feedback.emails import render_email
from feedback.models import EmailOutbox, OutboxStatus
from handoff import broker, tagged_json
from handoff.commit_batches import send_on_commit
from handoff.text import single_line

logger = logging.getLogger(__name__)


# Rows per task the sweep hands over: few enough that one send_emails task sends them all
# well inside its 60 s soft time limit.
SWEEP_BATCH = 20


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


# The task that sends a batch, set by feedback.apps: tasks sit above this module and import it.
_sender: dict[str, Any] = {}


def send_with(task: Any) -> None:
    """Name the Celery task enqueue_batch publishes (feedback.tasks.send_emails)."""
    _sender["task"] = task


def enqueue_batch(outbox_ids: list[int]) -> bool:
    """Hand the rows to one worker task; with the broker down the sweep sends them later."""
    return publish(_sender["task"], outbox_ids, rows="email(s)")


def publish(task: Any, ids: list[int], *, rows: str) -> bool:
    """Enqueue `task(ids)` once; False (logged) with the broker down, for the sweep to retry."""
    return broker.publish(task, (ids,), lost=f"{len(ids)} {rows} stay pending for the sweep.")


def enqueue_on_commit(outbox_ids: list[int]) -> None:
    """Send these rows after commit, in one task with the other rows of the transaction."""
    send_on_commit(enqueue_batch, outbox_ids)


def claim(outbox_id: int, *, now: datetime | None = None) -> bool:
    """Pending → sending. True for exactly one caller."""
    now = now or timezone.now()
    return bool(
        EmailOutbox.objects.filter(pk=outbox_id, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.SENDING, claimed_at=now
        )
    )


def deliver(outbox_id: int) -> bool:
    """Render and send one email if this call claims it. True when it was sent now."""
    return deliver_batch([outbox_id]) == 1


def deliver_batch(outbox_ids: list[int]) -> int:
    """Send each email this call claims, one after the other. How many were sent now.

    The rows and what they are about are read in one query, and the emails share one
    connection to the mail server; each is still claimed, sent and marked on its own, so a
    worker stopped mid-batch leaves the rest pending and repeats none.
    """
    emails = _pending(outbox_ids)
    sent = 0
    with _MailConnection() as connection:
        for outbox_id in outbox_ids:
            email = emails.get(outbox_id)
            if email is not None and claim(outbox_id):
                sent += _send(email, connection)
    return sent


def _pending(outbox_ids: list[int]) -> dict[int, EmailOutbox]:
    rows = EmailOutbox.objects.filter(pk__in=outbox_ids, status=OutboxStatus.PENDING)
    rows = rows.select_related(
        "notification__recipient",
        "notification__actor",
        "notification__deal__client",
        "notification__project__deal",
    )
    return {email.pk: email for email in rows}


def _send(email: EmailOutbox, connection: "_MailConnection") -> bool:
    """Render and send a claimed email; mark it sent, or count the failure."""
    if not email.text_body and email.notification is None:
        _cancel(email, "Not sent: its notification was deleted before it could be sent.")
        return False
    sending = False
    try:
        if not email.text_body:
            _render(email)
        message = EmailMultiAlternatives(
            subject=single_line(email.subject),  # rows stored before subjects were cleaned
            body=email.text_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to_address],
            connection=connection.backend,
        )
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        sending = True
        message.send(fail_silently=False)
    except Exception as exc:  # a template or transport failure: count it and let the sweep retry
        _record_failure(email, exc)
        if isinstance(exc, SoftTimeLimitExceeded):
            raise  # the task's time is up: the rest of its batch waits for the sweep
        if sending:
            connection.reset()  # the server may have dropped it: the next email opens anew
        return False
    # The bodies are kept as sent, so the outbox shows what each person received.
    EmailOutbox.objects.filter(pk=email.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        last_error="",
        subject=email.subject,
        text_body=email.text_body,
        html_body=email.html_body,
    )
    return True


class _MailConnection:
    """One connection to the mail server for a batch, opened for its first email to send and
    closed at the end.

    A server that cannot be reached leaves the backend unopened: each email then opens its
    own connection and fails, or is sent, on its own, as it would alone. After a failed send
    the connection is dropped, and the next email opens it afresh.
    """

    def __init__(self) -> None:
        self._backend: Any = None

    def __enter__(self) -> "_MailConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.reset()

    @property
    def backend(self) -> Any:
        if self._backend is None:
            self._backend = get_connection()
            try:
                self._backend.open()
            except Exception as exc:  # each email then reports its own failure
                logger.warning("Mail server not reached for a batch: %s", exc)
        return self._backend

    def reset(self) -> None:
        if self._backend is None:
            return
        backend, self._backend = self._backend, None
        try:
            backend.close()
        except Exception as exc:  # a connection already gone
            logger.warning("Mail connection not closed cleanly: %s", exc)


def _render(email: EmailOutbox) -> None:
    rendered = render_email(email.notification, tagged_json.decode(email.context))
    email.subject = rendered.subject
    email.text_body = rendered.text_body
    email.html_body = rendered.html_body


def _cancel(email: EmailOutbox, reason: str) -> None:
    EmailOutbox.objects.filter(pk=email.pk, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.CANCELLED, claimed_at=None, last_error=reason
    )
    logger.info("Email %s cancelled: %s", email.pk, reason)


def _record_failure(email: EmailOutbox, exc: Exception) -> None:
    # Read again: the row was loaded before this call claimed it.
    attempts = EmailOutbox.objects.values_list("attempts", flat=True).get(pk=email.pk) + 1
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
    """Re-enqueue the pending rows that are due, SWEEP_BATCH to a task; reclaim stuck ones."""
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
    for start in range(0, len(due), SWEEP_BATCH):
        batch = due[start : start + SWEEP_BATCH]
        if not enqueue_batch(batch):
            break  # the broker is down: the next sweep tries again
        enqueued += len(batch)
    return {"reclaimed": reclaimed, "enqueued": enqueued, "due": len(due)}
