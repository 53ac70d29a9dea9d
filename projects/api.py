"""REST API of projects: serializers and viewsets.

Reads come from projects.selectors (an invisible row is a 404); the one write,
a deliverable's status, goes through projects.services, as on the pages.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from handoff.api import ProblemSerializer, TextField, refuse_empty_parameters
from handoff.models import Role
from handoff.roles import HasRole
from projects import api_delivery, selectors, selectors_delivery, services
from projects.api_acceptance import AcceptanceRequestViewSet
from projects.api_calibration import CalibrationViewSet
from projects.models import Deliverable, DeliverableStatus, Project, ProjectStatus

# Serializers


class ProjectSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="deal.title", read_only=True)
    client = serializers.CharField(source="deal.client.name", read_only=True)
    sales_rep = serializers.IntegerField(source="deal.owner_id", read_only=True)
    deliverable_count = serializers.IntegerField(read_only=True)
    late_count = serializers.IntegerField(read_only=True)
    at_risk_count = serializers.IntegerField(read_only=True)
    kept_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "deal",
            "title",
            "client",
            "sales_rep",
            "pm",
            "status",
            "start_date",
            "customer_context",
            "stakeholders",
            "risks",
            "promised_outside_commitments",
            "accepted_at",
            "created_at",
            "deliverable_count",
            "late_count",
            "at_risk_count",
            "kept_count",
        ]
        read_only_fields = fields


class DeliverableSerializer(serializers.ModelSerializer):
    is_late = serializers.BooleanField(read_only=True)
    is_kept = serializers.BooleanField(read_only=True, help_text="Kept as sold.")
    is_kept_as_renegotiated = serializers.BooleanField(read_only=True)
    actual_hours = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        read_only=True,
        default=None,
        help_text="Hours entered on it (/api/v1/time-entries/).",
    )

    class Meta:
        model = Deliverable
        fields = [
            "id",
            "project",
            "commitment",
            "kind",
            "summary",
            "promised_date",
            "effort_days",
            "condition",
            "status",
            "status_reason",
            "delivered_on",
            "slip_days",
            "is_late",
            "is_kept",
            "estimate_days",
            "renegotiated_date",
            "renegotiated_effort_days",
            "descoped_by_change",
            "is_kept_as_renegotiated",
            "actual_hours",
            "updated_at",
        ]
        read_only_fields = fields


class DeliverableStatusSerializer(serializers.Serializer):
    """Input of PATCH: the status and what it needs (a reason, or the delivery date)."""

    status = serializers.ChoiceField(choices=DeliverableStatus.choices)
    status_reason = TextField(required=False, allow_blank=True, default="")
    delivered_on = serializers.DateField(required=False, allow_null=True, default=None)


class CapacityWeekSerializer(serializers.Serializer):
    pm = serializers.IntegerField()
    pm_name = serializers.CharField()
    week_start = serializers.DateField()
    iso_week = serializers.IntegerField()
    capacity_days = serializers.DecimalField(max_digits=6, decimal_places=2)
    load_days = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text="Committed: open deliverables of won deals."
    )
    over_capacity = serializers.BooleanField()
    tentative_days = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        help_text="Deals in review or signed off that this PM reviews, weighted by the chance "
        "such a deal is won (learned from the last 12 months); not part of load_days.",
    )
    over_capacity_with_tentative = serializers.BooleanField()


# Filters


class ProjectFilter(django_filters.FilterSet):
    # Plain ids: an unknown deal or PM is an empty list, not a validation error.
    deal = django_filters.NumberFilter(field_name="deal_id")
    pm = django_filters.NumberFilter(field_name="pm_id")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)

    class Meta:
        model = Project
        fields = ["deal", "status", "pm"]


class DeliverableFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    commitment = django_filters.NumberFilter(field_name="commitment_id")
    status = django_filters.ChoiceFilter(choices=DeliverableStatus.choices)

    class Meta:
        model = Deliverable
        fields = ["project", "status", "commitment"]


# Viewsets


@extend_schema_view(
    list=extend_schema(summary="Projects this user may see"),
    retrieve=extend_schema(summary="One project"),
)
class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["created_at", "start_date"]
    queryset = Project.objects.none()

    def get_queryset(self):
        return selectors.project_list(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Deliverables of the projects this user may see"),
    retrieve=extend_schema(summary="One deliverable"),
)
class DeliverableViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DeliverableSerializer
    filterset_class = DeliverableFilter
    ordering_fields = ["promised_date", "updated_at"]
    queryset = Deliverable.objects.none()

    def get_queryset(self):
        return selectors_delivery.with_logged_hours(
            selectors.deliverables_visible_to(self.request.user)
        ).order_by("promised_date", "id")

    @extend_schema(
        summary="Set a deliverable's status (the project's PM or a manager)",
        request=DeliverableStatusSerializer,
        responses={
            200: DeliverableSerializer,
            403: OpenApiResponse(ProblemSerializer, description="Reps and other PMs may not."),
            409: OpenApiResponse(ProblemSerializer, description="The project is completed."),
        },
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        deliverable = self.get_object()
        data = DeliverableStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deliverable = services.deliverable_update_status(
            deliverable=deliverable,
            actor=request.user,
            status=data.validated_data["status"],
            reason=data.validated_data["status_reason"],
            delivered_on=data.validated_data["delivered_on"],
        )
        deliverable = self.get_queryset().get(pk=deliverable.pk)
        return Response(DeliverableSerializer(deliverable).data)


class CapacityViewSet(viewsets.GenericViewSet):
    """Per PM and ISO week: capacity and the load committed by open deliverables."""

    permission_classes = [HasRole.of(Role.PM, Role.MANAGER, Role.ADMIN)]
    serializer_class = CapacityWeekSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Capacity, committed load and tentative load per PM and week",
        parameters=[
            OpenApiParameter("pm", OpenApiTypes.INT, description="Only this project manager."),
            OpenApiParameter(
                "weeks",
                OpenApiTypes.INT,
                description="How many weeks from this one (1-52).",
                default=12,
            ),
        ],
        responses={200: CapacityWeekSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        refuse_empty_parameters(request.query_params, ("pm", "weeks"))
        params = CapacityParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        pm = params.validated_data.get("pm")
        team = selectors.team_capacity(
            weeks=params.validated_data["weeks"], pm_ids=[pm] if pm else None
        )
        rows = [
            {
                "pm": row.pm.pk,
                "pm_name": str(row.pm),
                "week_start": cell["week"],
                "iso_week": cell["iso_week"],
                "capacity_days": cell["capacity"],
                "load_days": cell["load"],
                "over_capacity": cell["over"],
                "tentative_days": cell["tentative"],
                "over_capacity_with_tentative": cell["over_with_tentative"],
            }
            for row in team["rows"]
            for cell in row.cells
        ]
        return Response(CapacityWeekSerializer(rows, many=True).data)


class CapacityParams(serializers.Serializer):
    pm = serializers.IntegerField(required=False, min_value=1)
    weeks = serializers.IntegerField(required=False, default=12, min_value=1, max_value=52)


router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("deliverables", DeliverableViewSet, basename="deliverable")
router.register("capacity", CapacityViewSet, basename="capacity")
router.register("time-entries", api_delivery.TimeEntryViewSet, basename="time-entry")
router.register("change-requests", api_delivery.ChangeRequestViewSet, basename="change-request")
router.register("calibration", CalibrationViewSet, basename="calibration")
router.register("acceptance-requests", AcceptanceRequestViewSet, basename="acceptance-request")
urlpatterns = router.urls
