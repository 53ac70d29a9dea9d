"""Posting webhook and chat deliveries: claimed once, signed, retried with backoff, then given up.

Rows are written in the transaction of the change; after commit one task posts them in the
order they were written. A row is posted only by whoever moves it from pending to sending
with a conditional UPDATE, so the task after commit and the sweep can race and the receiver
still sees each attempt once. A failed attempt goes back to pending with exponential backoff;
after WEBHOOK_MAX_ATTEMPTS the event has failed for good. An endpoint or channel is turned off,
and its manager told, when an event fails for good and nothing reached it since that event
was written (it was down for the whole retry window), or after WEBHOOK_MAX_FAILURES events
failed for good in a row.
"""

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from feedback.models import NotificationKind
from feedback.notify import notify
from feedback.webhooks_http import post_json
from feedback.webhooks_models import (
    ChatChannel,
    DeliveryKind,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from handoff import broker
from handoff.commit_batches import send_on_commit

logger = logging.getLogger(__name__)

# Rows per task the sweep hands over: each post takes at most 13 s (connect 3, read 10), so a
# task posts them all inside its 60 s soft time limit.
SWEEP_BATCH = 4
BACKOFF_FACTOR = 4
BACKOFF_CAP = timedelta(hours=6)


def max_attempts() -> int:
    return settings.WEBHOOK_MAX_ATTEMPTS


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: the base, then 4 and 16 times it (1, 4, 16, 64 minutes…),
    at most 6 hours."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * BACKOFF_FACTOR ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), BACKOFF_CAP)


def retry_window() -> timedelta:
    """From the first attempt to the last: how long a receiver may be down and lose nothing."""
    return sum((backoff(n) for n in range(1, max_attempts())), timedelta())


def stuck_after() -> timedelta:
    """A row still sending after the task's hard time limit was lost with its worker."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


# The task that posts a batch, set by feedback.apps: tasks sit above this module and import it.
_sender: dict[str, Any] = {}


def send_with(task: Any) -> None:
    _sender["task"] = task


def enqueue_batch(delivery_ids: list[int]) -> bool:
    """Hand the rows to one worker task; with the broker down the sweep posts them later."""
    return broker.publish(
        _sender["task"],
        (delivery_ids,),
        lost=f"{len(delivery_ids)} delivery(ies) wait for the sweep.",
    )


def enqueue_on_commit(delivery_ids: list[int]) -> None:
    """Post these rows after commit, in one task with the other rows of the transaction."""
    send_on_commit(enqueue_batch, delivery_ids)


# Signing


def body_of(delivery: WebhookDelivery) -> str:
    """The exact text posted and signed: compact JSON, keys in a stable order."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def signature_headers(
    endpoint: WebhookEndpoint, event_id: str, body: str, now: datetime
) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation the previous secret signs as well."""
    moment = now.astimezone(UTC)
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > now:
        secrets.append(endpoint.previous_secret)
    signatures = [Webhook(secret).sign(event_id, moment, body) for secret in secrets]
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


# Posting


def claim(delivery_id: int, *, now: datetime) -> bool:
    """Pending → sending. True for exactly one caller."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENDING, claimed_at=now
        )
    )


def deliver(delivery_id: int, *, now: datetime | None = None) -> bool:
    """Post one delivery if this call claims it. True when the receiver took it now."""
    now = now or timezone.now()
    if not claim(delivery_id, now=now):
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint", "channel").get(pk=delivery_id)
    target = delivery.target
    if not target.active:
        _finish(
            delivery,
            status=DeliveryStatus.FAILED,
            attempts=delivery.attempts,
            last_error=("Not sent: it was turned off. Turn it on and redeliver the event."),
        )
        return False
    body = body_of(delivery)
    headers = (
        signature_headers(delivery.endpoint, delivery.event_id, body, now)
        if delivery.kind == DeliveryKind.WEBHOOK
        else {}
    )
    try:
        result = post_json(target.url, body.encode(), headers)
    except SoftTimeLimitExceeded:
        _record_failure(delivery, now=now, error="The sending task ran out of time.")
        raise  # the rest of its batch waits for the sweep
    except Exception as exc:  # a URL the HTTP stack cannot take: count it, never leave it sending
        _record_failure(delivery, now=now, error=f"{type(exc).__name__}: {exc}")
        return False
    attempt = {
        "response_code": result.status_code,
        "duration_ms": result.duration_ms,
        "response_excerpt": result.excerpt,
        "attempted_at": now,
    }
    if not result.ok:
        _record_failure(delivery, now=now, error=result.error, **attempt)
        return False
    _finish(
        delivery,
        status=DeliveryStatus.DELIVERED,
        attempts=delivery.attempts + 1,
        delivered_at=now,
        last_error="",
        **attempt,
    )
    type(target).objects.filter(pk=target.pk).update(failure_streak=0, last_delivered_at=now)
    return True


def deliver_batch(delivery_ids: list[int]) -> int:
    """Post each delivery this call claims, in the order written. How many were taken now."""
    return sum(deliver(delivery_id) for delivery_id in sorted(delivery_ids))


def _finish(delivery: WebhookDelivery, *, status: str, **fields: Any) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=status, claimed_at=None, **fields
    )


def _record_failure(delivery: WebhookDelivery, *, now: datetime, error: str, **attempt) -> None:
    attempts = delivery.attempts + 1
    failed = attempts >= max_attempts()
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        claimed_at=None,
        last_error=error[:500],
        **attempt,
    )
    log = logger.error if failed else logger.warning
    log("Delivery %s failed (attempt %s): %s", delivery.pk, attempts, error)
    if failed:
        failed_for_good(delivery, now=now)


def failed_for_good(delivery: WebhookDelivery, *, now: datetime) -> bool:
    """Count the event against its endpoint or channel; turn it off if it is down. True if so."""
    model = WebhookEndpoint if delivery.kind == DeliveryKind.WEBHOOK else ChatChannel
    with transaction.atomic():
        target = model.objects.select_for_update().get(pk=delivery.target.pk)
        if not target.active:
            return False
        target.failure_streak += 1
        down = target.last_delivered_at is None or target.last_delivered_at < delivery.created_at
        if down:
            reason = "nothing reached it for the whole retry window (every attempt failed)."
        elif target.failure_streak >= settings.WEBHOOK_MAX_FAILURES:
            reason = f"the last {target.failure_streak} events failed after every retry."
        else:
            target.save(update_fields=["failure_streak"])
            return False
        last = delivery.last_error or "no answer"
        target.active = False
        target.disabled_at = now
        target.disabled_reason = f"Turned off: {reason} Last error: {last}"[:300]
        target.save(update_fields=["failure_streak", "active", "disabled_at", "disabled_reason"])
        _tell_owner(target, reason)
    return True


def _tell_owner(target: WebhookEndpoint | ChatChannel, reason: str) -> None:
    what = "webhook" if isinstance(target, WebhookEndpoint) else "chat channel"
    notify(
        recipients=[target.owner],
        kind=NotificationKind.INTEGRATION_DISABLED,
        text=f"Your {what} {target} was turned off: {reason}"[:300],
        url=target.get_absolute_url(),
        key=f"integration_disabled:{what}:{target.pk}:{target.disabled_at.isoformat()}"[:100],
        context={"topic_label": f"{what} {target}", "reason": reason},
    )


# The sweep


def sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Re-enqueue the pending rows that are due, SWEEP_BATCH to a task; reclaim stuck ones."""
    now = now or timezone.now()
    stuck = WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - stuck_after()
    )
    reclaimed = 0
    for pk, attempts in stuck.values_list("pk", "attempts"):
        reclaimed += WebhookDelivery.objects.filter(
            pk=pk, status=DeliveryStatus.SENDING, claimed_at__lt=now - stuck_after()
        ).update(
            status=DeliveryStatus.PENDING,
            attempts=attempts + 1,
            claimed_at=None,
            next_attempt_at=now,
            last_error="The sending worker stopped before finishing.",
        )
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    enqueued = 0
    for start in range(0, len(due), SWEEP_BATCH):
        batch = due[start : start + SWEEP_BATCH]
        if not enqueue_batch(batch):
            break  # the broker is down: the next sweep tries again
        enqueued += len(batch)
    return {"reclaimed": reclaimed, "enqueued": enqueued, "due": len(due)}
