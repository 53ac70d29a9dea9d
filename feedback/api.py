"""REST API of feedback: notes both ways and the user's notifications.

Reads come from feedback.selectors, writes go through feedback.services, the
same rules the pages use.
"""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from deals.selectors import commitments_visible_to, deals_visible_to
from feedback import selectors, services
from feedback.models import Direction, FeedbackNote, Notification, Topic
from handoff.api import ProblemSerializer, TextField
from handoff.models import User
from projects.selectors import projects_visible_to


class FeedbackNoteSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display_name", read_only=True)
    recipient_name = serializers.CharField(
        source="recipient.display_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = FeedbackNote
        fields = [
            "id",
            "direction",
            "topic",
            "body",
            "author",
            "author_name",
            "recipient",
            "recipient_name",
            "deal",
            "project",
            "commitment",
            "acknowledged_by",
            "acknowledged_at",
            "reply",
            "replied_by",
            "replied_at",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class _VisibleTo(serializers.PrimaryKeyRelatedField):
    """A related id the requesting user may see; anything else is 'does not exist'."""

    def __init__(self, visible, **kwargs):
        self.visible = visible
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.visible(self.context["request"].user)


class FeedbackNoteInputSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Direction.choices)
    topic = serializers.ChoiceField(choices=Topic.choices)
    body = TextField(max_length=5000)
    recipient = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    deal = _VisibleTo(deals_visible_to, required=False, allow_null=True)
    project = _VisibleTo(projects_visible_to, required=False, allow_null=True)
    commitment = _VisibleTo(commitments_visible_to, required=False, allow_null=True)


class NotificationSerializer(serializers.ModelSerializer):
    is_unread = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "text",
            "url",
            "deal",
            "project",
            "actor",
            "created_at",
            "read_at",
            "is_unread",
        ]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


FORBIDDEN = {403: OpenApiResponse(ProblemSerializer, description="Visible, but not yours to do.")}


class FeedbackNoteFilter(django_filters.FilterSet):
    """Ids as plain numbers: an id of a deal the user may not see finds nothing, exactly like
    an id that does not exist (a choice filter would answer 400 only for the missing one)."""

    deal = django_filters.NumberFilter(field_name="deal_id")
    project = django_filters.NumberFilter(field_name="project_id")
    recipient = django_filters.NumberFilter(field_name="recipient_id")
    author = django_filters.NumberFilter(field_name="author_id")

    class Meta:
        model = FeedbackNote
        fields = ["direction", "topic", "deal", "project", "recipient", "author"]


@extend_schema_view(
    list=extend_schema(summary="Feedback notes this user may see"),
    retrieve=extend_schema(summary="One feedback note"),
)
class FeedbackNoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = FeedbackNote.objects.none()
    serializer_class = FeedbackNoteSerializer
    filterset_class = FeedbackNoteFilter
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[FeedbackNote]:
        return selectors.notes_visible_to(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        summary="Write a note to sales or to delivery",
        request=FeedbackNoteInputSerializer,
        responses={201: FeedbackNoteSerializer, **FORBIDDEN},
    )
    def create(self, request: Request) -> Response:
        serializer = FeedbackNoteInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        note = services.note_create(author=request.user, **serializer.validated_data)
        note = self.get_queryset().get(pk=note.pk)
        return Response(FeedbackNoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Acknowledge this note (its recipient or receiving team)",
        request=None,
        responses={200: FeedbackNoteSerializer, **FORBIDDEN},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        note = services.note_acknowledge(note=self.get_object(), actor=request.user)
        return Response(FeedbackNoteSerializer(self.get_queryset().get(pk=note.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="The signed-in user's notifications, newest first"),
    retrieve=extend_schema(summary="One notification"),
)
class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    filterset_fields = ["kind"]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.notifications_for(self.request.user).order_by("-created_at", "-id")

    @extend_schema(summary="Mark this notification as read", request=None)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        services.notification_mark_read(notification=notification, user=request.user)
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark every notification as read", request=None, responses=ReadAllSerializer
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        marked = services.notifications_mark_all_read(user=request.user)
        return Response({"marked": marked})


router = SimpleRouter()
router.register("feedback", FeedbackNoteViewSet, basename="feedback-note")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
