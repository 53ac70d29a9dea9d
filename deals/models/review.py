"""One review of a deal: its rounds, the verdict on each commitment, escalations, sign-offs."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from deals.models.deals import Commitment, Deal
from deals.models.workflow import MAX_EFFORT_DAYS
from handoff.audit import AppendOnlyModel
from handoff.validators import multi_line, within_years


class RoundOutcome(models.TextChoices):
    PENDING = "", "Pending"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SIGNED_OFF = "signed_off", "Signed off"
    CLOSED = "closed", "Closed (deal lost)"


class ReviewRound(models.Model):
    # Lookups by deal read round_number_unique (deal, number), by reviewer round_reviewer_idx.
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="rounds", db_index=False)
    number = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_rounds",
        db_index=False,
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, choices=RoundOutcome.choices, default=RoundOutcome.PENDING, blank=True
    )

    class Meta:
        ordering = ["deal_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="round_number_unique"),
            models.UniqueConstraint(
                fields=["deal"],
                condition=Q(decided_at__isnull=True),
                name="round_one_open_per_deal",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, outcome="")
                | (Q(decided_at__isnull=False) & ~Q(outcome="")),
                name="round_outcome_when_decided",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="round_open_due_idx", condition=Q(decided_at__isnull=True)
            ),
            models.Index(fields=["reviewer", "decided_at"], name="round_reviewer_idx"),
            models.Index(fields=["submitted_at"], name="round_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} · round {self.number}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class VerdictKind(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITION = "approved_with_condition", "Approved with condition"
    FLAGGED = "flagged", "Flagged"


class Verdict(models.Model):
    # verdict_one_per_commitment_round (round, commitment) and verdict_commitment_idx
    # (commitment, round) serve the lookups by each foreign key.
    round = models.ForeignKey(
        ReviewRound, on_delete=models.CASCADE, related_name="verdicts", db_index=False
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="verdicts", db_index=False
    )
    commitment_version = models.PositiveIntegerField()
    verdict = models.CharField(max_length=30, choices=VerdictKind.choices)
    reason = models.TextField(blank=True, validators=[multi_line])
    condition = models.TextField(blank=True, validators=[multi_line])
    counter_date = models.DateField(null=True, blank=True, validators=[within_years])
    counter_effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    # The round whose approval this verdict carries (unchanged since); null when ruled fresh.
    carried_from_round = models.PositiveIntegerField(null=True, blank=True)
    # The commitment version the owner's acceptance of this flag's counter-proposal created.
    counter_accepted_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["round_id", "commitment_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "commitment"], name="verdict_one_per_commitment_round"
            ),
            models.CheckConstraint(
                condition=~Q(verdict=VerdictKind.FLAGGED) | ~Q(reason=""),
                name="verdict_flag_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(verdict=VerdictKind.APPROVED_WITH_CONDITION) | ~Q(condition=""),
                name="verdict_condition_has_text",
            ),
            models.CheckConstraint(
                condition=Q(counter_effort_days__isnull=True) | Q(counter_effort_days__gte=0),
                name="verdict_counter_effort_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["commitment", "round"], name="verdict_commitment_idx")]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: {self.commitment}"

    @property
    def is_approval(self) -> bool:
        return self.verdict != VerdictKind.FLAGGED

    @property
    def is_carried(self) -> bool:
        return self.carried_from_round is not None

    @property
    def has_counter(self) -> bool:
        return self.verdict == VerdictKind.FLAGGED and (
            self.counter_date is not None or self.counter_effort_days is not None
        )


class EscalationDecision(models.TextChoices):
    PENDING = "", "Pending"
    UPHELD = "upheld", "Flag upheld"
    OVERRULED = "overruled", "Flag overruled"
    # Set by the workflow, not a manager: the deal left changes requested before a decision.
    CLOSED = "closed", "Closed: the deal moved on"


class Escalation(models.Model):
    """A rep contests a flag; a manager upholds or overrules it."""

    verdict = models.OneToOneField(Verdict, on_delete=models.CASCADE, related_name="escalation")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="escalations")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    argument = models.TextField(validators=[multi_line])
    decision = models.CharField(
        max_length=20, choices=EscalationDecision.choices, default="", blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, validators=[multi_line])

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True)
                | (~Q(decision="") & Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="escalation_decided_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["raised_at"], name="escalation_open_idx", condition=Q(decision=""))
        ]

    def __str__(self) -> str:
        return f"Escalation on {self.verdict.commitment}"

    @property
    def is_open(self) -> bool:
        return not self.decision


class SignOff(AppendOnlyModel):
    """Who signed which commitments, as they were. Immutable."""

    round = models.OneToOneField(ReviewRound, on_delete=models.PROTECT, related_name="sign_off")
    # Lookups by deal read signoff_deal_idx (deal, -signed_at).
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="sign_offs", db_index=False
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    fingerprint = models.CharField(max_length=64)
    snapshot = models.JSONField()

    class Meta(AppendOnlyModel.Meta):
        verbose_name = "sign-off"
        verbose_name_plural = "sign-offs"
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["deal", "-signed_at"], name="signoff_deal_idx")]

    def __str__(self) -> str:
        return f"Sign-off of {self.deal} by {self.signed_by}"
