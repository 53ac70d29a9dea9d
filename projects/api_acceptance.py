"""REST API of customer acceptance: the requests of the projects a PM or manager may see.

Reads come from projects.acceptance_selectors (an invisible request, or a deliverable one may
not see, is a 404); sending, sending again and cancelling go through projects.acceptance, as
on the project page. The customer's own answer is the signed link's page only.
"""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from handoff.api import ProblemSerializer, TextField
from handoff.models import Role
from handoff.roles import HasRole
from projects import acceptance, acceptance_selectors, selectors
from projects.acceptance_models import MAX_CONTACT_NAME, AcceptanceRequest


class AcceptanceRequestSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="deliverable.project_id", read_only=True)
    summary = serializers.CharField(source="deliverable.summary", read_only=True)
    state = serializers.CharField(
        read_only=True,
        help_text="The status as the pages show it: pending, expired (pending past its "
        "time), accepted, declined or cancelled.",
    )

    class Meta:
        model = AcceptanceRequest
        fields = [
            "id",
            "deliverable",
            "project",
            "summary",
            "contact_name",
            "contact_email",
            "sent_by",
            "sent_at",
            "expires_at",
            "times_sent",
            "delivered_on",
            "status",
            "state",
            "decided_at",
            "rating",
            "comment",
            "cancelled_at",
        ]
        read_only_fields = fields


class AcceptanceSendSerializer(serializers.Serializer):
    deliverable = serializers.IntegerField(min_value=1, help_text="A delivered deliverable.")
    contact_name = TextField(max_length=MAX_CONTACT_NAME)
    contact_email = serializers.EmailField(max_length=254)


class AcceptanceFilter(django_filters.FilterSet):
    deliverable = django_filters.NumberFilter(field_name="deliverable_id")
    project = django_filters.NumberFilter(field_name="deliverable__project_id")
    state = django_filters.ChoiceFilter(
        choices=acceptance_selectors.STATES, method="filter_state", label="State"
    )

    class Meta:
        model = AcceptanceRequest
        fields = ["deliverable", "project", "state"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(acceptance_selectors.state_q(value))


PROBLEMS = {
    403: OpenApiResponse(
        ProblemSerializer, description="Reps, and PMs of other projects, may not."
    ),
    404: OpenApiResponse(ProblemSerializer, description="Not visible to you."),
    409: OpenApiResponse(
        ProblemSerializer,
        description="Not allowed now: not delivered, already waiting or accepted, already "
        "decided or cancelled, project completed.",
    ),
}


@extend_schema_view(
    list=extend_schema(summary="Customer acceptance requests of the projects this user may see"),
    retrieve=extend_schema(summary="One customer acceptance request"),
)
class AcceptanceRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [HasRole.of(Role.PM, Role.MANAGER, Role.ADMIN)]
    serializer_class = AcceptanceRequestSerializer
    filterset_class = AcceptanceFilter
    ordering_fields = ["sent_at", "decided_at"]
    queryset = AcceptanceRequest.objects.none()

    def get_queryset(self):
        return acceptance_selectors.acceptance_requests_visible_to(self.request.user).order_by(
            "-sent_at", "-id"
        )

    @extend_schema(
        summary="Send a delivered deliverable to a customer contact for acceptance",
        description="The contact gets an email with a signed link that works once, for 14 "
        "days; the link is never in an answer of the API.",
        request=AcceptanceSendSerializer,
        responses={201: AcceptanceRequestSerializer, **PROBLEMS},
    )
    def create(self, request: Request) -> Response:
        data = AcceptanceSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deliverable = selectors.deliverable_get_for_user(
            request.user, data.validated_data["deliverable"]
        )
        sent = acceptance.acceptance_send(
            deliverable=deliverable,
            actor=request.user,
            contact_name=data.validated_data["contact_name"],
            contact_email=data.validated_data["contact_email"],
        )
        return Response(AcceptanceRequestSerializer(sent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Send a pending request again: a new link, 14 more days, the old link stops",
        request=None,
        responses={200: AcceptanceRequestSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk=None) -> Response:
        sent = acceptance.acceptance_resend(acceptance=self.get_object(), actor=request.user)
        return Response(AcceptanceRequestSerializer(sent).data)

    @extend_schema(
        summary="Cancel a pending request: its link stops working for good",
        request=None,
        responses={200: AcceptanceRequestSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        cancelled = acceptance.acceptance_cancel(acceptance=self.get_object(), actor=request.user)
        return Response(AcceptanceRequestSerializer(cancelled).data)
