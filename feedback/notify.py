"""Writing notifications: one row per recipient, and the outbox row of each who wants email now.

Called inside the transaction of the change, so a notification and its email are written
with the change or not at all; delivery is scheduled on commit.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from feedback.emails import email_subject
from feedback.models import (
    EmailChoice,
    EmailOutbox,
    Notification,
    email_category,
    email_choice,
)
from feedback.outbox import enqueue_on_commit, sweep_grace
from handoff import tagged_json
from handoff.models import User


def active_users(*roles: str) -> list[User]:
    return list(User.objects.filter(role__in=roles, is_active=True))


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    text: str,
    url: str = "",
    actor: User | None = None,
    deal: Any = None,
    project: Any = None,
    key: str = "",
    context: dict[str, Any] | None = None,
    personal: Mapping[int, dict[str, Any]] | None = None,
) -> list[Notification]:
    """Write one notification per recipient (never the actor) and its email if wanted now.

    With a `key`, a recipient who already had this notification gets nothing: the
    unique (recipient, key) makes a periodic check safe to run any number of times.
    `context` holds what the email's template needs beyond the notification, as plain
    values (dates and times included): the worker renders the email when it sends it.
    `personal` adds to it, by recipient id, what only that person's email says (their links).
    """
    people = _recipients(recipients, actor)
    if not people:
        return []
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            actor=actor,
            deal=deal,
            project=project,
            text=text[:300],
            url=url,
            key=key,
        )
        for user in people
    ]
    if key:
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue
            created.append(row)
    else:
        created = Notification.objects.bulk_create(rows)
    _queue_emails(created, context or {}, personal or {})
    return created


# What notify reads of each recipient; a user loaded without them is read again.
RECIPIENT_FIELDS = frozenset({"is_active", "email", "email_preferences"})


def _recipients(users: Iterable[User | None], actor: User | None) -> list[User]:
    """Each active recipient once, never the actor, in one query at most whoever they are."""
    people: dict[int, User] = {}
    for user in users:
        if user is not None and (actor is None or user.pk != actor.pk):
            people.setdefault(user.pk, user)
    partial = [pk for pk, user in people.items() if RECIPIENT_FIELDS & user.get_deferred_fields()]
    if partial:
        people.update(User.objects.in_bulk(partial))
    return [user for user in people.values() if user.is_active]


def _queue_emails(
    notifications: list[Notification],
    context: dict[str, Any],
    personal: Mapping[int, dict[str, Any]],
) -> None:
    """Write the outbox rows of those who want email now; the worker renders and sends them."""
    if not notifications:
        return
    category = email_category(notifications[0].kind, context)
    wanted = [
        notification
        for notification in notifications
        if notification.recipient.email
        and email_choice(notification.recipient, category) == EmailChoice.IMMEDIATE
    ]
    if not wanted:
        return
    # One notify call tells everyone the same thing, so one subject serves every row.
    subject = email_subject(wanted[0], context)
    next_attempt_at = timezone.now() + sweep_grace()
    shared = tagged_json.encode(context)
    emails = EmailOutbox.objects.bulk_create(
        EmailOutbox(
            recipient=notification.recipient,
            notification=notification,
            context=(
                tagged_json.encode({**context, **personal[notification.recipient_id]})
                if notification.recipient_id in personal
                else shared
            ),
            to_address=notification.recipient.email,
            kind=notification.kind,
            subject=subject,
            next_attempt_at=next_attempt_at,
        )
        for notification in wanted
    )
    enqueue_on_commit([email.pk for email in emails])
