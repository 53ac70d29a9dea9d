from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from deals.models import MAX_EFFORT_DAYS, Commitment, CommitmentKind, Deal
from handoff.audit import AppendOnlyModel
from handoff.validators import multi_line, single_line, within_years


def default_weekly_capacity() -> Decimal:
    return Decimal(str(settings.DEFAULT_WEEKLY_CAPACITY_DAYS))


class ProjectStatus(models.TextChoices):
    KICKOFF = "kickoff", "Kickoff"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"


# Project status changes after the handoff is accepted: status -> statuses it may move to.
PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    ProjectStatus.ACTIVE: frozenset({ProjectStatus.ON_HOLD, ProjectStatus.COMPLETED}),
    ProjectStatus.ON_HOLD: frozenset({ProjectStatus.ACTIVE}),
}


class Project(models.Model):
    deal = models.OneToOneField(Deal, on_delete=models.PROTECT, related_name="project")
    pm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name="project manager",
    )
    start_date = models.DateField(validators=[within_years])
    # Set only by projects.services.
    status = models.CharField(
        max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.KICKOFF, editable=False
    )
    customer_context = models.TextField(blank=True, validators=[multi_line])
    stakeholders = models.TextField(blank=True, validators=[multi_line])
    risks = models.TextField(blank=True, validators=[multi_line])
    promised_outside_commitments = models.TextField(
        "promised outside the commitments", blank=True, validators=[multi_line]
    )
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values), name="project_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="project_status_idx"),
            models.Index(fields=["pm", "-created_at"], name="project_pm_idx"),
            models.Index(fields=["-created_at", "-id"], name="project_created_idx"),
        ]

    def __str__(self) -> str:
        return self.deal.title

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    @property
    def has_brief(self) -> bool:
        return any(
            (
                self.customer_context,
                self.stakeholders,
                self.risks,
                self.promised_outside_commitments,
            )
        )


DEFAULT_KICKOFF_ITEMS = (
    "Read the handoff brief and the signed commitments",
    "Meet the sales rep for the internal handoff",
    "Hold the kickoff meeting with the client",
    "Confirm the delivery plan against the promised dates",
    "Set up the project workspace and access",
)


class KickoffItem(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="kickoff_items")
    text = models.CharField(max_length=200, validators=[single_line])
    done = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project_id", "position", "id"]
        indexes = [models.Index(fields=["project", "position"], name="kickoff_project_idx")]

    def __str__(self) -> str:
        return self.text


class ProjectEventKind(models.TextChoices):
    CREATED = "created", "Project created"
    BRIEF_UPDATED = "brief_updated", "Brief updated"
    KICKOFF_ITEM_ADDED = "kickoff_item_added", "Kickoff item added"
    KICKOFF_ITEM_CHECKED = "kickoff_item_checked", "Kickoff item checked"
    KICKOFF_ITEM_REMOVED = "kickoff_item_removed", "Kickoff item removed"
    STATUS_CHANGED = "status_changed", "Project status changed"
    HANDOFF_ACCEPTED = "handoff_accepted", "Handoff accepted"
    QUESTIONS_SENT = "questions_sent", "Questions sent to sales"
    DELIVERABLE_STATUS_CHANGED = "deliverable_status_changed", "Deliverable status changed"
    TIME_ENTRY_CHANGED = "time_entry_changed", "Time entry changed"
    TIME_ENTRY_REMOVED = "time_entry_removed", "Time entry removed"
    CHANGE_REQUESTED = "change_requested", "Change requested"
    CHANGE_APPROVED = "change_approved", "Change approved"
    CHANGE_REJECTED = "change_rejected", "Change rejected"
    ACCEPTANCE_SENT = "acceptance_sent", "Sent for customer acceptance"
    ACCEPTANCE_RESENT = "acceptance_resent", "Customer acceptance sent again"
    ACCEPTANCE_CANCELLED = "acceptance_cancelled", "Customer acceptance cancelled"
    ACCEPTANCE_ACCEPTED = "acceptance_accepted", "Accepted by the customer"
    ACCEPTANCE_DECLINED = "acceptance_declined", "Declined by the customer"


class ProjectEvent(AppendOnlyModel):
    """The project's audit trail. Written once by the services, never edited or deleted."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, choices=ProjectEventKind.choices)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["project", "at"], name="pevent_project_at_idx"),
            models.Index(fields=["kind", "at"], name="pevent_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.project_id}"


class DeliverableStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    AT_RISK = "at_risk", "At risk"
    DELIVERED = "delivered", "Delivered"
    MISSED = "missed", "Missed"
    DESCOPED = "descoped", "Descoped"


OPEN_DELIVERABLE_STATUSES = frozenset(
    {DeliverableStatus.PLANNED, DeliverableStatus.IN_PROGRESS, DeliverableStatus.AT_RISK}
)
# A promise is resolved once it was delivered or missed; descoped promises were withdrawn.
RESOLVED_DELIVERABLE_STATUSES = frozenset({DeliverableStatus.DELIVERED, DeliverableStatus.MISSED})
STATUSES_NEEDING_REASON = frozenset({DeliverableStatus.AT_RISK, DeliverableStatus.DESCOPED})


class Deliverable(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deliverables")
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="deliverables"
    )
    kind = models.CharField(max_length=20, choices=CommitmentKind.choices)
    summary = models.CharField(max_length=200, validators=[single_line])
    promised_date = models.DateField(validators=[within_years])
    effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    condition = models.TextField(blank=True, validators=[multi_line])
    # Set only by projects.services.
    status = models.CharField(
        max_length=20,
        choices=DeliverableStatus.choices,
        default=DeliverableStatus.PLANNED,
        editable=False,
    )
    status_reason = models.TextField(blank=True, validators=[multi_line])
    delivered_on = models.DateField(null=True, blank=True, validators=[within_years])
    # Days past the promised date once resolved (delivered or missed); early counts as 0.
    slip_days = models.IntegerField(null=True, blank=True, editable=False)
    # The PM's own estimate, asked for when the handoff is accepted (the sold effort by default).
    estimate_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    # The promise as renegotiated by approved change requests; the sold one above stays.
    renegotiated_date = models.DateField(
        null=True, blank=True, editable=False, validators=[within_years]
    )
    renegotiated_effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    # Withdrawn through an approved change request: as sold, a promise not kept.
    descoped_by_change = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["project_id", "promised_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliverableStatus.values), name="deliverable_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliverableStatus.DELIVERED) | Q(delivered_on__isnull=False),
                name="deliverable_delivered_has_date",
            ),
            models.CheckConstraint(
                condition=Q(status=DeliverableStatus.DELIVERED) | Q(delivered_on__isnull=True),
                name="deliverable_date_only_when_delivered",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=STATUSES_NEEDING_REASON) | ~Q(status_reason=""),
                name="deliverable_reason_when_needed",
            ),
            models.CheckConstraint(
                condition=Q(effort_days__gte=0), name="deliverable_effort_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(slip_days__isnull=True) | Q(slip_days__gte=0),
                name="deliverable_slip_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(estimate_days__isnull=True) | Q(estimate_days__gte=0),
                name="deliverable_estimate_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(renegotiated_effort_days__isnull=True)
                | Q(renegotiated_effort_days__gte=0),
                name="deliverable_renegotiated_effort_non_negative",
            ),
            models.UniqueConstraint(
                fields=["project", "commitment"], name="deliverable_one_per_commitment"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "promised_date"], name="deliverable_project_idx"),
            models.Index(fields=["status", "promised_date"], name="deliverable_status_due_idx"),
            # The open work with what its load is summed from, for the dashboard's delivery
            # load: read whole from the index (372 → 208 ms at 1,000,000 deals, where a sixth of
            # the deliverables are open), not by visiting every project's deliverables.
            models.Index(
                fields=["project"],
                include=["promised_date", "effort_days"],
                condition=Q(status__in=sorted(OPEN_DELIVERABLE_STATUSES)),
                name="deliverable_open_load_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DELIVERABLE_STATUSES

    @property
    def is_late(self) -> bool:
        """Open past its promised date: late without anyone marking it."""
        return self.is_open and self.promised_date < timezone.localdate()

    @property
    def is_kept(self) -> bool:
        """Kept as sold: delivered on or before the date the deal promised."""
        return (
            self.status == DeliverableStatus.DELIVERED
            and self.delivered_on is not None
            and self.delivered_on <= self.promised_date
        )

    @property
    def due_date(self) -> date:
        """The date it is due now: the renegotiated one, else the sold one."""
        return self.renegotiated_date or self.promised_date

    @property
    def planned_days(self) -> Decimal:
        """The effort planned now: renegotiated, else the PM's estimate, else the sold effort."""
        for value in (self.renegotiated_effort_days, self.estimate_days):
            if value is not None:
                return value
        return self.effort_days

    @property
    def is_renegotiated(self) -> bool:
        return (
            self.renegotiated_date is not None
            or self.renegotiated_effort_days is not None
            or self.descoped_by_change
        )

    @property
    def is_late_as_renegotiated(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()

    @property
    def is_kept_as_renegotiated(self) -> bool:
        return (
            self.status == DeliverableStatus.DELIVERED
            and self.delivered_on is not None
            and self.delivered_on <= self.due_date
        )

    @property
    def promise_state(self) -> str:
        """kept, delivered_late, missed, descoped, late or open: for styles and data attributes."""
        if self.is_kept:
            return "kept"
        if self.status == DeliverableStatus.DELIVERED:
            return "delivered_late"
        if self.status in (DeliverableStatus.MISSED, DeliverableStatus.DESCOPED):
            return self.status
        return "late" if self.is_late else "open"

    @property
    def promise_label(self) -> str:
        if self.is_kept:
            return "Kept"
        if self.status == DeliverableStatus.DELIVERED:
            return f"Delivered {self.slip_days} days late"
        if self.status == DeliverableStatus.MISSED:
            return "Missed"
        if self.status == DeliverableStatus.DESCOPED:
            return "Descoped"
        if self.is_late:
            return "Late"
        return "Open"


class PMCapacity(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capacity"
    )
    weekly_days = models.DecimalField(
        "person-days per week",
        max_digits=4,
        decimal_places=1,
        default=default_weekly_capacity,
        validators=[MinValueValidator(0), MaxValueValidator(7)],
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "PM capacity"
        verbose_name_plural = "PM capacities"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekly_days__gte=0) & Q(weekly_days__lte=7),
                name="capacity_weekly_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.weekly_days} days/week"


class CapacityException(models.Model):
    """A week at reduced (or extra) capacity: time off, training, part-time."""

    pm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capacity_exceptions"
    )
    week_start = models.DateField(
        help_text="The Monday of the ISO week.", validators=[within_years]
    )
    days = models.DecimalField(
        "person-days that week",
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(7)],
    )
    note = models.CharField(max_length=200, blank=True, validators=[single_line])

    class Meta:
        ordering = ["pm_id", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["pm", "week_start"], name="capacity_exception_unique"),
            models.CheckConstraint(
                condition=Q(days__gte=0) & Q(days__lte=7), name="capacity_exception_days_range"
            ),
        ]
        indexes = [models.Index(fields=["week_start"], name="capacity_exception_week_idx")]

    def __str__(self) -> str:
        return f"{self.pm}: {self.days} days in week of {self.week_start}"

    def clean(self) -> None:
        if self.week_start and self.week_start.weekday() != 0:
            raise ValidationError({"week_start": "Weeks start on a Monday."})


# Time entries and change requests live in their own module (projects/delivery_models.py), and
# customer acceptance in its own; imported here so the app's migrations hold them.
from projects.acceptance_models import AcceptanceLinkUse, AcceptanceRequest  # noqa: E402, F401
from projects.delivery_models import (  # noqa: E402, F401
    HOURS_PER_DAY,
    MAX_HOURS_PER_DAY,
    ChangeApproval,
    ChangeRequest,
    ChangeRequestStatus,
    ChangeSide,
    TimeEntry,
)
