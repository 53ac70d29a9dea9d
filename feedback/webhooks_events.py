"""From the audit events to deliveries: one row per endpoint and team channel that wants it.

The receivers run inside the transaction of the change, so a delivery is written with the
change or not at all, and posted after commit (feedback.webhooks_delivery). An event nobody
subscribed to costs two small queries and writes nothing.
"""

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from deals.models import ReviewRound
from feedback import chat_messages
from feedback.outbox import sweep_grace
from feedback.webhooks_delivery import enqueue_on_commit
from feedback.webhooks_models import (
    ChatChannel,
    DeliveryKind,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from feedback.webhooks_payloads import (
    DEAL_EVENTS,
    PROJECT_EVENTS,
    Outgoing,
    from_deal_event,
    from_note,
    from_project_event,
)
from handoff.models import Team


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _subscribed(event_type: str) -> tuple[list[WebhookEndpoint], list[ChatChannel]]:
    endpoints = WebhookEndpoint.objects.filter(active=True).only("id", "events", "active")
    channels = ChatChannel.objects.filter(active=True).only(
        "id", "events", "active", "team_id", "kind"
    )
    return (
        [e for e in endpoints if e.wants(event_type)],
        [c for c in channels if c.wants(event_type)],
    )


def _concerned(channels: list[ChatChannel], outgoing: Outgoing) -> list[ChatChannel]:
    """The channels of the teams this event concerns: a member or lead is part of it, or the
    event goes to every team of its kind."""
    if not channels:
        return []
    people = outgoing.people - {None}
    teams = set(
        Team.objects.filter(pk__in={c.team_id for c in channels})
        .filter(Q(kind__in=outgoing.team_kinds) | Q(members__in=people) | Q(lead__in=people))
        .values_list("pk", flat=True)
        .distinct()
    )
    return [c for c in channels if c.team_id in teams]


def write(event_type: str, build: Callable[[bool], Outgoing | None]) -> list[WebhookDelivery]:
    """Write the deliveries of one event; `build(for_chat)` makes it only if someone wants it."""
    endpoints, channels = _subscribed(event_type)
    if not endpoints and not channels:
        return []
    outgoing = build(bool(channels))
    if outgoing is None:
        return []
    channels = _concerned(channels, outgoing)
    now = timezone.now()
    event_id = new_event_id()
    common = {
        "event_id": event_id,
        "event_type": event_type,
        "created_at": now,
        "next_attempt_at": now + sweep_grace(),
    }
    body = {"type": event_type, "timestamp": now.isoformat(), "data": outgoing.data}
    rows = [
        WebhookDelivery(kind=DeliveryKind.WEBHOOK, endpoint=endpoint, payload=body, **common)
        for endpoint in endpoints
    ] + [
        WebhookDelivery(
            kind=DeliveryKind.CHAT,
            channel=channel,
            payload=chat_messages.render(channel.kind, outgoing.message),
            **common,
        )
        for channel in channels
    ]
    if not rows:
        return []
    created = WebhookDelivery.objects.bulk_create(rows)
    enqueue_on_commit([row.pk for row in created])
    return created


# Receivers, connected in feedback.apps


def on_deal_event(sender: Any, event: Any, **kwargs: Any) -> None:
    event_type = DEAL_EVENTS.get(event.kind)
    if event_type is None:
        return

    def build(for_chat: bool) -> Outgoing | None:
        reviewers: set[int] = set()
        if for_chat:
            reviewers = set(
                ReviewRound.objects.filter(deal_id=event.deal_id, reviewer__isnull=False)
                .values_list("reviewer_id", flat=True)
                .distinct()
            )
        return from_deal_event(event, reviewers=reviewers)

    write(event_type, build)


def on_project_event(sender: Any, event: Any, **kwargs: Any) -> None:
    event_type = PROJECT_EVENTS.get(event.kind)
    if event_type is not None:
        write(event_type, lambda for_chat: from_project_event(event))


def on_note_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs) -> None:
    """A note has no audit event of its own: its creation is the event."""
    if created and not raw:
        write(WebhookEvent.FEEDBACK_CREATED, lambda for_chat: from_note(instance))


def connect(task: Any) -> None:
    """Listen to the audit events and notes; post deliveries with this Celery task."""
    from deals.signals import deal_event_recorded
    from feedback import webhooks_delivery
    from feedback.models import FeedbackNote
    from projects.signals import project_event_recorded

    webhooks_delivery.send_with(task)
    deal_event_recorded.connect(on_deal_event, dispatch_uid="feedback.webhooks.deal")
    project_event_recorded.connect(on_project_event, dispatch_uid="feedback.webhooks.project")
    post_save.connect(on_note_saved, sender=FeedbackNote, dispatch_uid="feedback.webhooks.note")
