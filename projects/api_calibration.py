"""GET /api/v1/calibration/: what resolved promises say about a new one, as aggregates only."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from deals.models import MAX_EFFORT_DAYS, CommitmentKind
from handoff.api import refuse_empty_parameters
from handoff.validators import within_years
from projects.calibration import Calibration, calibrations_for, min_sample

PARAMETERS = ("kind", "effort_days", "promised_date", "pm")


class CalibrationParams(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CommitmentKind.choices)
    effort_days = serializers.DecimalField(
        max_digits=7, decimal_places=1, min_value=0, max_value=MAX_EFFORT_DAYS
    )
    promised_date = serializers.DateField(validators=[within_years])
    pm = serializers.IntegerField(required=False, min_value=1)


class DistributionSerializer(serializers.Serializer):
    sample_size = serializers.IntegerField(source="count")
    median = serializers.FloatField(allow_null=True)
    p80 = serializers.FloatField(allow_null=True)


class CalibrationGroupSerializer(serializers.Serializer):
    scope = serializers.CharField(help_text="kind_band_team, kind_band or kind.")
    scope_label = serializers.CharField(source="label")
    enough_history = serializers.BooleanField(source="enough")
    slip_days = DistributionSerializer(source="slip")
    suggested_date = serializers.DateField(
        allow_null=True,
        help_text="The date 80 % of this group's promises met; null when it has too few.",
    )


class CalibrationSerializer(serializers.Serializer):
    kind = serializers.CharField()
    effort_days = serializers.DecimalField(max_digits=7, decimal_places=1)
    promised_date = serializers.DateField()
    enough_history = serializers.BooleanField(source="enough")
    minimum_sample = serializers.SerializerMethodField()
    sample_size = serializers.IntegerField(help_text="Resolved promises the figures come from.")
    scope = serializers.CharField(
        help_text="The group that set the suggested date: kind_band_team (same kind, effort "
        "band and delivery team), kind_band, kind, or none when history is too thin. It is the "
        "group with the latest date among those with enough history (the narrowest on a tie)."
    )
    scope_label = serializers.CharField()
    slip_days = DistributionSerializer(
        source="slip", help_text="Days delivered past the promised date (early counts as 0)."
    )
    effort_overrun = DistributionSerializer(
        source="overrun",
        help_text="Actual effort over the estimate, as a fraction (0.25 = 25 % over).",
    )
    suggested_date = serializers.DateField(
        allow_null=True, help_text="A date 80 % of similar promises met; null with thin history."
    )
    sentence = serializers.CharField()
    narrower_sentence = serializers.CharField(
        help_text="When a narrower group with enough history met an earlier date, what it met "
        "and that the suggestion keeps to the later one; empty otherwise."
    )
    groups = CalibrationGroupSerializer(
        many=True, help_text="Every group compared, narrowest first, each with its own date."
    )

    def get_minimum_sample(self, obj: Calibration) -> int:
        return min_sample()


class CalibrationViewSet(viewsets.GenericViewSet):
    """Aggregates over resolved promises: no deal, client or person is named."""

    serializer_class = CalibrationSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="What history says about a promise, and a suggested date",
        parameters=[
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                required=True,
                enum=CommitmentKind.values,
                description="The commitment's kind.",
            ),
            OpenApiParameter(
                "effort_days",
                OpenApiTypes.NUMBER,
                required=True,
                description=f"Estimated effort in person-days (0 to {MAX_EFFORT_DAYS}).",
            ),
            OpenApiParameter(
                "promised_date",
                OpenApiTypes.DATE,
                required=True,
                description="The date being promised, within DATE_INPUT_RANGE_YEARS of today.",
            ),
            OpenApiParameter(
                "pm",
                OpenApiTypes.INT,
                description="Compare with the promises of this PM's delivery team, when it has "
                "enough of them.",
            ),
        ],
        # 400 (BadInput: a parameter missing or out of bounds, each named) is documented for
        # every operation with query parameters (handoff.api).
        responses={200: CalibrationSerializer},
    )
    def list(self, request: Request) -> Response:
        refuse_empty_parameters(request.query_params, PARAMETERS)
        params = CalibrationParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        (found,) = calibrations_for(
            [(data["kind"], data["effort_days"], data["promised_date"])], data.get("pm")
        )
        return Response(CalibrationSerializer(found).data)
