"""The CRM's door: PUT /api/v1/deals/external/{source}/{external_id}/ creates or updates a draft.

Who may bring deals in is one permission, `CanBringDealsIn`, shared with the file import.
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deals import rules, selectors
from deals.api.common import PROBLEMS
from deals.api.serializers import CommitmentInputSerializer, DealDetailSerializer
from deals.models import MAX_EXTERNAL_ID_LENGTH, MAX_SOURCE_LENGTH, Currency
from deals.models.intake import source_slug
from deals.services import intake
from handoff.api import TextField
from handoff.models import User
from handoff.token_models import TokenScope
from handoff.validators import single_line

SOURCE_PATTERN = rf"[a-z0-9][a-z0-9_-]{{0,{MAX_SOURCE_LENGTH - 1}}}"
EXTERNAL_ID_PATTERN = rf"[^/]{{1,{MAX_EXTERNAL_ID_LENGTH}}}"


class CanBringDealsIn(permissions.BasePermission):
    """Sales reps (their own deals) and managers: the one check of every intake endpoint."""

    message = "Only sales reps and managers bring deals in."

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and rules.can_import(user))


def find_owner(value: str) -> User:
    """An active sales rep or manager by username or email; else a ValidationError to show."""
    value = value.strip()
    matches = list(
        User.objects.filter(Q(username=value) | Q(email__iexact=value), is_active=True)[:2]
    )
    if len(matches) != 1 or not rules.can_own_deals(matches[0]):
        raise serializers.ValidationError(
            f"No active sales rep or manager has the username or email {value!r}."
        )
    return matches[0]


class OwnerField(TextField):
    def to_internal_value(self, data) -> User:
        return find_owner(super().to_internal_value(data))

    def to_representation(self, value) -> str:
        return value.username


class ExternalCommitmentSerializer(CommitmentInputSerializer):
    external_id = TextField(
        max_length=MAX_EXTERNAL_ID_LENGTH, help_text="The commitment's id in your system."
    )


class ExternalDealSerializer(serializers.Serializer):
    title = TextField(max_length=200)
    client = TextField(max_length=200, help_text="The client's name: matched, or added.")
    client_external_id = TextField(
        max_length=MAX_EXTERNAL_ID_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The client's id in your system: matched first.",
    )
    owner = OwnerField(
        required=False,
        help_text="Username or email of an active sales rep or manager; you, if left out.",
    )
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    expected_close_date = serializers.DateField()
    expected_start_date = serializers.DateField(required=False, allow_null=True)
    description = TextField(required=False, allow_blank=True)
    commitments = ExternalCommitmentSerializer(
        many=True,
        max_length=settings.MAX_COMMITMENTS_PER_DEAL,
        help_text="All of the deal's commitments from your system; one left out is removed.",
    )

    def validate_commitments(self, value: list[dict]) -> list[dict]:
        seen: set[str] = set()
        for item in value:
            if item["external_id"] in seen:
                raise serializers.ValidationError(
                    f"The external id {item['external_id']!r} is given twice."
                )
            seen.add(item["external_id"])
        return value


class UpsertResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(
        choices=[intake.CREATED, intake.UPDATED, intake.UNCHANGED],
        help_text="unchanged: the deal already read so; nothing was written.",
    )
    deal = DealDetailSerializer()


def incoming_from(source: str, external_id: str, data: dict) -> intake.Incoming:
    data = dict(data)
    return intake.Incoming(
        source=source,
        external_id=external_id,
        client_name=data.pop("client"),
        client_external_id=data.pop("client_external_id", ""),
        owner=data.pop("owner", None),
        commitments=data.pop("commitments", []),
        data=data,
    )


def check_path(source: str, external_id: str) -> None:
    errors = {}
    for name, value, validators in (
        ("source", source, [source_slug]),
        ("external_id", external_id, [single_line]),
    ):
        try:
            for validate in validators:
                validate(value)
        except DjangoValidationError as error:
            errors[name] = error.messages
    if errors:
        raise serializers.ValidationError(errors)


class ExternalDealView(APIView):
    permission_classes = [CanBringDealsIn]
    api_token_scope = TokenScope.IMPORT  # an API token needs the import scope to write here

    @extend_schema(
        summary="Create or update a draft deal from your CRM, by its id there",
        description=(
            "Idempotent: the same body twice changes nothing the second time and writes no "
            "event. A deal that is in review, signed off or closed answers 409 with the "
            "workflow's code once the body would change it."
        ),
        parameters=[
            OpenApiParameter("source", str, OpenApiParameter.PATH, pattern=SOURCE_PATTERN),
            OpenApiParameter(
                "external_id", str, OpenApiParameter.PATH, pattern=EXTERNAL_ID_PATTERN
            ),
        ],
        request=ExternalDealSerializer,
        responses={
            200: UpsertResultSerializer,
            201: OpenApiResponse(UpsertResultSerializer, description="Created as a draft."),
            **PROBLEMS,
        },
    )
    def put(self, request: Request, source: str, external_id: str) -> Response:
        check_path(source, external_id)
        serializer = ExternalDealSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        upsert = intake.deal_upsert(
            actor=request.user,
            incoming=incoming_from(source, external_id, serializer.validated_data),
        )
        deal = (
            selectors.deals_visible_to(request.user)
            .annotate(commitment_count=selectors.commitment_count())
            .prefetch_related("commitments")
            .get(pk=upsert.deal.pk)
        )
        body = {"result": upsert.result, "deal": DealDetailSerializer(deal).data}
        code = status.HTTP_201_CREATED if upsert.result == intake.CREATED else status.HTTP_200_OK
        return Response(body, status=code)
