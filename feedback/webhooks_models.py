"""Webhook endpoints, team chat channels and the deliveries of their events."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from handoff.validators import single_line


class WebhookEvent(models.TextChoices):
    DEAL_SUBMITTED = "deal.submitted", "Deal submitted for review"
    VERDICT_RECORDED = "verdict.recorded", "Commitment ruled on"
    DEAL_CHANGES_REQUESTED = "deal.changes_requested", "Changes requested"
    DEAL_SIGNED_OFF = "deal.signed_off", "Deal signed off"
    DEAL_WON = "deal.won", "Deal won"
    DEAL_LOST = "deal.lost", "Deal lost"
    ESCALATION_DECIDED = "escalation.decided", "Escalation decided"
    DELIVERABLE_UPDATED = "deliverable.updated", "Deliverable updated"
    FEEDBACK_CREATED = "feedback.created", "Feedback note written"


class ChatKind(models.TextChoices):
    SLACK = "slack", "Slack (also Mattermost, Rocket.Chat)"
    TEAMS = "teams", "Microsoft Teams"


class DeliveryKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    CHAT = "chat", "Team chat"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class DeliveryTarget(models.Model):
    """What an endpoint and a channel share: where to post, which events, whether it is on."""

    url = models.URLField(max_length=500)
    # WebhookEvent values.
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    # Events failed for good in a row, since the last one delivered.
    failure_streak = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def wants(self, event_type: str) -> bool:
        return self.active and event_type in (self.events or [])

    @property
    def event_labels(self) -> list[str]:
        return [label for value, label in WebhookEvent.choices if value in (self.events or [])]


class WebhookEndpoint(DeliveryTarget):
    """A URL a manager registered: each event it wants, signed per Standard Webhooks."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    description = models.CharField(max_length=200, blank=True, validators=[single_line])
    # whsec_ and base64; kept to sign, shown only when made. The previous one signs too
    # until previous_secret_expires_at, so a receiver can switch without losing events.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active=True) | Q(disabled_at__isnull=False),
                name="webhook_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:detail", args=[self.pk])


class ChatChannel(DeliveryTarget):
    """A team's incoming-webhook URL in Slack (or Mattermost, Rocket.Chat) or Microsoft Teams."""

    team = models.ForeignKey("handoff.Team", on_delete=models.CASCADE, related_name="chat_channels")
    kind = models.CharField(max_length=10, choices=ChatKind.choices)
    name = models.CharField(max_length=100, blank=True, validators=[single_line])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["team_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ChatKind.values), name="chat_channel_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(active=True) | Q(disabled_at__isnull=False),
                name="chat_channel_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display().split(' (')[0]} for {self.team}"

    def get_absolute_url(self) -> str:
        return reverse("chat:detail", args=[self.pk])

    @property
    def owner(self):
        return self.created_by

    @property
    def masked_url(self) -> str:
        """The host only: the rest of an incoming-webhook URL is its secret."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/…"


class WebhookDelivery(models.Model):
    """One event to post to one endpoint or channel: written with the change, sent after commit.

    A redelivery is a new row with the same event id, so the receiver can tell it saw it.
    """

    kind = models.CharField(max_length=10, choices=DeliveryKind.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # delivery_endpoint_idx (endpoint, -created_at) serves it
    )
    channel = models.ForeignKey(
        ChatChannel,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # delivery_channel_idx (channel, -created_at) serves it
    )
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    # The body as posted: the Standard Webhooks event, or the chat message.
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    attempted_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=DeliveryKind.WEBHOOK, endpoint__isnull=False, channel__isnull=True)
                    | Q(kind=DeliveryKind.CHAT, endpoint__isnull=True, channel__isnull=False)
                ),
                name="delivery_has_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="delivery_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending_idx",
                condition=Q(status=DeliveryStatus.PENDING),
            ),
            models.Index(
                fields=["claimed_at"],
                name="delivery_sending_idx",
                condition=Q(status=DeliveryStatus.SENDING),
            ),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx"),
            models.Index(fields=["channel", "-created_at"], name="delivery_channel_idx"),
            # The retention job finds the old rows by it (feedback.retention).
            models.Index(fields=["created_at"], name="delivery_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"

    @property
    def target(self) -> WebhookEndpoint | ChatChannel:
        return self.endpoint if self.kind == DeliveryKind.WEBHOOK else self.channel
