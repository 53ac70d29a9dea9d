"""REST API of delivery truth: time entries and change requests.

Reads come from projects.selectors_delivery (an invisible row, or a deliverable one may not
see, is a 404); every write goes through the services, as on the project page.
"""

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

from handoff.api import ProblemSerializer, TextField
from handoff.models import User
from projects import selectors, selectors_delivery, services_changes, services_time
from projects.models import ChangeRequest, TimeEntry

MAX_HOURS = 24

# Serializers


class TimeEntrySerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="deliverable.project_id", read_only=True)
    days = serializers.DecimalField(max_digits=7, decimal_places=3, read_only=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "deliverable",
            "project",
            "person",
            "day",
            "hours",
            "days",
            "note",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TimeEntryInputSerializer(serializers.Serializer):
    """Hours or person-days, one of them; the person is the caller unless the project's PM
    enters a colleague's time."""

    deliverable = serializers.IntegerField(min_value=1)
    person = serializers.IntegerField(min_value=1, required=False)
    day = serializers.DateField()
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, min_value=0, max_value=MAX_HOURS
    )
    days = serializers.DecimalField(
        max_digits=5, decimal_places=3, required=False, min_value=0, max_value=3
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    def validate(self, attrs):
        if ("hours" in attrs) == ("days" in attrs):
            raise serializers.ValidationError(
                {"hours": "Give the time in hours or in person-days, one of them."}
            )
        return attrs


class TimeEntryUpdateSerializer(TimeEntryInputSerializer):
    deliverable = None
    person = None


class ChangeApprovalSerializer(serializers.Serializer):
    approver = serializers.IntegerField(source="approver_id")
    requirements = serializers.ListField(source="requirement_keys", child=serializers.CharField())
    at = serializers.DateTimeField()


class ChangeRequirementSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    approver = serializers.ChoiceField(choices=["user", "pm", "manager"])
    required = serializers.IntegerField()
    met = serializers.BooleanField()
    approvers = serializers.ListField(child=serializers.IntegerField())


class ChangeRequestSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="deliverable.project_id", read_only=True)
    what = serializers.CharField(read_only=True)
    requirements = serializers.SerializerMethodField()
    approvals = ChangeApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "deliverable",
            "project",
            "raised_by",
            "side",
            "proposed_date",
            "proposed_effort_days",
            "descope",
            "current_date",
            "current_effort_days",
            "what",
            "reason",
            "status",
            "requirements",
            "approvals",
            "decided_by",
            "decided_at",
            "decision_reason",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ChangeRequirementSerializer(many=True))
    def get_requirements(self, change: ChangeRequest) -> list[dict]:
        return [
            {**state, "approvers": [user.pk for user in state["approvers"]]}
            for state in services_changes.requirement_states(change, list(change.approvals.all()))
        ]


class ChangeRequestInputSerializer(serializers.Serializer):
    deliverable = serializers.IntegerField(min_value=1)
    proposed_date = serializers.DateField(required=False, allow_null=True, default=None)
    proposed_effort_days = serializers.DecimalField(
        max_digits=7,
        decimal_places=1,
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=5000,
    )
    descope = serializers.BooleanField(required=False, default=False)
    reason = TextField(max_length=2000)


class RejectInputSerializer(serializers.Serializer):
    reason = TextField(max_length=2000)


def _input(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _person(pk: int | None) -> User | None:
    if pk is None:
        return None
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise serializers.ValidationError({"person": "No such person."})
    return person


PROBLEMS = {
    403: OpenApiResponse(ProblemSerializer, description="Visible, but not yours to do."),
    404: OpenApiResponse(ProblemSerializer, description="Not visible to you."),
    409: OpenApiResponse(
        ProblemSerializer, description="Not allowed now (project completed, already decided)."
    ),
}


# Viewsets


@extend_schema_view(
    list=extend_schema(summary="Time entries on the projects this user may see"),
    retrieve=extend_schema(summary="One time entry"),
)
class TimeEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TimeEntrySerializer
    filterset_class = selectors_delivery.TimeEntryFilter
    ordering_fields = ["day", "created_at"]
    queryset = TimeEntry.objects.none()

    def get_queryset(self):
        return selectors_delivery.time_entries_visible_to(self.request.user).order_by("-day", "-id")

    @extend_schema(
        summary="Enter time on a deliverable (project managers)",
        request=TimeEntryInputSerializer,
        responses={201: TimeEntrySerializer, **PROBLEMS},
    )
    def create(self, request: Request) -> Response:
        data = _input(TimeEntryInputSerializer, request)
        deliverable = selectors.deliverable_get_for_user(request.user, data["deliverable"])
        entry = services_time.time_entry_add(
            deliverable=deliverable,
            actor=request.user,
            person=_person(data.get("person")),
            day=data["day"],
            hours=data.get("hours"),
            days=data.get("days"),
            note=data["note"],
        )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change one's own time entry: its day, hours or person-days, and note",
        request=TimeEntryUpdateSerializer,
        responses={200: TimeEntrySerializer, **PROBLEMS},
    )
    def update(self, request: Request, *args, **kwargs) -> Response:
        entry = self.get_object()
        data = _input(TimeEntryUpdateSerializer, request)
        entry = services_time.time_entry_update(
            entry=entry,
            actor=request.user,
            day=data["day"],
            hours=data.get("hours"),
            days=data.get("days"),
            note=data["note"],
        )
        return Response(TimeEntrySerializer(entry).data)

    @extend_schema(
        summary="Remove one's own time entry (the project's history keeps a line)",
        responses={204: None, **PROBLEMS},
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services_time.time_entry_remove(entry=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Change requests on the projects this user may see"),
    retrieve=extend_schema(summary="One change request, with its requirements and approvals"),
)
class ChangeRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ChangeRequestSerializer
    filterset_class = selectors_delivery.ChangeRequestFilter
    ordering_fields = ["created_at", "decided_at"]
    queryset = ChangeRequest.objects.none()

    def get_queryset(self):
        return selectors_delivery.change_requests_visible_to(self.request.user).order_by(
            "-created_at", "-id"
        )

    def _answer(self, change: ChangeRequest, code: int = status.HTTP_200_OK) -> Response:
        change = selectors_delivery.change_requests_visible_to(self.request.user).get(pk=change.pk)
        return Response(ChangeRequestSerializer(change).data, status=code)

    @extend_schema(
        summary="Ask to change a promise: a new date, a new effort, or descoping "
        "(the project's PM or the deal's rep)",
        request=ChangeRequestInputSerializer,
        responses={201: ChangeRequestSerializer, **PROBLEMS},
    )
    def create(self, request: Request) -> Response:
        data = _input(ChangeRequestInputSerializer, request)
        deliverable = selectors.deliverable_get_for_user(request.user, data["deliverable"])
        change = services_changes.change_request_raise(
            deliverable=deliverable,
            actor=request.user,
            reason=data["reason"],
            proposed_date=data["proposed_date"],
            proposed_effort_days=data["proposed_effort_days"],
            descope=data["descope"],
        )
        return self._answer(change, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve the change (the other side's owner, or whoever a review rule requires)",
        request=None,
        responses={200: ChangeRequestSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        change = services_changes.change_request_approve(
            change=self.get_object(), actor=request.user
        )
        return self._answer(change)

    @extend_schema(
        summary="Reject the change, with a reason",
        request=RejectInputSerializer,
        responses={200: ChangeRequestSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        data = _input(RejectInputSerializer, request)
        change = services_changes.change_request_reject(
            change=change, actor=request.user, reason=data["reason"]
        )
        return self._answer(change)
