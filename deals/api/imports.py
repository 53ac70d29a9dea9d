"""POST /api/v1/imports/deals/: a CSV of deals, previewed (dry_run) or brought in."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from deals import selectors
from deals.api.common import PROBLEMS, valid_input
from deals.api.intake import CanBringDealsIn
from deals.models import Import, ImportRow, ImportStatus
from deals.services import imports
from deals.tasks import enqueue_import
from handoff.parsers import BoundedJSONParser
from handoff.token_models import TokenScope


class ImportRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRow
        fields = ["line", "external_id", "fate", "field", "message", "deal"]
        read_only_fields = fields


class ImportSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    report = serializers.SerializerMethodField(help_text="Every row's outcome as CSV.")

    class Meta:
        model = Import
        fields = [
            "id",
            "filename",
            "source",
            "status",
            "total_rows",
            "processed_rows",
            "percent",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "created_at",
            "finished_at",
            "error",
            "report",
        ]
        read_only_fields = fields

    def get_report(self, obj: Import) -> str:
        return reverse("deals:import_report", args=[obj.pk], request=self.context.get("request"))


class ImportPreviewSerializer(serializers.Serializer):
    deal_import = ImportSerializer()
    rows = ImportRowSerializer(many=True)


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, UTF-8, one row per commitment.")
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="true: say every row's fate, write nothing."
    )
    source = serializers.RegexField(
        r"^[a-z0-9][a-z0-9_-]{0,39}\Z",
        required=False,
        default="csv",
        help_text="Whose ids the external_id column holds (csv, hubspot…).",
    )


@extend_schema_view(
    list=extend_schema(summary="Imports of deals: yours (a manager's: everyone's)"),
    retrieve=extend_schema(summary="One import: its status, progress and counts"),
)
class DealImportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ImportSerializer
    permission_classes = [CanBringDealsIn]
    api_token_scope = TokenScope.IMPORT  # an API token needs the import scope to write here
    # JSON too, so that a body without a file is told so (400) rather than 415.
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[Import]:
        return selectors.imports_visible_to(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        summary="Import a CSV of deals, or with dry_run preview every row's fate",
        request={"multipart/form-data": ImportInputSerializer},
        responses={
            200: OpenApiResponse(ImportPreviewSerializer, description="dry_run: the preview."),
            201: OpenApiResponse(ImportSerializer, description="Brought in."),
            202: OpenApiResponse(ImportSerializer, description="Large: a job runs it; poll."),
            **PROBLEMS,
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = valid_input(ImportInputSerializer, request)
        deal_import = imports.import_preview(
            actor=request.user, upload=data["file"], source=data["source"]
        )
        context = {"request": request}
        if data["dry_run"]:
            rows = deal_import.rows.order_by("line")
            body = ImportPreviewSerializer(
                {"deal_import": deal_import, "rows": rows}, context=context
            ).data
            return Response(body)
        deal_import = imports.import_confirm(
            deal_import=deal_import, actor=request.user, enqueue=enqueue_import
        )
        code = (
            status.HTTP_201_CREATED
            if deal_import.status == ImportStatus.DONE
            else status.HTTP_202_ACCEPTED
        )
        return Response(ImportSerializer(deal_import, context=context).data, status=code)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        deal_import = self.get_object()
        imports.import_resume_if_lost(deal_import=deal_import, enqueue=enqueue_import)
        return Response(self.get_serializer(deal_import).data)
