"""A personal API token with scopes, and the append-only record of its creation and revocation.

Re-exported from handoff.models, where the app's models and migrations live; beside the
handoff.tokens package, which reads and writes them, so that imports run one way.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from handoff.audit import AppendOnlyModel
from handoff.validators import single_line

MAX_TOKEN_NAME_LENGTH = 100
# What each token's secret starts with; the prefix shown in lists is these and 6 more characters.
TOKEN_MARK = "hnd_"  # noqa: S105 (the mark every secret starts with, not a secret)
PREFIX_LENGTH = len(TOKEN_MARK) + 6


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    IMPORT = "import", "Import deals"


SCOPE_HELP = {
    TokenScope.READ: "GET, HEAD and OPTIONS on the API: read what you may see.",
    TokenScope.WRITE: "Every other method on the API: change what you may change.",
    TokenScope.IMPORT: "Bring deals in from a CRM: the upsert and the CSV import.",
}


class TokenStatus(models.TextChoices):
    LIVE = "live", "Live"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ApiToken(models.Model):
    """A secret a program sends as `Authorization: Bearer hnd_…` to act as its user.

    Only the SHA-256 of the secret is stored; the secret itself is shown once, when made.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=MAX_TOKEN_NAME_LENGTH, validators=[single_line])
    scope_read = models.BooleanField(default=False)
    scope_write = models.BooleanField(default=False)
    scope_import = models.BooleanField(default=False)
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "user",
                condition=models.Q(revoked_at__isnull=True),
                name="apitoken_live_name_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(scope_read=True)
                | models.Q(scope_write=True)
                | models.Q(scope_import=True),
                name="apitoken_has_a_scope",
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="apitoken_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scopes(self) -> list[str]:
        held = {
            TokenScope.READ: self.scope_read,
            TokenScope.WRITE: self.scope_write,
            TokenScope.IMPORT: self.scope_import,
        }
        return [scope.value for scope, on in held.items() if on]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenStatus.EXPIRED
        return TokenStatus.LIVE

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def status_label(self) -> str:
        return TokenStatus(self.status).label


class ApiTokenEventKind(models.TextChoices):
    CREATED = "created", "Token created"
    REVOKED = "revoked", "Token revoked"


class ApiTokenEvent(AppendOnlyModel):
    """Who made or revoked a token, and when. Written once by the services."""

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=ApiTokenEventKind.choices)
    reason = models.CharField(max_length=200, blank=True)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["token", "at"], name="apitoken_event_token_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.token_id}"
