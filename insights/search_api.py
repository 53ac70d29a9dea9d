"""GET /api/v1/search/?q=: the site search, the same groups as the /search/ page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from handoff.api import TextField
from insights.search import MAX_QUERY_LENGTH, PER_KIND, search


class SearchQuerySerializer(serializers.Serializer):
    q = TextField(
        max_length=MAX_QUERY_LENGTH,
        help_text="the text to find in titles, client names and people's names",
    )


class HitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField(help_text="the page of the deal, project or person")


class GroupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["deals", "clients", "projects", "people"])
    label = serializers.CharField()
    results = HitSerializer(many=True, source="hits", help_text=f"at most {PER_KIND}")
    more = serializers.BooleanField(help_text=f"whether more than {PER_KIND} match")


class SearchResultSerializer(serializers.Serializer):
    q = serializers.CharField(help_text="the text searched for, trimmed")
    groups = GroupSerializer(many=True, help_text="one per kind; none when q is blank")


class SearchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="search",
        tags=["search"],
        summary="Deals, clients, projects and people the user may see that match q",
        parameters=[SearchQuerySerializer],
        responses=SearchResultSerializer,
    )
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = search(request.user, query.validated_data["q"])
        return Response(SearchResultSerializer(result).data)
