"""GET /api/v1/metrics/alignment/: the dashboard's figures and tables, managers only."""

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from handoff.api import refuse_empty_parameters
from handoff.roles import HasRole
from insights.figures.alignment import stored_alignment
from insights.figures.goals import current_goals
from insights.figures.window import Window
from insights.forms import FilterForm
from insights.rules import MANAGERS


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="null when nothing was measured")
    unit = serializers.ChoiceField(
        choices=["count", "percent", "days", "hours", "decimal"],
        help_text="percent values are fractions from 0 to 1; decimal is a plain number "
        "(the customers' rating from 1 to 5)",
    )
    display = serializers.CharField()
    how = serializers.CharField(help_text="how the figure is computed")
    url = serializers.CharField(help_text="the deals behind the figure")
    detail = serializers.CharField()


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class TableSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="also the name of its CSV export")
    title = serializers.CharField()
    how = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField())


class GoalProgressSerializer(serializers.Serializer):
    quarter = serializers.CharField()
    metric = serializers.CharField()
    comparison = serializers.CharField()
    target = serializers.FloatField(help_text="percent targets as fractions from 0 to 1")
    value = serializers.FloatField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)


class AlignmentSerializer(serializers.Serializer):
    period = PeriodSerializer()
    computed_at = serializers.DateTimeField(
        help_text="when the figures were computed; they are at most a few minutes old"
    )
    team = serializers.IntegerField(allow_null=True)
    figures = FigureSerializer(many=True)
    tables = TableSerializer(many=True)
    goals = GoalProgressSerializer(many=True)


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def alignment_data(w: Window) -> dict[str, Any]:
    result = stored_alignment(w)
    goals = current_goals()["goals"]
    return {
        "period": {"start": w.start, "end": w.end},
        "computed_at": result.computed_at,
        "team": w.team.pk if w.team else None,
        "figures": [
            {
                "key": f.key,
                "label": f.label,
                "value": f.value,
                "unit": f.unit,
                "display": f.display,
                "how": f.how,
                "url": f.url,
                "detail": f.detail,
            }
            for f in result.figures
        ],
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "how": t.how,
                "columns": [{"key": k, "label": label} for k, label in t.columns],
                "rows": [{k: _plain(v) for k, v in row.items()} for row in t.rows],
            }
            for t in result.tables
        ],
        "goals": [
            {
                "quarter": p.goal.quarter,
                "metric": p.goal.metric,
                "comparison": p.goal.comparison,
                "target": p.target,
                "value": p.value,
                "met": p.met,
            }
            for p in goals
        ],
    }


class AlignmentView(APIView):
    permission_classes = [IsAuthenticated, HasRole.of(*MANAGERS)]

    @extend_schema(
        operation_id="metrics_alignment",
        tags=["metrics"],
        summary="The alignment dashboard's figures",
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="first day, default 90 days ago"
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last day, default today"),
            OpenApiParameter("team", OpenApiTypes.INT, description="a team id"),
        ],
        responses=AlignmentSerializer,
    )
    def get(self, request: Request) -> Response:
        refuse_empty_parameters(request.query_params, ("from", "to", "team"))
        form = FilterForm(request.query_params or None)
        if request.query_params and not form.is_valid():
            raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
        return Response(AlignmentSerializer(alignment_data(form.window())).data)
