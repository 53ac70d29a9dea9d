"""REST API of one's own API tokens: list, create (the secret answered once), read, revoke.

Managed only signed in or with the sign-in token of POST /api/v1/auth/token/: a scoped
token, if it leaked, cannot make more tokens nor revoke the others.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from handoff.api import ProblemSerializer, TextField
from handoff.token_models import MAX_TOKEN_NAME_LENGTH, ApiToken, TokenScope, TokenStatus
from handoff.tokens import selectors, services
from handoff.tokens.authentication import SIGNED_IN_ONLY
from handoff.tokens.filters import ApiTokenFilter

SCOPES_HELP = (
    "read: GET, HEAD and OPTIONS; write: every other method; import: the deal upsert "
    "(PUT /api/v1/deals/external/…) and the CSV import (POST /api/v1/imports/deals/)."
)
PROBLEMS = {
    403: OpenApiResponse(
        ProblemSerializer, description="Asked with a scoped API token: sign in instead."
    ),
}


class ApiTokenSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices), read_only=True
    )
    status = serializers.ChoiceField(
        choices=TokenStatus.choices, read_only=True, help_text="live, expired or revoked"
    )
    prefix = serializers.CharField(
        read_only=True, help_text="The secret's first characters, to tell tokens apart."
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "status",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = fields


class ApiTokenWithSecretSerializer(ApiTokenSerializer):
    """The token and its secret: only in the answer that made it."""

    token = serializers.CharField(
        read_only=True, help_text="hnd_…: send as `Authorization: Bearer hnd_…`. Shown this once."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiTokenInputSerializer(serializers.Serializer):
    name = TextField(
        max_length=MAX_TOKEN_NAME_LENGTH,
        help_text="What uses it, e.g. “CRM sync”; unique among your tokens not revoked.",
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices),
        allow_empty=False,
        max_length=len(TokenScope.values),
        help_text=SCOPES_HELP,
    )
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When it stops working: in the future, within a year. Leave out for never.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="Your API tokens, not revoked first", responses={200: ApiTokenSerializer}
    ),
    retrieve=extend_schema(summary="One of your API tokens", responses={200: ApiTokenSerializer}),
)
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ApiTokenSerializer
    filterset_class = ApiTokenFilter
    api_token_scope = SIGNED_IN_ONLY
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return selectors.api_tokens_of(self.request.user)

    @extend_schema(
        summary="Make a token; the answer holds its secret, shown once",
        request=ApiTokenInputSerializer,
        responses={201: ApiTokenWithSecretSerializer, **PROBLEMS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = ApiTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.api_token_create(actor=request.user, **serializer.validated_data)
        token.token = secret
        return Response(ApiTokenWithSecretSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a token: it stops working at once, and stays listed as revoked",
        responses={
            204: None,
            409: OpenApiResponse(ProblemSerializer, description="Already revoked."),
            **PROBLEMS,
        },
    )
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        services.api_token_revoke(token=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")
urlpatterns = router.urls
