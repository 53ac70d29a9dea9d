"""Every write with a rule on the teams' chat channels: managers only, the webhooks' URL rules."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback.webhooks_models import ChatChannel, ChatKind
from feedback.webhooks_services import clean_target, require_manager, set_active
from handoff.models import Team, User
from handoff.validators import validate_field_values


def _check(*, team: Any, kind: Any, name: str, errors: dict[str, str]) -> str:
    if not isinstance(team, Team):
        errors["team"] = "Choose a team."
    if kind not in ChatKind.values:
        errors["kind"] = "Choose Slack or Microsoft Teams."
    name = (name or "").strip()
    if len(name) > 100:
        errors["name"] = "Keep the channel name under 100 characters."
    return name


@transaction.atomic
def chat_channel_create(
    *, actor: User, team: Any, kind: Any, url: Any, events: Any, name: str = ""
) -> ChatChannel:
    require_manager(actor)
    errors: dict[str, str] = {}
    name = _check(team=team, kind=kind, name=name, errors=errors)
    url, events = clean_target(url=url, events=events, errors=errors)
    if errors:
        raise ValidationError(errors)
    validate_field_values(ChatChannel, {"name": name})
    return ChatChannel.objects.create(
        team=team, kind=kind, name=name, url=url, events=events, created_by=actor
    )


def _lock(channel: ChatChannel) -> ChatChannel:
    return ChatChannel.objects.select_for_update().select_related("team").get(pk=channel.pk)


@transaction.atomic
def chat_channel_update(
    *,
    channel: ChatChannel,
    actor: User,
    team: Any,
    kind: Any,
    events: Any,
    name: str = "",
    url: Any = None,
) -> ChatChannel:
    """Without a url the channel keeps its own (it is a secret, so forms do not show it)."""
    require_manager(actor)
    channel = _lock(channel)
    errors: dict[str, str] = {}
    name = _check(team=team, kind=kind, name=name, errors=errors)
    url, events = clean_target(
        url=channel.url if url is None else url, events=events, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    validate_field_values(ChatChannel, {"name": name})
    channel.team, channel.kind, channel.name = team, kind, name
    channel.url, channel.events = url, events
    channel.updated_at = timezone.now()
    channel.save(update_fields=["team", "kind", "name", "url", "events", "updated_at"])
    return channel


@transaction.atomic
def chat_channel_set_active(*, channel: ChatChannel, actor: User, active: bool) -> ChatChannel:
    require_manager(actor)
    channel = _lock(channel)
    set_active(channel, active=active)
    return channel


@transaction.atomic
def chat_channel_delete(*, channel: ChatChannel, actor: User) -> None:
    require_manager(actor)
    _lock(channel).delete()
