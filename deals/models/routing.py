"""Who must approve a commitment: review rules, each round's requirements and the approvals
that meet them, the reminders a round has had, and the email approval links already used."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from deals.models.deals import Commitment, Currency
from deals.models.review import ReviewRound
from deals.models.workflow import MAX_DEAL_VALUE, MAX_EFFORT_DAYS
from handoff.models import Team
from handoff.validators import multi_line, single_line, within_years

MAX_APPROVERS = 2
MAX_PROMISED_WITHIN_DAYS = 3650


class ApproverKind(models.TextChoices):
    # The default when no rule matches: the round's lead reviewer, any project manager.
    REVIEWER = "reviewer", "The lead reviewer"
    PM = "pm", "A project manager"
    MANAGER = "manager", "A manager"


class ReviewRule(models.Model):
    """A manager's rule routing matching commitments to approvers.

    Versioned: an edit writes a new version under the same `key` and retires the old one, so a
    round keeps the requirements it was submitted under and the history stays readable.
    """

    key = models.UUIDField(default=uuid.uuid4, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    name = models.CharField(max_length=120, validators=[single_line])
    # Conditions on the commitment; an empty or null condition matches every commitment.
    kinds = models.JSONField(default=list, blank=True)
    min_effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    promised_within_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_PROMISED_WITHIN_DAYS)],
    )
    # Condition on the deal: its value at least this much, in `value_currency` if given.
    min_deal_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_DEAL_VALUE)],
    )
    value_currency = models.CharField(max_length=3, choices=Currency.choices, blank=True)
    # True: once the deal matches (and one commitment, if commitment conditions are set),
    # every commitment of the deal needs the approval.
    whole_deal = models.BooleanField(default=False)
    approver = models.CharField(
        max_length=16,
        choices=[(k.value, k.label) for k in (ApproverKind.PM, ApproverKind.MANAGER)],
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="review_rules"
    )
    approvals_required = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_APPROVERS)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="review_rule_version_unique"),
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(retired_at__isnull=True),
                name="review_rule_one_live_version",
            ),
            models.CheckConstraint(
                condition=Q(approvals_required__gte=1, approvals_required__lte=MAX_APPROVERS),
                name="review_rule_approvers_1_or_2",
            ),
            models.CheckConstraint(
                condition=Q(approver=ApproverKind.PM) | Q(team__isnull=True),
                name="review_rule_team_only_for_pm",
            ),
            models.CheckConstraint(
                condition=Q(approver__in=[ApproverKind.PM, ApproverKind.MANAGER]),
                name="review_rule_approver_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["name"], name="review_rule_live_idx", condition=Q(retired_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def is_live(self) -> bool:
        return self.retired_at is None


class ApprovalRequirement(models.Model):
    """One approval a commitment needs in one round, fixed when the round opens."""

    round = models.ForeignKey(
        ReviewRound, on_delete=models.CASCADE, related_name="requirements", db_index=False
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="requirements", db_index=False
    )
    # Null for the default requirement: the lead reviewer's approval.
    rule = models.ForeignKey(
        ReviewRule, null=True, blank=True, on_delete=models.PROTECT, related_name="requirements"
    )
    approver = models.CharField(max_length=16, choices=ApproverKind.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approvals_required = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["round_id", "commitment_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "commitment", "rule"], name="requirement_one_per_rule"
            ),
            models.UniqueConstraint(
                fields=["round", "commitment"],
                condition=Q(rule__isnull=True),
                name="requirement_one_default",
            ),
            models.CheckConstraint(
                condition=Q(approvals_required__gte=1, approvals_required__lte=MAX_APPROVERS),
                name="requirement_approvers_1_or_2",
            ),
        ]
        indexes = [
            models.Index(fields=["commitment", "round"], name="requirement_commitment_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """What the requirement asks for, in words: "2 approvals by a PM of Integration"."""
        if self.approver == ApproverKind.REVIEWER:
            who = "the lead reviewer"
        elif self.approver == ApproverKind.MANAGER:
            who = "a manager"
        elif self.team_id:
            who = f"a PM of {self.team.name}"
        else:
            who = "a project manager"
        count = (
            "approval" if self.approvals_required == 1 else f"{self.approvals_required} approvals"
        )
        return f"{count.capitalize()} by {who}"


class Approval(models.Model):
    """A requirement met, in part or whole, by one approver: fresh or carried from a round."""

    requirement = models.ForeignKey(
        ApprovalRequirement, on_delete=models.CASCADE, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    condition = models.TextField(blank=True, validators=[multi_line])
    decided_at = models.DateTimeField(default=timezone.now)
    # The round whose ruling this approval carries; null when given in this round.
    carried_from_round = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["requirement_id", "decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "approver"], name="approval_one_per_approver"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.approver} for {self.requirement}"

    @property
    def is_carried(self) -> bool:
        return self.carried_from_round is not None


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Review due soon"
    OVERDUE = "overdue", "Review overdue"
    OVERDUE_DAILY = "overdue_daily", "Review still overdue"


class ReviewReminder(models.Model):
    """One reminder of one kind about one round on one day: unique, so it is sent once."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    day = models.DateField(validators=[within_years])
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round_id", "day", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "kind", "day"], name="review_reminder_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.round} on {self.day}"


class ApprovalLinkUse(models.Model):
    """An email approval link that was used: a second use finds its nonce here."""

    nonce = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"Approval link used by {self.user} on {self.used_at:%Y-%m-%d}"
