"""Celery tasks of the feedback loop. Every one is safe to run twice.

send_email and send_emails claim each row with a conditional UPDATE, expand_announcements
deletes each announcement in the transaction that tells its people, review reminders claim
a unique ReviewReminder row, the lateness check writes notifications under a unique key,
digests claim a unique DigestDelivery row: so `acks_late` (redelivery after a worker dies)
cannot send anything twice.
"""

from celery import shared_task
from django.db import OperationalError as DatabaseUnavailable

from feedback import (
    announcements,
    digests,
    notifications,
    outbox,
    reminders,
    retention,
    webhooks_delivery,
)

# Redis redelivers an unacknowledged task after the visibility timeout (2 h), longer than
# any countdown here; retries are bounded and back off.
SAFE_TO_REPEAT = {
    "acks_late": True,
    "autoretry_for": (DatabaseUnavailable,),
    "reject_on_worker_lost": True,
    "max_retries": 3,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}


# Nothing enqueues it now; messages an older release queued still name it.
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=30, time_limit=60)
def send_email(outbox_id: int) -> bool:
    return outbox.deliver(outbox_id)


# The outbox rows of one transaction. Its hard limit stays within the sweep's `stuck_after`;
# rows the soft limit leaves unsent stay pending, and the sweep sends them.
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def send_emails(outbox_ids: list[int]) -> int:
    return outbox.deliver_batch(outbox_ids)


# The announcements of one transaction: each tells its people and queues their emails.
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def expand_announcements(announcement_ids: list[int]) -> int:
    return announcements.expand_batch(announcement_ids, tell=notifications.tell)


# Announcements a broker outage left behind first: they write outbox rows of their own.
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def sweep_outbox() -> dict[str, int]:
    announced = announcements.sweep()
    return {**outbox.sweep(), "announcements": announced["enqueued"]}


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def send_review_reminders() -> int:
    return reminders.send_review_reminders()


# The beat of an older release still names it; the reminders replaced the overdue check.
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def notify_overdue_reviews() -> int:
    return reminders.send_review_reminders()


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def notify_late_deliverables() -> int:
    return notifications.notify_late_deliverables()


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=1500, time_limit=1800)
def send_digests(period: str) -> dict[str, int]:
    return digests.send_digests(period=period)


# The webhook and chat deliveries of one transaction, in the order written; rows the soft
# limit leaves unsent stay pending, and the sweep posts them.
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def deliver_webhooks(delivery_ids: list[int]) -> int:
    return webhooks_delivery.deliver_batch(delivery_ids)


@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def sweep_webhooks() -> dict[str, int]:
    return webhooks_delivery.sweep()


# Batches of a bounded size within a time budget under the soft limit; the next run goes on.
@shared_task(**SAFE_TO_REPEAT, soft_time_limit=60, time_limit=90)
def prune_operational_rows() -> dict[str, int]:
    return retention.prune()
