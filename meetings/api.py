"""REST API of the weekly sync: meetings (start, close) and action items (filter, status).

Reads come from meetings.selectors, writes go through meetings.services: the pages' rules.
"""

from datetime import timedelta

import django_filters
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
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

from handoff.api import ProblemSerializer
from handoff.errors import ActionForbidden
from handoff.models import Team, TeamKind, User
from handoff.validators import within_years
from meetings import rules, selectors, services
from meetings.models import ActionItem, ActionItemStatus, AgendaItem, Meeting, MeetingStatus
from meetings.selectors import DUE_CHOICES
from meetings.services._common import require_runner

FORBIDDEN = {403: OpenApiResponse(ProblemSerializer, description="Not an attendee nor a manager.")}
CONFLICT = {
    409: OpenApiResponse(ProblemSerializer, description="Not allowed from the meeting's status.")
}


class ActionItemSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    closed_by_name = serializers.CharField(
        source="closed_by.display_name", read_only=True, allow_null=True, default=None
    )
    is_overdue = serializers.BooleanField(read_only=True)
    carried_times = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "agenda_item",
            "what",
            "owner",
            "owner_name",
            "due_on",
            "deal",
            "commitment",
            "project",
            "note",
            "status",
            "is_overdue",
            "carried_times",
            "created_at",
            "closed_by",
            "closed_by_name",
            "closed_at",
        ]
        read_only_fields = fields


class AgendaItemSerializer(serializers.ModelSerializer):
    decision = serializers.CharField(
        source="decision.note", read_only=True, allow_null=True, default=None
    )
    action_taken = serializers.CharField(
        source="decision.action_taken", read_only=True, allow_null=True, default=None
    )
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "position",
            "section",
            "section_title",
            "title",
            "detail",
            "url",
            "action",
            "carried_times",
            "deal",
            "project",
            "note",
            "decision",
            "action_taken",
            "action_items",
        ]
        read_only_fields = fields


class AttendeeSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    present = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Recorded when the meeting closes."
    )


class MeetingSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    attendees = AttendeeSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "kind",
            "status",
            "held_on",
            "week_of",
            "sales_team",
            "delivery_team",
            "attendees",
            "started_at",
            "closed_at",
            "minutes_sent_to",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    agenda = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "agenda"]
        read_only_fields = fields

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_agenda(self, meeting: Meeting) -> list[dict]:
        user = self.context["request"].user
        items = (
            selectors.agenda_items_visible_to(user)
            .filter(meeting=meeting)
            .select_related("decision")
            .prefetch_related(
                Prefetch(
                    "action_items",
                    queryset=selectors.action_items_visible_to(user).order_by("due_on", "id"),
                )
            )
            .order_by("position")
        )
        return AgendaItemSerializer(items, many=True).data


class MeetingCreateSerializer(serializers.Serializer):
    held_on = serializers.DateField(validators=[within_years])
    sales_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(kind=TeamKind.SALES), required=False, allow_null=True
    )
    delivery_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(kind=TeamKind.DELIVERY), required=False, allow_null=True
    )


class MeetingCloseSerializer(serializers.Serializer):
    present = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, allow_empty=False
    )

    def validate_present(self, value: list) -> list:
        if len(value) > services.meetings.MAX_ATTENDEES:
            raise serializers.ValidationError("Too many people.")
        return value


class ActionItemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItemStatus.choices)


class MeetingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices)
    q = django_filters.CharFilter(method="search", max_length=200, label="Words in the minutes")

    class Meta:
        model = Meeting
        fields = ["status", "kind"]

    def search(self, queryset, name, value):
        wanted = selectors.meeting_list(user=self.request.user, q=value).values("pk")
        return queryset.filter(pk__in=wanted)


class ActionItemFilter(django_filters.FilterSet):
    owner = django_filters.NumberFilter(field_name="owner_id")
    status = django_filters.ChoiceFilter(choices=ActionItemStatus.choices)
    due = django_filters.ChoiceFilter(
        choices=list(DUE_CHOICES.items()), method="by_due", label="overdue or week"
    )
    meeting = django_filters.NumberFilter(field_name="meeting_id")

    class Meta:
        model = ActionItem
        fields = ["owner", "status", "due", "meeting"]

    def by_due(self, queryset, name, value):
        today = timezone.localdate()
        if value == selectors.DUE_OVERDUE:
            return queryset.filter(status=ActionItemStatus.OPEN, due_on__lt=today)
        return queryset.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7))


def _meetings(user: User) -> QuerySet[Meeting]:
    return (
        selectors.meetings_visible_to(user)
        .prefetch_related("attendees__user")
        .order_by("-held_on", "-id")
    )


@extend_schema_view(
    list=extend_schema(summary="Meetings of the weekly sync, newest first"),
    retrieve=extend_schema(
        summary="One meeting with its agenda, decisions and action items (those you may see)"
    ),
)
class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Meeting.objects.none()
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    ordering_fields = ["held_on"]

    def get_queryset(self) -> QuerySet[Meeting]:
        return _meetings(self.request.user)

    def get_serializer_class(self):
        return MeetingDetailSerializer if self.action == "retrieve" else MeetingSerializer

    def _answer(self, meeting: Meeting, code: int = status.HTTP_200_OK) -> Response:
        meeting = self.get_queryset().get(pk=meeting.pk)
        return Response(
            MeetingDetailSerializer(meeting, context={"request": self.request}).data, status=code
        )

    @extend_schema(
        summary="Call a meeting on demand (managers)",
        request=MeetingCreateSerializer,
        responses={201: MeetingDetailSerializer, **FORBIDDEN},
    )
    def create(self, request: Request) -> Response:
        if not rules.can_create_meeting(request.user):
            raise ActionForbidden("Only a manager can call a meeting.")
        data = MeetingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_create(actor=request.user, **data.validated_data)
        return self._answer(meeting, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Start the meeting: its agenda is frozen as it stands now",
        request=None,
        responses={200: MeetingDetailSerializer, **FORBIDDEN, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        meeting = services.meeting_start(meeting=self.get_object(), actor=request.user)
        return self._answer(meeting)

    @extend_schema(
        summary="Close the meeting: record who attended and send the minutes",
        request=MeetingCloseSerializer,
        responses={200: MeetingDetailSerializer, **FORBIDDEN, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        require_runner(meeting, request.user, "close it")
        data = MeetingCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_close(
            meeting=meeting, actor=request.user, present=data.validated_data["present"]
        )
        return self._answer(meeting)


@extend_schema_view(
    list=extend_schema(summary="Action items you may see (filters owner, status, due)"),
    retrieve=extend_schema(summary="One action item"),
)
class ActionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ActionItem.objects.none()
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_on", "created_at"]

    def get_queryset(self) -> QuerySet[ActionItem]:
        return (
            selectors.action_items_visible_to(self.request.user)
            .annotate(carried_times=Count("carry_overs"))
            .order_by("due_on", "id")
        )

    @extend_schema(
        summary="Mark an action item done or open again (its owner or a manager)",
        request=ActionItemStatusSerializer,
        responses={200: ActionItemSerializer, **FORBIDDEN},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        data = ActionItemStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.action_item_set_status(
            item=item, actor=request.user, status=data.validated_data["status"]
        )
        return Response(ActionItemSerializer(self.get_queryset().get(pk=item.pk)).data)


router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("action-items", ActionItemViewSet, basename="action-item")

urlpatterns = router.urls
