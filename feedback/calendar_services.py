"""Every write with a rule on calendar feeds: make, reset and revoke an address; note a fetch."""

import logging
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from feedback.calendar_models import CalendarFeed, FeedScope, can_have_team_feed, hash_secret
from handoff.errors import ActionForbidden, DomainError
from handoff.models import Team, User

logger = logging.getLogger(__name__)

# A calendar app polls every few minutes to hours: noting each fetch would write on every poll.
FETCH_WRITE_EVERY = timedelta(minutes=15)
SECRET_BYTES = 32
PREFIX_LENGTH = 6


def _new_secret() -> tuple[str, str, str]:
    """(secret, its sha256, its prefix): the secret itself is never stored."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return secret, hash_secret(secret), secret[:PREFIX_LENGTH]


def _live(owner: User, team: Team | None) -> Q:
    scope = Q(scope=FeedScope.TEAM, team=team) if team else Q(scope=FeedScope.PERSONAL)
    return Q(owner=owner, revoked_at__isnull=True) & scope


def _make(owner: User, team: Team | None) -> tuple[CalendarFeed, str]:
    secret, digest, prefix = _new_secret()
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(
                owner=owner,
                scope=FeedScope.TEAM if team else FeedScope.PERSONAL,
                team=team,
                secret_hash=digest,
                secret_prefix=prefix,
            )
    except IntegrityError:
        # Two clicks at once: the other one made it.
        raise _already(team) from None
    return feed, secret


def _already(team: Team | None) -> DomainError:
    what = f"the {team} team" if team else "you"
    return DomainError(
        f"There is already a calendar address for {what}: reset it for a new one.",
        code="calendar_feed_exists",
    )


@transaction.atomic
def calendar_feed_create(*, actor: User, team: Team | None = None) -> tuple[CalendarFeed, str]:
    """A new address for the actor (or, for a manager, a team): the feed and its secret,
    which the caller shows once."""
    if team is not None and not can_have_team_feed(actor):
        raise ActionForbidden("Only managers subscribe to a team's calendar.")
    # Serialise the actor's feed changes: two creates at once make one feed, not an error page.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if CalendarFeed.objects.filter(_live(actor, team)).exists():
        raise _already(team)
    feed, secret = _make(actor, team)
    logger.info(
        "Calendar feed made", extra={"feed": feed.pk, "user": actor.pk, "team": feed.team_id}
    )
    return feed, secret


def _lock_own(feed: CalendarFeed, actor: User) -> CalendarFeed:
    feed = (
        CalendarFeed.objects.select_for_update(of=("self",)).select_related("team").get(pk=feed.pk)
    )
    if feed.owner_id != actor.pk:
        raise ActionForbidden("This calendar address is someone else's.")
    if feed.revoked_at is not None:
        raise DomainError("This calendar address was already revoked.", code="calendar_revoked")
    return feed


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, actor: User) -> CalendarFeed:
    """From now on the address answers that it was revoked; it cannot be turned on again."""
    feed = _lock_own(feed, actor)
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    logger.info("Calendar feed revoked", extra={"feed": feed.pk, "user": actor.pk})
    return feed


@transaction.atomic
def calendar_feed_reset(*, feed: CalendarFeed, actor: User) -> tuple[CalendarFeed, str]:
    """Revoke the address and make a new one of the same scope: the new feed and its secret."""
    feed = _lock_own(feed, actor)
    if feed.team_id is not None and not can_have_team_feed(actor):
        raise ActionForbidden("Only managers subscribe to a team's calendar.")
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    fresh, secret = _make(actor, feed.team)
    logger.info(
        "Calendar feed reset", extra={"feed": fresh.pk, "revoked": feed.pk, "user": actor.pk}
    )
    return fresh, secret


def calendar_feed_fetched(*, feed: CalendarFeed) -> None:
    """Note the fetch, at most once every FETCH_WRITE_EVERY, in one conditional update."""
    now = timezone.now()
    if feed.last_fetched_at and now - feed.last_fetched_at < FETCH_WRITE_EVERY:
        return
    stale = Q(last_fetched_at__isnull=True) | Q(last_fetched_at__lt=now - FETCH_WRITE_EVERY)
    CalendarFeed.objects.filter(stale, pk=feed.pk).update(last_fetched_at=now)
    feed.last_fetched_at = now
