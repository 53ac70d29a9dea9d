"""REST API of the teams' chat channels, managers only: the channels, their logs, redelivery."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from feedback import chat_services
from feedback.webhooks_api import (
    EVENTS_HELP,
    PROBLEMS,
    URL_REFUSED,
    DeliveriesOf,
    DeliverySerializer,
    EventsField,
    Managed,
    target_param,
)
from feedback.webhooks_models import ChatChannel, ChatKind, WebhookEvent
from feedback.webhooks_selectors import channels_visible_to
from handoff.api import TextField
from handoff.models import Team


class ChatChannelSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    url = serializers.CharField(source="masked_url", read_only=True, help_text="the host only")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True
    )

    class Meta:
        model = ChatChannel
        fields = [
            "id",
            "team",
            "team_name",
            "kind",
            "name",
            "url",
            "events",
            "active",
            "failure_streak",
            "disabled_at",
            "disabled_reason",
            "last_delivered_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ChatChannelInputSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    kind = serializers.ChoiceField(choices=ChatKind.choices)
    name = TextField(max_length=100, required=False, allow_blank=True, default="")
    url = TextField(max_length=500, help_text="the incoming-webhook URL (kept secret)")
    events = EventsField(help_text=EVENTS_HELP)


class ChatChannelUpdateSerializer(ChatChannelInputSerializer):
    url = TextField(
        max_length=500, required=False, help_text="a new incoming-webhook URL; omit to keep it"
    )


@extend_schema_view(
    list=extend_schema(summary="Teams' chat channels (managers)"),
    retrieve=extend_schema(summary="One chat channel (managers)"),
    destroy=extend_schema(summary="Delete a chat channel and its delivery log (managers)"),
)
class ChatChannelViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, Managed
):
    serializer_class = ChatChannelSerializer
    filterset_fields = ["team", "kind", "active"]

    def get_queryset(self) -> QuerySet[ChatChannel]:
        if self.is_schema_only():
            return ChatChannel.objects.none()
        return channels_visible_to(self.request.user)

    @extend_schema(
        summary="Add a chat channel to a team (managers)",
        request=ChatChannelInputSerializer,
        responses={201: ChatChannelSerializer, **PROBLEMS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self._input(ChatChannelInputSerializer, request)
        channel = chat_services.chat_channel_create(actor=request.user, **data)
        return Response(
            ChatChannelSerializer(self.get_queryset().get(pk=channel.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change a chat channel; without url it keeps its own (managers)",
        request=ChatChannelUpdateSerializer,
        responses={200: ChatChannelSerializer, **PROBLEMS},
    )
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        summary="Change some fields of a chat channel (managers)",
        request=ChatChannelUpdateSerializer,
        responses={200: ChatChannelSerializer, **PROBLEMS},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        channel = self.get_object()
        serializer = ChatChannelUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        current: dict[str, Any] = {
            "team": channel.team,
            "kind": channel.kind,
            "name": channel.name,
            "events": channel.events,
        }
        chat_services.chat_channel_update(
            channel=channel, actor=request.user, **{**current, **data}
        )
        return Response(ChatChannelSerializer(self.get_queryset().get(pk=channel.pk)).data)

    def perform_destroy(self, instance: ChatChannel) -> None:
        chat_services.chat_channel_delete(channel=instance, actor=self.request.user)

    @extend_schema(
        summary="Turn the channel on again; its URL is checked again (managers)",
        request=None,
        responses={200: ChatChannelSerializer, **URL_REFUSED, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        return self._set_active(True)

    @extend_schema(
        summary="Turn the channel off (managers)",
        request=None,
        responses={200: ChatChannelSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        return self._set_active(False)

    def _set_active(self, active: bool) -> Response:
        channel = self.get_object()
        chat_services.chat_channel_set_active(
            channel=channel, actor=self.request.user, active=active
        )
        return Response(ChatChannelSerializer(self.get_queryset().get(pk=channel.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="The channel's deliveries", parameters=target_param("channel_pk")),
    retrieve=extend_schema(summary="One delivery", parameters=target_param("channel_pk")),
)
class ChatDeliveryViewSet(DeliveriesOf):
    def target(self) -> ChatChannel:
        visible = channels_visible_to(self.request.user)
        return get_object_or_404(visible, pk=self.kwargs["channel_pk"])

    @extend_schema(
        summary="Post the same message again",
        parameters=target_param("channel_pk"),
        request=None,
        responses={201: DeliverySerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, **kwargs) -> Response:
        return self._redeliver(request)


router = SimpleRouter()
router.register("chat-channels", ChatChannelViewSet, basename="chat-channel")
router.register(
    r"chat-channels/(?P<channel_pk>\d+)/deliveries", ChatDeliveryViewSet, basename="chat-delivery"
)

urlpatterns = router.urls
