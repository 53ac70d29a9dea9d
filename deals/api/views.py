"""Viewsets of the deals API.

Viewsets are thin: reads come from deals.selectors (so an invisible row is a 404),
writes go through deals.services (so every rule and audit event is the same as on
the pages).
"""

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deals import selectors, services
from deals.api.common import DEAL_PATH, PROBLEMS, valid_input
from deals.api.review_serializers import ApprovalsMissingSerializer, DealApprovalsSerializer
from deals.api.serializers import (
    AssignInputSerializer,
    ClientInputSerializer,
    ClientSerializer,
    CommentCreatedSerializer,
    CommentInputSerializer,
    CommentSerializer,
    CommitmentCreateSerializer,
    CommitmentSerializer,
    CommitmentUpdateSerializer,
    DealCreateSerializer,
    DealDetailSerializer,
    DealEventSerializer,
    DealSerializer,
    DealUpdateSerializer,
    LoseInputSerializer,
    ReleaseInputSerializer,
    ReviseInputSerializer,
    VerdictInputSerializer,
    VerdictSerializer,
    WinInputSerializer,
)
from deals.filters import CommitmentFilter, DealFilter
from deals.models import Client, Comment, Commitment, Deal, DealEvent


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
            actor=request.user, **valid_input(ClientInputSerializer, request)
        )
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


def _transition(
    request_schema: type[serializers.Serializer] | None,
    url_path: str,
    summary: str,
    problems: dict | None = None,
) -> Callable:
    """A POST action on one deal, documented the same way for every transition."""

    def decorate(method: Callable) -> Callable:
        method = action(detail=True, methods=["post"], url_path=url_path)(method)
        return extend_schema(
            summary=summary,
            request=request_schema,
            responses={200: DealDetailSerializer, **(problems or PROBLEMS)},
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
        if self.action not in ("list", "approvals"):
            deals = deals.prefetch_related("commitments")
        return deals

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return DealSerializer if self.action == "list" else DealDetailSerializer

    def _answer(self, deal: Deal, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().prefetch_related("commitments").get(pk=deal.pk)
        return Response(DealDetailSerializer(fresh).data, status=code)

    @extend_schema(request=DealCreateSerializer, responses={201: DealDetailSerializer, **PROBLEMS})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = dict(valid_input(DealCreateSerializer, request))
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

    @_transition(
        None,
        "sign-off",
        "Sign off (lead reviewer)",
        {
            **PROBLEMS,
            409: OpenApiResponse(
                ApprovalsMissingSerializer,
                description="Not allowed now; approvals_missing names what is missing.",
            ),
        },
    )
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        services.deal_sign_off(deal=deal, actor=request.user)
        return self._answer(deal)

    @_transition(WinInputSerializer, "win", "Mark as won")
    def win(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = valid_input(WinInputSerializer, request)
        services.deal_win(deal=deal, actor=request.user, project_manager=data["project_manager"])
        return self._answer(deal)

    @_transition(LoseInputSerializer, "lose", "Mark as lost")
    def lose(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = valid_input(LoseInputSerializer, request)
        services.deal_lose(deal=deal, actor=request.user, reason=data["reason"])
        return self._answer(deal)

    @_transition(ReviseInputSerializer, "revise", "Revise (back to draft; voids a sign-off)")
    def revise(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = valid_input(ReviseInputSerializer, request)
        services.deal_revise(
            deal=deal, actor=request.user, reason=data["reason"], expected_version=data["version"]
        )
        return self._answer(deal)

    @_transition(None, "claim", "Claim the open review (PM)")
    def claim(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        services.review_claim(deal=deal, actor=request.user)
        return self._answer(deal)

    @_transition(
        AssignInputSerializer,
        "assign",
        "Assign the open review to a PM (manager), or hand it on (its lead reviewer)",
    )
    def assign(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = valid_input(AssignInputSerializer, request)
        services.review_assign(
            deal=deal, actor=request.user, reviewer=data["reviewer"], note=data["note"]
        )
        return self._answer(deal)

    @_transition(
        ReleaseInputSerializer, "release", "Give up the claim on the open review (lead reviewer)"
    )
    def release(self, request: Request, pk: str | None = None) -> Response:
        deal = self.get_object()
        data = valid_input(ReleaseInputSerializer, request)
        services.review_release(deal=deal, actor=request.user, note=data["note"])
        return self._answer(deal)

    @extend_schema(
        summary="Who must approve each commitment in the current round, and who has",
        description=(
            "The open round, or the latest when none is open (`open` says which); a deal never "
            "submitted has no round and no commitments here. Not paginated: a deal holds at "
            "most as many commitments as MAX_COMMITMENTS_PER_DEAL."
        ),
        responses={200: DealApprovalsSerializer},
    )
    @action(detail=True, methods=["get"])
    def approvals(self, request: Request, pk: str | None = None) -> Response:
        approvals = selectors.deal_approvals(self.get_object(), request.user)
        return Response(DealApprovalsSerializer(approvals).data)


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
        data = dict(valid_input(CommitmentCreateSerializer, request))
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
        summary="Rule on this commitment (whoever can meet one of its requirements)",
        request=VerdictInputSerializer,
        responses={200: VerdictSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def verdict(self, request: Request, pk: str | None = None) -> Response:
        commitment = self.get_object()
        data = valid_input(VerdictInputSerializer, request)
        ruling = services.commitment_rule(commitment=commitment, actor=request.user, **data)
        ruling = selectors.verdicts_visible_to(request.user).get(pk=ruling.pk)
        return Response(VerdictSerializer(ruling).data)


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
        data = valid_input(CommentInputSerializer, request)
        added = services.comment_add(deal=self.deal(), actor=request.user, body=data["body"])
        comment = self.get_queryset().get(pk=added.pk)
        comment.not_notified = added.not_notified
        comment.warning = services.mentions_left_out(added)
        return Response(CommentCreatedSerializer(comment).data, status=status.HTTP_201_CREATED)
