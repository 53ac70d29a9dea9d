"""Feedback notes, notifications and what each person wants emailed, the outbox, digests."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from handoff.validators import multi_line


class Direction(models.TextChoices):
    TO_SALES = "to_sales", "To sales"
    TO_DELIVERY = "to_delivery", "To delivery"


class Topic(models.TextChoices):
    HARD_TO_DELIVER = "hard_to_deliver", "Hard to deliver"
    SCOPE_CREEP = "scope_creep", "Scope creep"
    ESTIMATE_MISS = "estimate_miss", "Estimate miss"
    CUSTOMER_INSIGHT = "customer_insight", "Customer insight"
    MARKET_TREND = "market_trend", "Market trend"
    COMPETITOR = "competitor", "Competitor"
    PRAISE = "praise", "Praise"
    PROCESS = "process", "Process"


class FeedbackNote(models.Model):
    direction = models.CharField(max_length=16, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_sent"
    )
    # Empty: the whole team of the direction.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback_received",
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    commitment = models.ForeignKey(
        "deals.Commitment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    topic = models.CharField(max_length=20, choices=Topic.choices)
    body = models.TextField(validators=[multi_line])
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(blank=True, validators=[multi_line])
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="note_direction_valid"
            ),
            models.CheckConstraint(condition=Q(topic__in=Topic.values), name="note_topic_valid"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="note_acknowledged_by_and_at",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="note_recipient_idx"),
            models.Index(fields=["direction", "-created_at"], name="note_direction_idx"),
            models.Index(fields=["author", "-created_at"], name="note_author_idx"),
            models.Index(fields=["deal", "-created_at"], name="note_deal_idx"),
            models.Index(fields=["project", "-created_at"], name="note_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} · {self.get_direction_display()}"

    def get_absolute_url(self) -> str:
        return reverse("feedback:note", args=[self.pk])

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


class NotificationKind(models.TextChoices):
    SUBMITTED = "submitted", "Deal submitted for review"
    CLAIMED = "claimed", "Review claimed"
    APPROVAL_NEEDED = "approval_needed", "Your approval is needed"
    REVIEW_ASSIGNED = "review_assigned", "Review assigned to you"
    REVIEW_RELEASED = "review_released", "Review released"
    COUNTER_ACCEPTED = "counter_accepted", "Counter-proposal accepted"
    FLAGGED = "flagged", "Commitment flagged"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SIGNED_OFF = "signed_off", "Deal signed off"
    WON = "won", "Deal won"
    ESCALATED = "escalated", "Flag escalated"
    ESCALATION_DECIDED = "escalation_decided", "Escalation decided"
    REVIEW_DUE_SOON = "review_due_soon", "Review due soon"
    REVIEW_OVERDUE = "review_overdue", "Review past its SLA"
    DELIVERABLE_AT_RISK = "deliverable_at_risk", "Deliverable at risk"
    DELIVERABLE_LATE = "deliverable_late", "Deliverable late"
    HANDOFF_QUESTIONS = "handoff_questions", "Questions about a handoff"
    FEEDBACK_NOTE = "feedback_note", "Feedback note"
    MENTION = "mention", "Mentioned in a comment"
    INTEGRATION_DISABLED = "integration_disabled", "Webhook or chat channel turned off"
    ACCEPTANCE_DECLINED = "acceptance_declined", "Deliverable declined by the customer"
    CHANGE_REQUESTED = "change_requested", "A change to a promise awaits your decision"
    CHANGE_DECIDED = "change_decided", "Change to a promise decided"


class EmailCategory(models.TextChoices):
    """What a user chooses email for: each notification kind belongs to one."""

    REVIEWS = "reviews", "Reviews (submitted to you, claimed, assigned, approval needed)"
    QUEUE = "queue", "Deals in the review queue (any PM may claim them: submitted or released)"
    REMINDERS = "reminders", "Review reminders (due soon, past SLA, still overdue)"
    OUTCOMES = "outcomes", "Review outcomes (flags, changes requested, sign-off, won)"
    ESCALATIONS = "escalations", "Escalations"
    DELIVERY = "delivery", "Projects (handoff questions, deliverables at risk or late)"
    FEEDBACK = "feedback", "Feedback notes"
    MENTIONS = "mentions", "Mentions"
    INTEGRATIONS = "integrations", "Integrations (a webhook or chat channel turned off)"


class EmailChoice(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "In the digest only"
    OFF = "off", "Off"


CATEGORY_OF_KIND: dict[str, str] = {
    NotificationKind.SUBMITTED: EmailCategory.REVIEWS,
    NotificationKind.CLAIMED: EmailCategory.REVIEWS,
    NotificationKind.APPROVAL_NEEDED: EmailCategory.REVIEWS,
    NotificationKind.REVIEW_ASSIGNED: EmailCategory.REVIEWS,
    NotificationKind.REVIEW_RELEASED: EmailCategory.REVIEWS,
    NotificationKind.REVIEW_DUE_SOON: EmailCategory.REMINDERS,
    NotificationKind.REVIEW_OVERDUE: EmailCategory.REMINDERS,
    NotificationKind.FLAGGED: EmailCategory.OUTCOMES,
    NotificationKind.COUNTER_ACCEPTED: EmailCategory.OUTCOMES,
    NotificationKind.CHANGES_REQUESTED: EmailCategory.OUTCOMES,
    NotificationKind.SIGNED_OFF: EmailCategory.OUTCOMES,
    NotificationKind.WON: EmailCategory.OUTCOMES,
    NotificationKind.ESCALATED: EmailCategory.ESCALATIONS,
    NotificationKind.ESCALATION_DECIDED: EmailCategory.ESCALATIONS,
    NotificationKind.DELIVERABLE_AT_RISK: EmailCategory.DELIVERY,
    NotificationKind.DELIVERABLE_LATE: EmailCategory.DELIVERY,
    NotificationKind.HANDOFF_QUESTIONS: EmailCategory.DELIVERY,
    NotificationKind.ACCEPTANCE_DECLINED: EmailCategory.DELIVERY,
    NotificationKind.CHANGE_REQUESTED: EmailCategory.DELIVERY,
    NotificationKind.CHANGE_DECIDED: EmailCategory.DELIVERY,
    NotificationKind.FEEDBACK_NOTE: EmailCategory.FEEDBACK,
    NotificationKind.MENTION: EmailCategory.MENTIONS,
    NotificationKind.INTEGRATION_DISABLED: EmailCategory.INTEGRATIONS,
}

DEFAULT_EMAIL_PREFERENCES: dict[str, str] = {
    EmailCategory.REVIEWS: EmailChoice.IMMEDIATE,
    # Told to every PM at once: an email each time would reach each PM for every deal of the
    # organisation. The queue page and the bell show it at once, the digest lists what waits,
    # and the SLA reminders email it before it is late; a PM may choose it as it happens.
    EmailCategory.QUEUE: EmailChoice.DIGEST,
    EmailCategory.REMINDERS: EmailChoice.IMMEDIATE,
    EmailCategory.OUTCOMES: EmailChoice.IMMEDIATE,
    EmailCategory.ESCALATIONS: EmailChoice.IMMEDIATE,
    EmailCategory.DELIVERY: EmailChoice.IMMEDIATE,
    EmailCategory.FEEDBACK: EmailChoice.IMMEDIATE,
    EmailCategory.MENTIONS: EmailChoice.IMMEDIATE,
    EmailCategory.INTEGRATIONS: EmailChoice.IMMEDIATE,
}


def email_category(kind: str, context: Mapping[str, Any] | None = None) -> str:
    """What a notification's email is chosen for: its kind's category, unless it was told to
    the whole review queue (its context's "to_queue")."""
    if context and context.get("to_queue"):
        return EmailCategory.QUEUE
    return CATEGORY_OF_KIND[kind]


def default_email_choice(category: str) -> str:
    """What a person who never chose gets: the organisation sets the review queue's
    (REVIEW_QUEUE_EMAIL: a small team may want each submission at once)."""
    if category == EmailCategory.QUEUE:
        return settings.REVIEW_QUEUE_EMAIL
    return DEFAULT_EMAIL_PREFERENCES[category]


def email_choice(user, category: str) -> str:
    choice = (user.email_preferences or {}).get(category)
    return choice if choice in EmailChoice.values else default_email_choice(category)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    # Set for notifications that must reach a person once only (an SLA breach, a late deliverable).
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Its notification (or the deal, project or person it was about) was deleted before sending.
    CANCELLED = "cancelled", "Cancelled"


class EmailOutbox(models.Model):
    """An email to send, written in the transaction of the change that causes it.

    A notification's email is rendered by the worker when it sends it, from the notification
    and `context` (plain values, in handoff.tagged_json so dates keep their type), so the
    request that causes it renders nothing; its bodies stay empty until then. A row that
    already has its bodies is sent as it is.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    context = models.JSONField(default=dict, blank=True)
    to_address = models.EmailField()
    kind = models.CharField(max_length=30)
    subject = models.CharField(max_length=200)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # The sweep picks a pending row up from this time on; the task after commit does not wait.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        # A row is one email waiting in (or sent from) the outbox.
        verbose_name = "outbox email"
        verbose_name_plural = "outbox emails"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENT) | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_idx",
                condition=Q(status=OutboxStatus.PENDING),
            ),
            models.Index(
                fields=["claimed_at"],
                name="outbox_sending_idx",
                condition=Q(status=OutboxStatus.SENDING),
            ),
            # The retention job finds the old rows by it (feedback.retention).
            models.Index(fields=["created_at"], name="outbox_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_address} ({self.status})"


class DigestPeriod(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class DigestDelivery(models.Model):
    """One digest per user and period: the unique row is the claim to send it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    period = models.CharField(max_length=8, choices=DigestPeriod.choices)
    period_key = models.CharField(max_length=10)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "digest deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period", "period_key"], name="digest_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} digest {self.period_key} for {self.user}"


# Webhooks and chat channels live in their own module; imported here so Django registers them.
from feedback.announcement_models import Announcement  # noqa: E402, F401
from feedback.calendar_models import CalendarFeed  # noqa: E402, F401
from feedback.webhooks_models import (  # noqa: E402, F401
    ChatChannel,
    WebhookDelivery,
    WebhookEndpoint,
)
