"""Viewsets of the review's own records: verdicts, escalations and managers' review rules."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from deals import rules, selectors, services
from deals.api.common import PROBLEMS, valid_input
from deals.api.review_serializers import (
    ReviewRuleInputSerializer,
    ReviewRuleListQuerySerializer,
    ReviewRuleSerializer,
)
from deals.api.serializers import (
    CommitmentSerializer,
    EscalateInputSerializer,
    EscalationDecideInputSerializer,
    EscalationSerializer,
    VerdictSerializer,
)
from deals.filters import EscalationFilter, VerdictFilter
from deals.models import Escalation, ReviewRule, Verdict
from handoff.api import refuse_empty_parameters


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
        data = valid_input(EscalateInputSerializer, request)
        escalation = services.verdict_escalate(
            verdict=verdict, actor=request.user, argument=data["argument"]
        )
        escalation = selectors.escalations_visible_to(request.user).get(pk=escalation.pk)
        return Response(EscalationSerializer(escalation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept this flag's counter-proposal as it stands (deal owner)",
        description=(
            "The commitment takes the proposed date and effort (a new version), the deal goes "
            "back to draft, and its next round carries the proposer's approval of that version. "
            "Answers the commitment as it is now."
        ),
        request=None,
        responses={200: CommitmentSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"], url_path="accept-counter")
    def accept_counter(self, request: Request, pk: str | None = None) -> Response:
        commitment = services.verdict_accept_counter(verdict=self.get_object(), actor=request.user)
        return Response(CommitmentSerializer(commitment).data)


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
        data = valid_input(EscalationDecideInputSerializer, request)
        services.escalation_decide(
            escalation=escalation,
            actor=request.user,
            decision=data["decision"],
            reason=data["reason"],
        )
        escalation = self.get_queryset().get(pk=escalation.pk)
        return Response(EscalationSerializer(escalation).data)


class ManagesReviewRules(BasePermission):
    """Managers only, on every verb: the rule deals.rules.can_manage_review_rules."""

    message = "Only a manager manages review rules."

    def has_permission(self, request: Request, view) -> bool:
        return bool(rules.can_manage_review_rules(request.user))


RULE_CHANGED = (
    "Writes the rule's next version and retires this one: the answer is the new version, with "
    "a new id (the same `key`). Rounds already submitted keep the requirements they had. "
    "Nothing changed answers the rule as it is. A retired version answers 409 rule_not_live."
)
RULE_RETIRED = (
    "The rule stops applying to rounds submitted from now on; rounds already submitted keep "
    "it. Answers 200 with the retired rule, as POST …/retire/ does."
)


@extend_schema_view(
    list=extend_schema(
        summary="Review rules (managers): the live ones, or every version",
        parameters=[ReviewRuleListQuerySerializer],
    ),
    retrieve=extend_schema(summary="One version of a review rule (managers)"),
)
class ReviewRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewRuleSerializer
    permission_classes = [IsAuthenticated, ManagesReviewRules]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self) -> QuerySet[ReviewRule]:
        if getattr(self, "swagger_fake_view", False):
            return ReviewRule.objects.none()
        # A version is read, changed or retired by its id; only the list hides retired ones.
        every_version = self.action != "list" or self._include_retired()
        return selectors.review_rules_visible_to(self.request.user, include_retired=every_version)

    def _include_retired(self) -> bool:
        refuse_empty_parameters(self.request.query_params, ["include_retired"])
        query = ReviewRuleListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data["include_retired"]

    @extend_schema(
        summary="Add a review rule (managers)",
        request=ReviewRuleInputSerializer,
        responses={201: ReviewRuleSerializer, **PROBLEMS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = dict(valid_input(ReviewRuleInputSerializer, request))
        rule = services.review_rule_create(actor=request.user, data=data)
        return Response(ReviewRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a review rule: every field (managers)",
        description=RULE_CHANGED,
        request=ReviewRuleInputSerializer,
        responses={200: ReviewRuleSerializer, **PROBLEMS},
    )
    def update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        summary="Change some fields of a review rule (managers)",
        description=RULE_CHANGED,
        request=ReviewRuleInputSerializer,
        responses={200: ReviewRuleSerializer, **PROBLEMS},
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        rule = self.get_object()
        serializer = ReviewRuleInputSerializer(
            data=request.data, partial=partial, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        rule = services.review_rule_update(
            rule=rule, actor=request.user, data=dict(serializer.validated_data)
        )
        return Response(ReviewRuleSerializer(rule).data)

    @extend_schema(
        summary="Retire a review rule (managers)",
        description=RULE_RETIRED,
        responses={200: ReviewRuleSerializer, **PROBLEMS},
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        return self._retire()

    @extend_schema(
        summary="Retire a review rule (managers)",
        description=RULE_RETIRED,
        request=None,
        responses={200: ReviewRuleSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: str | None = None) -> Response:
        return self._retire()

    def _retire(self) -> Response:
        rule = services.review_rule_retire(rule=self.get_object(), actor=self.request.user)
        return Response(ReviewRuleSerializer(rule).data)
