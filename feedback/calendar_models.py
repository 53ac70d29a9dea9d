"""Calendar feeds: a secret, revocable address a calendar app subscribes to (ICS)."""

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.roles import is_manager


class FeedScope(models.TextChoices):
    PERSONAL = "personal", "Personal"
    TEAM = "team", "Team"


class CalendarFeed(models.Model):
    """One subscribe address: the owner's own dates, or (managers) a team's.

    Only the secret's sha256 is stored, so a lost address cannot be shown again: resetting
    revokes it and makes a new one. What a fetch shows is computed then, with the owner's
    visibility at that moment.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    scope = models.CharField(max_length=10, choices=FeedScope.choices, default=FeedScope.PERSONAL)
    team = models.ForeignKey(
        "handoff.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the secret, to tell addresses apart on the settings page.
    secret_prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Written at most every few minutes (calendar_services.FETCH_WRITE_EVERY).
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope=FeedScope.PERSONAL, team__isnull=True)
                | Q(scope=FeedScope.TEAM, team__isnull=False),
                name="calendar_feed_team_when_team_scope",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(revoked_at__isnull=True, scope=FeedScope.PERSONAL),
                name="calendar_feed_one_live_personal",
            ),
            models.UniqueConstraint(
                fields=["owner", "team"],
                condition=Q(revoked_at__isnull=True, scope=FeedScope.TEAM),
                name="calendar_feed_one_live_per_team",
            ),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"], name="calendar_feed_owner_idx")]

    def __str__(self) -> str:
        what = f"{self.team} team" if self.scope == FeedScope.TEAM else "personal"
        return f"{self.owner} · {what} calendar ({self.secret_prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    @property
    def title(self) -> str:
        if self.scope == FeedScope.TEAM:
            return f"Handoff: {self.team}"
        return f"Handoff: {self.owner.display_name}"


def hash_secret(secret: str) -> str:
    """What is stored of a secret: its sha256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def can_have_team_feed(user: Any) -> bool:
    """Managers subscribe to a team's calendar; the rule the services, pages and feed share."""
    return is_manager(user) and user.is_active
