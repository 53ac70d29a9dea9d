"""REST API of the signed-in user's calendar feeds: list, make, reset and revoke addresses.

An address holds its secret, so it is in the answer that made it only.
"""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from feedback import calendar_services as services
from feedback.calendar_feeds import feed_url, webcal_url
from feedback.calendar_models import CalendarFeed, FeedScope
from feedback.calendar_selectors import feeds_of
from handoff.api import ProblemSerializer
from handoff.models import Team

PROBLEMS = {
    403: OpenApiResponse(
        ProblemSerializer, description="Only managers subscribe to a team's calendar."
    ),
    409: OpenApiResponse(
        ProblemSerializer,
        description="An address of that scope is live already (`calendar_feed_exists`), or "
        "this one was revoked (`calendar_revoked`).",
    ),
}


class CalendarFeedSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(
        source="team.name", read_only=True, allow_null=True, default=None
    )
    live = serializers.BooleanField(source="is_live", read_only=True)

    class Meta:
        model = CalendarFeed
        fields = [
            "id",
            "scope",
            "team",
            "team_name",
            "title",
            "secret_prefix",
            "live",
            "created_at",
            "revoked_at",
            "last_fetched_at",
        ]
        read_only_fields = fields


class CalendarFeedWithAddressSerializer(CalendarFeedSerializer):
    """The feed and its address: only in the answer that made the secret."""

    url = serializers.URLField(read_only=True, help_text="The ICS address: shown this once.")
    webcal_url = serializers.CharField(
        read_only=True, help_text="The same address as webcal://, for Apple Calendar and Outlook."
    )

    class Meta(CalendarFeedSerializer.Meta):
        fields = [*CalendarFeedSerializer.Meta.fields, "url", "webcal_url"]
        read_only_fields = fields


class AsSent:
    """A form field sent empty is that empty value (refused), not left out (the default)."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)


class ScopeField(AsSent, serializers.ChoiceField):
    pass


class TeamField(AsSent, serializers.PrimaryKeyRelatedField):
    def run_validation(self, data=serializers.empty):
        # A related field reads "" as null; sent empty, a team is bad input here.
        if data == "":
            raise serializers.ValidationError("Give a team's id, or leave team out.")
        return super().run_validation(data)


class CalendarFeedInputSerializer(serializers.Serializer):
    scope = ScopeField(choices=FeedScope.choices, default=FeedScope.PERSONAL)
    team = TeamField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team of a team feed (managers); leave out for a personal feed.",
    )

    def validate(self, attrs: dict) -> dict:
        team = attrs.get("team")
        if attrs["scope"] == FeedScope.TEAM and team is None:
            raise serializers.ValidationError({"team": ["Choose the team of a team feed."]})
        if attrs["scope"] == FeedScope.PERSONAL and team is not None:
            raise serializers.ValidationError({"team": ["A personal feed has no team."]})
        return attrs


@extend_schema_view(
    list=extend_schema(summary="Your calendar feeds, live and revoked, newest first"),
    retrieve=extend_schema(summary="One of your calendar feeds"),
)
class CalendarFeedViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = CalendarFeedSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> QuerySet[CalendarFeed]:
        if getattr(self, "swagger_fake_view", False):
            return CalendarFeed.objects.none()
        return feeds_of(self.request.user).order_by("-created_at", "-id")

    def _with_address(self, feed: CalendarFeed, secret: str) -> dict:
        feed = self.get_queryset().get(pk=feed.pk)
        feed.url = feed_url(self.request, secret)
        feed.webcal_url = webcal_url(feed.url)
        return CalendarFeedWithAddressSerializer(feed).data

    @extend_schema(
        summary="Make a calendar address: yours, or a team's (managers); the answer holds it, "
        "shown once",
        request=CalendarFeedInputSerializer,
        responses={201: CalendarFeedWithAddressSerializer, **PROBLEMS},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = CalendarFeedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feed, secret = services.calendar_feed_create(
            actor=request.user, team=data.validated_data.get("team")
        )
        return Response(self._with_address(feed, secret), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke the address: calendars subscribed to it get 410 Gone from now on",
        request=None,
        responses={200: CalendarFeedSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        feed = services.calendar_feed_revoke(feed=self.get_object(), actor=request.user)
        return Response(CalendarFeedSerializer(self.get_queryset().get(pk=feed.pk)).data)

    @extend_schema(
        summary="Revoke the address and make a new one of the same scope, shown once",
        request=None,
        responses={201: CalendarFeedWithAddressSerializer, **PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def reset(self, request: Request, pk: str | None = None) -> Response:
        fresh, secret = services.calendar_feed_reset(feed=self.get_object(), actor=request.user)
        return Response(self._with_address(fresh, secret), status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("calendar-feeds", CalendarFeedViewSet, basename="calendar-feed")

urlpatterns = router.urls
