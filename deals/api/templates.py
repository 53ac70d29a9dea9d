"""/api/v1/deal-templates/: managers define deal templates; sales reps read them."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from deals import rules, services
from deals.api.common import PROBLEMS, valid_input
from deals.models import MAX_EFFORT_DAYS, MAX_OFFSET_DAYS, CommitmentKind, DealTemplate
from handoff.api import TextField
from handoff.models import Role
from handoff.parsers import BoundedJSONParser
from handoff.roles import has_role


class TemplateCommitmentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CommitmentKind.choices)
    summary = TextField(max_length=200)
    effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, max_value=MAX_EFFORT_DAYS, required=False
    )
    offset_days = serializers.IntegerField(
        min_value=0,
        max_value=MAX_OFFSET_DAYS,
        required=False,
        default=0,
        help_text="Days after the deal's expected start: the commitment's promised date.",
    )


class DealTemplateSerializer(serializers.ModelSerializer):
    commitments = TemplateCommitmentSerializer(many=True, read_only=True)

    class Meta:
        model = DealTemplate
        fields = ["id", "name", "commitments", "created_at", "updated_at"]
        read_only_fields = fields


class DealTemplateInputSerializer(serializers.Serializer):
    name = TextField(max_length=200)
    commitments = TemplateCommitmentSerializer(many=True, max_length=100, required=False)


class ReadsTemplates(permissions.BasePermission):
    """Sales reps and managers read; only managers write."""

    message = "Only managers change deal templates; sales reps and managers read them."

    def has_permission(self, request: Request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return has_role(request.user, Role.SALES, Role.MANAGER, Role.ADMIN)
        return bool(rules.can_manage_templates(request.user))


@extend_schema_view(
    list=extend_schema(summary="Deal templates"),
    retrieve=extend_schema(summary="One deal template with its standard commitments"),
)
class DealTemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = DealTemplateSerializer
    permission_classes = [ReadsTemplates]
    # A template's commitments are a list of objects, which only JSON can carry: a form would
    # drop them and still be taken for a template without any.
    parser_classes = [BoundedJSONParser]
    ordering_fields = ["name"]

    def get_queryset(self) -> QuerySet[DealTemplate]:
        return DealTemplate.objects.prefetch_related("commitments").order_by("name", "id")

    def _answer(self, template: DealTemplate, code: int) -> Response:
        return Response(DealTemplateSerializer(self.get_queryset().get(pk=template.pk)).data, code)

    @extend_schema(
        request=DealTemplateInputSerializer, responses={201: DealTemplateSerializer, **PROBLEMS}
    )
    def create(self, request: Request) -> Response:
        data = valid_input(DealTemplateInputSerializer, request)
        template = services.deal_template_save(
            actor=request.user, name=data["name"], commitments=data.get("commitments", [])
        )
        return self._answer(template, status.HTTP_201_CREATED)

    @extend_schema(
        request=DealTemplateInputSerializer, responses={200: DealTemplateSerializer, **PROBLEMS}
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        data = valid_input(DealTemplateInputSerializer, request)
        template = services.deal_template_save(
            actor=request.user,
            template=template,
            name=data["name"],
            commitments=data.get("commitments", []),
        )
        return self._answer(template, status.HTTP_200_OK)

    @extend_schema(responses={204: None, **PROBLEMS})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.deal_template_delete(actor=request.user, template=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
