"""Every write with a rule on webhook endpoints and their deliveries: managers only."""

import base64
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.webhooks_delivery import enqueue_on_commit
from feedback.webhooks_http import UrlRefused, check_url
from feedback.webhooks_models import (
    ChatChannel,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from handoff.errors import ActionForbidden, DomainError
from handoff.models import User
from handoff.roles import is_manager
from handoff.validators import validate_field_values

# After a rotation the old secret signs too for a day, so receivers can switch over.
PREVIOUS_SECRET_VALID = timedelta(hours=24)
MAX_URL = 500


def can_manage_webhooks(user: Any) -> bool:
    return is_manager(user)


def require_manager(actor: User) -> None:
    if not can_manage_webhooks(actor):
        raise ActionForbidden("Only managers set up webhooks and team chat.")


def generate_secret() -> str:
    """whsec_ and 24 random bytes in base64, as Standard Webhooks libraries read it."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def clean_target(*, url: Any, events: Any, errors: dict[str, str]) -> tuple[str, list[str]]:
    """The URL and events as stored; a problem with either goes into errors."""
    url = (url or "").strip() if isinstance(url, str) else ""
    if not url:
        errors["url"] = "Enter the URL to post to."
    elif len(url) > MAX_URL:
        errors["url"] = f"Keep the URL under {MAX_URL} characters."
    else:
        try:
            check_url(url)
        except UrlRefused as refused:
            errors["url"] = str(refused)
    chosen = list(events) if isinstance(events, list | tuple) else []
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown or not isinstance(events, list | tuple):
        errors["events"] = "Choose events from the list."
    elif not chosen:
        errors["events"] = "Choose at least one event."
    ordered = [e for e in WebhookEvent.values if e in chosen]
    return url, ordered


def _lock(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def webhook_create(*, actor: User, url: Any, events: Any, description: str = "") -> WebhookEndpoint:
    """The endpoint with its new secret, which the caller shows once."""
    require_manager(actor)
    errors: dict[str, str] = {}
    url, events = clean_target(url=url, events=events, errors=errors)
    description = (description or "").strip()
    if len(description) > 200:
        errors["description"] = "Keep the description under 200 characters."
    if errors:
        raise ValidationError(errors)
    validate_field_values(WebhookEndpoint, {"description": description})
    return WebhookEndpoint.objects.create(
        owner=actor, url=url, events=events, description=description, secret=generate_secret()
    )


@transaction.atomic
def webhook_update(
    *, endpoint: WebhookEndpoint, actor: User, url: Any, events: Any, description: str = ""
) -> WebhookEndpoint:
    require_manager(actor)
    endpoint = _lock(endpoint)
    errors: dict[str, str] = {}
    url, events = clean_target(url=url, events=events, errors=errors)
    description = (description or "").strip()
    if len(description) > 200:
        errors["description"] = "Keep the description under 200 characters."
    if errors:
        raise ValidationError(errors)
    validate_field_values(WebhookEndpoint, {"description": description})
    endpoint.url, endpoint.events, endpoint.description = url, events, description
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=["url", "events", "description", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_rotate_secret(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """A new secret, shown once; the old one signs as well for PREVIOUS_SECRET_VALID."""
    require_manager(actor)
    endpoint = _lock(endpoint)
    now = timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_VALID
    endpoint.secret = generate_secret()
    endpoint.updated_at = now
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    return endpoint


def set_active(target: WebhookEndpoint | ChatChannel, *, active: bool) -> None:
    """Turn on (checking the URL again: the allowed hosts may have changed) or off."""
    if target.active == active:
        return
    now = timezone.now()
    if active:
        try:
            check_url(target.url)
        except UrlRefused as refused:
            raise ValidationError({"url": str(refused)}) from None
        target.active, target.disabled_at, target.disabled_reason = True, None, ""
        target.failure_streak = 0
    else:
        target.active, target.disabled_at = False, now
        target.disabled_reason = "Turned off by hand."
    target.updated_at = now
    target.save(
        update_fields=["active", "disabled_at", "disabled_reason", "failure_streak", "updated_at"]
    )


@transaction.atomic
def webhook_set_active(*, endpoint: WebhookEndpoint, actor: User, active: bool) -> WebhookEndpoint:
    require_manager(actor)
    endpoint = _lock(endpoint)
    set_active(endpoint, active=active)
    return endpoint


@transaction.atomic
def webhook_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    """The endpoint and its delivery log; nothing more is posted to it."""
    require_manager(actor)
    _lock(endpoint).delete()


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """A new attempt of the same event (same id, same body), posted after commit."""
    require_manager(actor)
    delivery = WebhookDelivery.objects.select_related("endpoint", "channel").get(pk=delivery.pk)
    target = delivery.target
    if not target.active:
        raise DomainError(
            f"{target} is turned off: turn it on, then redeliver.", code="target_disabled"
        )
    if delivery.status in {DeliveryStatus.PENDING, DeliveryStatus.SENDING}:
        raise DomainError(
            "This event is still being delivered: wait for its attempts to finish.",
            code="delivery_in_progress",
        )
    now = timezone.now()
    again = WebhookDelivery.objects.create(
        kind=delivery.kind,
        endpoint=delivery.endpoint,
        channel=delivery.channel,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        created_at=now,
        next_attempt_at=now,
    )
    enqueue_on_commit([again.pk])
    return again
