"""REST API of deals: serializers and viewsets.

Viewsets are thin: reads come from deals.selectors (so an invisible row is a 404),
writes go through deals.services (so every rule and audit event is the same as on
the pages). Serializers only shape data; `status` is read-only everywhere.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from deals import selectors, services
from deals.filters import CommitmentFilter, DealFilter, EscalationFilter, VerdictFilter
from deals.models import (
    Client,
    Comment,
    Commitment,
    CommitmentKind,
    Currency,
    Deal,
    DealEvent,
    Escalation,
    EscalationDecision,
    Verdict,
    VerdictKind,
)
from handoff.api import ProblemSerializer, TextField
from handoff.models import Role, User

# Serializers: output


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "industry", "created_at"]
        read_only_fields = fields


class CommitmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = [
            "id",
            "deal",
            "kind",
            "summary",
            "detail",
            "promised_date",
            "effort_days",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DealSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    commitment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "client",
            "client_name",
            "owner",
            "owner_name",
            "value",
            "currency",
            "expected_close_date",
            "expected_start_date",
            "description",
            "status",
            "lost_reason",
            "first_submitted_at",
            "version",
            "commitment_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DealDetailSerializer(DealSerializer):
    commitments = CommitmentSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "commitments"]
        read_only_fields = fields


class VerdictSerializer(serializers.ModelSerializer):
    deal = serializers.IntegerField(source="round.deal_id", read_only=True)
    round_number = serializers.IntegerField(source="round.number", read_only=True)
    decided_by_name = serializers.CharField(source="decided_by.display_name", read_only=True)

    class Meta:
        model = Verdict
        fields = [
            "id",
            "deal",
            "round",
            "round_number",
            "commitment",
            "commitment_version",
            "verdict",
            "reason",
            "condition",
            "counter_date",
            "counter_effort_days",
            "decided_by",
            "decided_by_name",
            "decided_at",
        ]
        read_only_fields = fields


class EscalationSerializer(serializers.ModelSerializer):
    commitment = serializers.IntegerField(source="verdict.commitment_id", read_only=True)
    commitment_summary = serializers.CharField(source="verdict.commitment.summary", read_only=True)
    flag_reason = serializers.CharField(source="verdict.reason", read_only=True)
    raised_by_name = serializers.CharField(source="raised_by.display_name", read_only=True)
    decided_by_name = serializers.CharField(
        source="decided_by.display_name", read_only=True, allow_null=True
    )

    class Meta:
        model = Escalation
        fields = [
            "id",
            "deal",
            "verdict",
            "commitment",
            "commitment_summary",
            "flag_reason",
            "raised_by",
            "raised_by_name",
            "raised_at",
            "argument",
            "decision",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class DealEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.display_name", read_only=True, allow_null=True)

    class Meta:
        model = DealEvent
        fields = [
            "id",
            "deal",
            "at",
            "kind",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "reason",
            "data",
        ]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display_name", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "deal", "author", "author_name", "body", "mentions", "created_at"]
        read_only_fields = fields


class CommentCreatedSerializer(CommentSerializer):
    not_notified = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Usernames mentioned who cannot see the deal, so were not notified.",
    )
    warning = serializers.CharField(read_only=True, help_text="Says who was not notified.")

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "not_notified", "warning"]
        read_only_fields = fields


# Serializers: input


class ClientInputSerializer(serializers.Serializer):
    name = TextField(max_length=200)
    industry = TextField(max_length=100, required=False, allow_blank=True, default="")


class CommitmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CommitmentKind.choices)
    summary = TextField(max_length=200)
    detail = TextField(required=False, allow_blank=True)
    promised_date = serializers.DateField()
    effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, required=False
    )


class _RefusesWorkflowFields(serializers.Serializer):
    """Status moves only through the actions; saying otherwise is a 400, not a silent no-op."""

    refused = ("status", "lost_reason", "first_submitted_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.initial_data, Mapping):
            errors = {
                name: "Status changes only through the workflow actions (submit, sign-off, win…)."
                for name in self.refused
                if name in self.initial_data
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class DealInputSerializer(_RefusesWorkflowFields):
    title = TextField(max_length=200)
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    expected_close_date = serializers.DateField()
    expected_start_date = serializers.DateField(required=False, allow_null=True)
    description = TextField(required=False, allow_blank=True)


class DealCreateSerializer(DealInputSerializer):
    # Counted before any item is validated: an over-long list costs nothing to refuse.
    commitments = CommitmentInputSerializer(
        many=True,
        required=False,
        max_length=settings.MAX_COMMITMENTS_PER_DEAL,
        help_text=f"At most {settings.MAX_COMMITMENTS_PER_DEAL} a deal.",
    )


class DealUpdateSerializer(DealInputSerializer):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The version you read; a different current version answers 409.",
    )


class CommitmentCreateSerializer(CommitmentInputSerializer):
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.none())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Another rep's deal does not exist as far as this user can tell.
            self.fields["deal"].queryset = selectors.deals_visible_to(request.user)


class CommitmentUpdateSerializer(CommitmentInputSerializer):
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The version you read; a different current version answers 409.",
    )


class VerdictInputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=VerdictKind.choices)
    reason = TextField(
        required=False, allow_blank=True, default="", help_text="Required for a flag."
    )
    condition = TextField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for an approval with a condition.",
    )
    counter_date = serializers.DateField(required=False, allow_null=True, default=None)
    counter_effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, required=False, allow_null=True, default=None
    )


class LoseInputSerializer(serializers.Serializer):
    reason = TextField(error_messages={"blank": "Say why the deal was lost."})


class ReviseInputSerializer(serializers.Serializer):
    reason = TextField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The version you read; a different current version answers 409.",
    )


class AssignInputSerializer(serializers.Serializer):
    reviewer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role=Role.PM)
    )


class WinInputSerializer(serializers.Serializer):
    project_manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, role=Role.PM),
        required=False,
        allow_null=True,
        default=None,
        help_text="Managers only: the PM who runs the project.",
    )


class EscalateInputSerializer(serializers.Serializer):
    argument = TextField(error_messages={"blank": "Say why the flag should be overruled."})


class EscalationDecideInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[(EscalationDecision.UPHELD, "Uphold"), (EscalationDecision.OVERRULED, "Overrule")]
    )
    reason = TextField(error_messages={"blank": "Give the reason for your decision."})


class CommentInputSerializer(serializers.Serializer):
    body = TextField(max_length=5000, error_messages={"blank": "Write something first."})


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


PROBLEMS = {
    403: OpenApiResponse(ProblemSerializer, description="Visible, but not yours to do."),
    409: OpenApiResponse(ProblemSerializer, description="Not allowed in the deal's status."),
}
DEAL_PATH = [OpenApiParameter("deal_pk", OpenApiTypes.INT, OpenApiParameter.PATH)]


# Viewsets


class ClientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ClientSerializer
    ordering_fields = ["name", "created_at"]

    def get_queryset(self) -> QuerySet[Client]:
        return selectors.clients_visible_to(self.request.user).order_by("name", "id")

    @extend_schema(request=ClientInputSerializer, responses={201: ClientSerializer, **PROBLEMS})
    def create(self, request: Request, *args, **kwargs) -> Response:
        client = services.client_create(
            actor=request.user, **_valid(ClientInputSerializer, request)
        )
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


def _transition(
    request_schema: type[serializers.Serializer] | None, url_path: str, summary: str
) -> Callable:
    """A POST action on one deal, documented the same way for every transition."""

    def decorate(method: Callable) -> Callable:
        method = action(detail=True, methods=["post"], url_path=url_path)(method)
        return extend_schema(
            summary=summary,
            request=request_schema,
            responses={200: DealDetailSerializer, **PROBLEMS},
        )(method)

    return decorate


@extend_schema_view(
    list=extend_schema(summary="Deals this user may see"),
    retrieve=extend_schema(summary="One deal with its commitments"),
)
class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DealSerializer
    filterset_class = DealFilter
    ordering_fields = ["updated_at", "created_at", "expected_close_date", "value", "title"]

    def get_queryset(self) -> QuerySet[Deal]:
        deals = selectors.deals_visible_to(self.request.user).annotate(
            commitment_count=selectors.commitment_count()
        )
        if self.action != "list":
            deals = deals.prefetch_related("commitments")
        return deals

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DealSerializer if self.action == "list" else DealDetailSerializer

    def _answer(self, deal: Deal, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().prefetch_related("commitments").get(pk=deal.pk)
        return Response(DealDetailSerializer(fresh).data, status=code)

    @extend_schema(request=DealCreateSerializer, responses={201: DealDetailSerializer, **PROBLEMS})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = dict(_valid(DealCreateSerializer, request))
        commitments = data.pop("commitments", [])
        deal = services.deal_create(actor=request.user, data=data, commitments=commitments)
        return self._answer(deal, status.HTTP_201_CREATED)

    @extend_schema(request=DealUpdateSerializer, responses={200: DealDetailSerializer, **PROBLEMS})
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=DealUpdateSerializer, responses={200: DealDetailSerializer, **PROBLEMS})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        deal = self.get_object()
        serializer = DealUpdateSerializer(
            data=request.data, partial=partial, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        deal = services.deal_update(
            deal=deal, actor=request.user, data=data, expected_version=version
        )
        return self._answer(deal)

    @extend_schema(responses={204: None, **PROBLEMS})
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.deal_delete(deal=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @_transition(None, "submit", "Submit for review")
    def submit(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        services.deal_submit(deal=deal, actor=request.user)
        return self._answer(deal)

    @_transition(None, "request-changes", "Request changes (reviewing PM)")
    def request_changes(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        services.deal_request_changes(deal=deal, actor=request.user)
        return self._answer(deal)

    @_transition(None, "sign-off", "Sign off (reviewing PM)")
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        services.deal_sign_off(deal=deal, actor=request.user)
        return self._answer(deal)

    @_transition(WinInputSerializer, "win", "Mark as won")
    def win(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = _valid(WinInputSerializer, request)
        services.deal_win(deal=deal, actor=request.user, project_manager=data["project_manager"])
        return self._answer(deal)

    @_transition(LoseInputSerializer, "lose", "Mark as lost")
    def lose(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = _valid(LoseInputSerializer, request)
        services.deal_lose(deal=deal, actor=request.user, reason=data["reason"])
        return self._answer(deal)

    @_transition(ReviseInputSerializer, "revise", "Revise (back to draft; voids a sign-off)")
    def revise(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = _valid(ReviseInputSerializer, request)
        services.deal_revise(
            deal=deal, actor=request.user, reason=data["reason"], expected_version=data["version"]
        )
        return self._answer(deal)

    @_transition(None, "claim", "Claim the open review (PM)")
    def claim(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        services.review_claim(deal=deal, actor=request.user)
        return self._answer(deal)

    @_transition(AssignInputSerializer, "assign", "Assign the open review to a PM (manager)")
    def assign(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = _valid(AssignInputSerializer, request)
        services.review_assign(deal=deal, actor=request.user, reviewer=data["reviewer"])
        return self._answer(deal)


class CommitmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    ordering_fields = ["id", "promised_date", "effort_days"]

    def get_queryset(self) -> QuerySet[Commitment]:
        return selectors.commitments_visible_to(self.request.user).order_by("deal_id", "id")

    @extend_schema(
        request=CommitmentCreateSerializer, responses={201: CommitmentSerializer, **PROBLEMS}
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = dict(_valid(CommitmentCreateSerializer, request))
        deal = data.pop("deal")
        commitment = services.commitment_add(deal=deal, actor=request.user, data=data)
        return Response(CommitmentSerializer(commitment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CommitmentUpdateSerializer, responses={200: CommitmentSerializer, **PROBLEMS}
    )
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        request=CommitmentUpdateSerializer, responses={200: CommitmentSerializer, **PROBLEMS}
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        commitment = self.get_object()
        serializer = CommitmentUpdateSerializer(
            data=request.data, partial=partial, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        commitment = services.commitment_update(
            commitment=commitment, actor=request.user, data=data, expected_version=version
        )
        return Response(CommitmentSerializer(commitment).data)

    @extend_schema(responses={204: None, **PROBLEMS})
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.commitment_remove(commitment=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rule on this commitment (reviewing PM)",
        request=VerdictInputSerializer,
        responses={200: VerdictSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def verdict(self, request: Request, pk: str | None = None) -> Response:
        commitment = self.get_object()
        data = _valid(VerdictInputSerializer, request)
        ruling = services.commitment_rule(commitment=commitment, actor=request.user, **data)
        ruling = selectors.verdicts_visible_to(request.user).get(pk=ruling.pk)
        return Response(VerdictSerializer(ruling).data)


class VerdictViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = VerdictSerializer
    filterset_class = VerdictFilter
    ordering_fields = ["decided_at", "id"]

    def get_queryset(self) -> QuerySet[Verdict]:
        return selectors.verdicts_visible_to(self.request.user).order_by("round_id", "id")

    @extend_schema(
        summary="Escalate this flag to a manager (deal owner)",
        request=EscalateInputSerializer,
        responses={201: EscalationSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        verdict = self.get_object()
        data = _valid(EscalateInputSerializer, request)
        escalation = services.verdict_escalate(
            verdict=verdict, actor=request.user, argument=data["argument"]
        )
        escalation = selectors.escalations_visible_to(request.user).get(pk=escalation.pk)
        return Response(EscalationSerializer(escalation).data, status=status.HTTP_201_CREATED)


class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter
    ordering_fields = ["raised_at", "decided_at"]

    def get_queryset(self) -> QuerySet[Escalation]:
        return selectors.escalations_visible_to(self.request.user).order_by("-raised_at", "-id")

    @extend_schema(
        summary="Uphold or overrule the flag (manager)",
        request=EscalationDecideInputSerializer,
        responses={200: EscalationSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        escalation = self.get_object()
        data = _valid(EscalationDecideInputSerializer, request)
        services.escalation_decide(
            escalation=escalation,
            actor=request.user,
            decision=data["decision"],
            reason=data["reason"],
        )
        escalation = self.get_queryset().get(pk=escalation.pk)
        return Response(EscalationSerializer(escalation).data)


class _OfOneDeal(viewsets.GenericViewSet):
    """Rows under /deals/{deal_pk}/…: the deal must be visible, or the answer is 404."""

    def deal(self) -> Deal:
        if not hasattr(self, "_deal"):
            self._deal = selectors.deal_get_for_user(self.request.user, self.kwargs["deal_pk"])
        return self._deal

    def is_schema_only(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


@extend_schema_view(list=extend_schema(summary="The deal's audit trail", parameters=DEAL_PATH))
class DealEventViewSet(mixins.ListModelMixin, _OfOneDeal):
    serializer_class = DealEventSerializer
    ordering_fields = ["at"]

    def get_queryset(self) -> QuerySet[DealEvent]:
        if self.is_schema_only():
            return DealEvent.objects.none()
        return selectors.deal_events(self.deal())


@extend_schema_view(
    list=extend_schema(summary="Comments on the deal", parameters=DEAL_PATH),
    create=extend_schema(
        summary="Comment (mention people with @username)",
        parameters=DEAL_PATH,
        request=CommentInputSerializer,
        responses={201: CommentCreatedSerializer},
    ),
)
class CommentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, _OfOneDeal):
    serializer_class = CommentSerializer
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[Comment]:
        if self.is_schema_only():
            return Comment.objects.none()
        return selectors.deal_comments(self.deal()).prefetch_related("mentions")

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = _valid(CommentInputSerializer, request)
        added = services.comment_add(deal=self.deal(), actor=request.user, body=data["body"])
        comment = self.get_queryset().get(pk=added.pk)
        comment.not_notified = added.not_notified
        comment.warning = services.mentions_left_out(added)
        return Response(CommentCreatedSerializer(comment).data, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("deals", DealViewSet, basename="deal")
router.register(r"deals/(?P<deal_pk>\d+)/events", DealEventViewSet, basename="deal-event")
router.register(r"deals/(?P<deal_pk>\d+)/comments", CommentViewSet, basename="deal-comment")
router.register("commitments", CommitmentViewSet, basename="commitment")
router.register("verdicts", VerdictViewSet, basename="verdict")
router.register("escalations", EscalationViewSet, basename="escalation")

urlpatterns = router.urls
