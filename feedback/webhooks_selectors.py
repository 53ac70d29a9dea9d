"""Reads of webhook endpoints, chat channels and their delivery logs: managers see them all."""

from django.db.models import OuterRef, QuerySet, Subquery

from feedback.webhooks_models import ChatChannel, WebhookDelivery, WebhookEndpoint
from handoff.roles import is_manager


def _with_last_delivery(queryset: QuerySet, target: str) -> QuerySet:
    last = WebhookDelivery.objects.filter(**{target: OuterRef("pk")}).order_by("-created_at", "-id")
    return queryset.annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
    )


def endpoints_visible_to(user) -> QuerySet[WebhookEndpoint]:
    """Every endpoint for a manager (any manager may look after them), none for anyone else."""
    if not is_manager(user):
        return WebhookEndpoint.objects.none()
    return _with_last_delivery(
        WebhookEndpoint.objects.select_related("owner").order_by("-created_at", "-id"),
        "endpoint",
    )


def channels_visible_to(user) -> QuerySet[ChatChannel]:
    if not is_manager(user):
        return ChatChannel.objects.none()
    return _with_last_delivery(
        ChatChannel.objects.select_related("team", "created_by").order_by("team__name", "id"),
        "channel",
    )


def deliveries_of(target: WebhookEndpoint | ChatChannel) -> QuerySet[WebhookDelivery]:
    """The target's delivery log, newest first."""
    field = "endpoint" if isinstance(target, WebhookEndpoint) else "channel"
    return WebhookDelivery.objects.filter(**{field: target}).order_by("-created_at", "-id")


def deliveries_visible_to(user) -> QuerySet[WebhookDelivery]:
    if not is_manager(user):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.select_related("endpoint", "channel__team")
