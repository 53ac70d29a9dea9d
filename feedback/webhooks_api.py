"""REST API of webhook endpoints, managers only: the endpoints, their delivery logs, redelivery."""

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from feedback import webhooks_services
from feedback.webhooks_models import (
    ChatChannel,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from feedback.webhooks_selectors import deliveries_of, endpoints_visible_to
from handoff.api import ProblemSerializer, TextField

# Turning an endpoint or channel on checks its URL again: WEBHOOK_ALLOWED_HOSTS may have changed.
URL_REFUSED = {400: OpenApiResponse(description="Its URL is refused now, by field: `url`.")}
PROBLEMS = {
    403: OpenApiResponse(ProblemSerializer, description="Only managers set up webhooks."),
    409: OpenApiResponse(ProblemSerializer, description="Turned off, or still being delivered."),
}
EVENTS_HELP = "Event types to post: " + ", ".join(WebhookEvent.values)


class ManagesWebhooks(BasePermission):
    message = "Only managers set up webhooks and team chat."

    def has_permission(self, request, view) -> bool:
        return webhooks_services.can_manage_webhooks(request.user)


class EventsField(serializers.ListField):
    child = serializers.ChoiceField(choices=WebhookEvent.choices)

    def __init__(self, **kwargs):
        super().__init__(allow_empty=False, max_length=len(WebhookEvent.values), **kwargs)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), read_only=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "active",
            "failure_streak",
            "disabled_at",
            "disabled_reason",
            "last_delivered_at",
            "previous_secret_expires_at",
            "owner",
            "owner_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The endpoint and its signing secret: only in the answer that made the secret."""

    secret = serializers.CharField(read_only=True, help_text="whsec_…: shown this once.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = TextField(max_length=500, help_text="https, at a public address")
    events = EventsField(help_text=EVENTS_HELP)
    description = TextField(max_length=200, required=False, allow_blank=True, default="")


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "kind",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "response_code",
            "duration_ms",
            "response_excerpt",
            "last_error",
            "created_at",
            "attempted_at",
            "delivered_at",
            "payload",
        ]
        read_only_fields = fields


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.ChoiceFilter(choices=WebhookEvent.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type"]


class Managed(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ManagesWebhooks]

    def is_schema_only(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    def _input(self, serializer_class, request: Request, *, partial: bool = False) -> dict:
        serializer = serializer_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints (managers)"),
    retrieve=extend_schema(summary="One webhook endpoint (managers)"),
    destroy=extend_schema(summary="Delete an endpoint and its delivery log (managers)"),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, Managed
):
    serializer_class = WebhookEndpointSerializer
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        if self.is_schema_only():
            return WebhookEndpoint.objects.none()
        return endpoints_visible_to(self.request.user)

    @extend_schema(
        summary="Register an endpoint; the answer holds its secret, shown once (managers)",
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **PROBLEMS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = self._input(WebhookEndpointInputSerializer, request)
        endpoint = webhooks_services.webhook_create(actor=request.user, **data)
        return Response(
            WebhookEndpointWithSecretSerializer(self._fresh(endpoint)).data,
            status=status.HTTP_201_CREATED,
        )

    def _fresh(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        fresh = self.get_queryset().get(pk=endpoint.pk)
        fresh.secret = endpoint.secret
        return fresh

    @extend_schema(
        summary="Change the URL, events and description (managers)",
        request=WebhookEndpointInputSerializer,
        responses={200: WebhookEndpointSerializer, **PROBLEMS},
    )
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        summary="Change some of the URL, events and description (managers)",
        request=WebhookEndpointInputSerializer,
        responses={200: WebhookEndpointSerializer, **PROBLEMS},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        endpoint = self.get_object()
        data = self._input(WebhookEndpointInputSerializer, request, partial=partial)
        current = {"url": endpoint.url, "events": endpoint.events}
        current["description"] = endpoint.description
        webhooks_services.webhook_update(
            endpoint=endpoint, actor=request.user, **{**current, **data}
        )
        return Response(WebhookEndpointSerializer(self.get_queryset().get(pk=endpoint.pk)).data)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        webhooks_services.webhook_delete(endpoint=instance, actor=self.request.user)

    @extend_schema(
        summary="Make a new secret; the old one signs too for 24 hours (managers)",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = webhooks_services.webhook_rotate_secret(
            endpoint=self.get_object(), actor=request.user
        )
        return Response(WebhookEndpointWithSecretSerializer(self._fresh(endpoint)).data)

    @extend_schema(
        summary="Turn the endpoint on again; its URL is checked again (managers)",
        request=None,
        responses={200: WebhookEndpointSerializer, **URL_REFUSED, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        return self._set_active(True)

    @extend_schema(
        summary="Turn the endpoint off: nothing is posted to it (managers)",
        request=None,
        responses={200: WebhookEndpointSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str | None = None) -> Response:
        return self._set_active(False)

    def _set_active(self, active: bool) -> Response:
        endpoint = self.get_object()
        webhooks_services.webhook_set_active(
            endpoint=endpoint, actor=self.request.user, active=active
        )
        return Response(WebhookEndpointSerializer(self.get_queryset().get(pk=endpoint.pk)).data)


def target_param(name: str) -> list[OpenApiParameter]:
    return [OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH)]


class DeliveriesOf(mixins.ListModelMixin, mixins.RetrieveModelMixin, Managed):
    """The delivery log of one endpoint or channel, newest first, and redelivery."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    ordering_fields = ["created_at"]
    target_kwarg = ""

    def target(self) -> WebhookEndpoint | ChatChannel:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        if self.is_schema_only():
            return WebhookDelivery.objects.none()
        return deliveries_of(self.target())

    def _redeliver(self, request: Request) -> Response:
        again = webhooks_services.delivery_redeliver(delivery=self.get_object(), actor=request.user)
        return Response(DeliverySerializer(again).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="The endpoint's deliveries", parameters=target_param("webhook_pk")),
    retrieve=extend_schema(summary="One delivery", parameters=target_param("webhook_pk")),
)
class WebhookDeliveryViewSet(DeliveriesOf):
    def target(self) -> WebhookEndpoint:
        visible = endpoints_visible_to(self.request.user)
        return get_object_or_404(visible, pk=self.kwargs["webhook_pk"])

    @extend_schema(
        summary="Post the same event (same webhook-id) again",
        parameters=target_param("webhook_pk"),
        request=None,
        responses={201: DeliverySerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, **kwargs) -> Response:
        return self._redeliver(request)


router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<webhook_pk>\d+)/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery"
)

urlpatterns = router.urls
