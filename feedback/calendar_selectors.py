"""Reads of calendar feeds: a user's own addresses, the teams a manager may subscribe to, and
the feed behind a secret with whether it may still answer."""

from dataclasses import dataclass

from django.db.models import QuerySet

from feedback.calendar_models import CalendarFeed, FeedScope, can_have_team_feed, hash_secret
from handoff.models import Team, User
from handoff.roles import is_manager

# Longer than any secret we make (43 characters): a longer one is not looked up at all.
MAX_SECRET_LENGTH = 100


def feeds_of(user: User) -> QuerySet[CalendarFeed]:
    """The user's own addresses, live and revoked, newest first."""
    if not (user and user.is_authenticated):
        return CalendarFeed.objects.none()
    return CalendarFeed.objects.filter(owner=user).select_related("team", "owner")


def live_feeds_of(user: User) -> QuerySet[CalendarFeed]:
    return feeds_of(user).filter(revoked_at__isnull=True)


def feed_get_for_user(user: User, pk: int | str) -> CalendarFeed | None:
    return feeds_of(user).filter(pk=pk).first()


def teams_for_feeds(user: User) -> QuerySet[Team]:
    """The teams a manager may subscribe to; none for anyone else."""
    if not can_have_team_feed(user):
        return Team.objects.none()
    return Team.objects.order_by("name")


@dataclass(frozen=True)
class FeedLookup:
    """The feed a secret names, or why it answers nothing: status 404 or 410 and a sentence."""

    feed: CalendarFeed | None = None
    status: int = 200
    reason: str = ""


UNKNOWN = FeedLookup(
    status=404,
    reason="No calendar at this address. Copy the address again from Settings → Calendar in "
    "Handoff.",
)
REVOKED = FeedLookup(
    status=410,
    reason="This calendar address was revoked. Make a new one in Handoff under Settings → "
    "Calendar, then subscribe to that.",
)


def feed_for_secret(secret: str) -> FeedLookup:
    """The feed, if its secret is known, not revoked and its owner may still read it."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return UNKNOWN
    feed = (
        CalendarFeed.objects.select_related("owner", "team")
        .filter(secret_hash=hash_secret(secret))
        .first()
    )
    if feed is None or not feed.owner.is_active:
        return UNKNOWN
    if feed.revoked_at is not None:
        return REVOKED
    if feed.scope == FeedScope.TEAM and not is_manager(feed.owner):
        return UNKNOWN
    return FeedLookup(feed=feed)
