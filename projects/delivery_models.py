"""Delivery truth: the time spent on each deliverable, and the changes to a promise after the win,
decided like a review of that one promise."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from deals.models import MAX_EFFORT_DAYS
from handoff.validators import multi_line, single_line, within_years

# Actual effort


HOURS_PER_DAY = Decimal("8")
MAX_HOURS_PER_DAY = Decimal("24")


class TimeEntry(models.Model):
    """Actual effort: hours one person spent on one deliverable on one day."""

    deliverable = models.ForeignKey(
        "projects.Deliverable", on_delete=models.CASCADE, related_name="time_entries"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    day = models.DateField(validators=[within_years])
    hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(MAX_HOURS_PER_DAY)],
    )
    note = models.CharField(max_length=200, blank=True, validators=[single_line])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "time entries"
        ordering = ["-day", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="time_entry_hours_range"
            ),
        ]
        indexes = [
            models.Index(fields=["deliverable", "day"], name="time_entry_deliverable_idx"),
            models.Index(fields=["person", "day"], name="time_entry_person_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.hours} h on {self.day}"

    @property
    def days(self) -> Decimal:
        return self.hours / HOURS_PER_DAY


# Change control after the win


class ChangeRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ChangeSide(models.TextChoices):
    SALES = "sales", "Sales"
    DELIVERY = "delivery", "Delivery"


class ChangeRequest(models.Model):
    """A renegotiated promise after the win: a new date, a new effort, or descoping.

    Decided like a review of that one promise: the other side's owner approves, and so does
    whoever the review rules require. The promise as sold stays on the deliverable.
    """

    deliverable = models.ForeignKey(
        "projects.Deliverable", on_delete=models.PROTECT, related_name="change_requests"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    side = models.CharField(max_length=10, choices=ChangeSide.choices)
    proposed_date = models.DateField(null=True, blank=True, validators=[within_years])
    proposed_effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    descope = models.BooleanField(default=False)
    # The promise the request would replace, as it stood when raised.
    current_date = models.DateField(validators=[within_years])
    current_effort_days = models.DecimalField(max_digits=7, decimal_places=1)
    reason = models.TextField(validators=[multi_line])
    # Set only by projects.services_changes.
    status = models.CharField(
        max_length=10,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.OPEN,
        editable=False,
    )
    # [{"key", "label", "approver": user|pm|manager, "user", "team", "required"}], set when raised.
    requirements = models.JSONField(default=list, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_reason = models.TextField(blank=True, validators=[multi_line])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ChangeRequestStatus.values),
                name="change_request_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(descope=True, proposed_date__isnull=True, proposed_effort_days__isnull=True)
                    | Q(descope=False)
                    & (Q(proposed_date__isnull=False) | Q(proposed_effort_days__isnull=False))
                ),
                name="change_request_changes_something",
            ),
            models.CheckConstraint(
                condition=Q(status=ChangeRequestStatus.OPEN, decided_at__isnull=True)
                | ~Q(status=ChangeRequestStatus.OPEN) & Q(decided_at__isnull=False),
                name="change_request_decided_when_closed",
            ),
            models.UniqueConstraint(
                fields=["deliverable"],
                condition=Q(status=ChangeRequestStatus.OPEN),
                name="change_request_one_open_per_deliverable",
            ),
        ]
        indexes = [
            models.Index(fields=["deliverable", "-created_at"], name="change_request_deliv_idx"),
            models.Index(fields=["status", "-created_at"], name="change_request_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Change to {self.deliverable}: {self.what}"

    @property
    def is_open(self) -> bool:
        return self.status == ChangeRequestStatus.OPEN

    @property
    def what(self) -> str:
        """The change in words: "date 2027-03-01 → 2027-04-01, effort 10 → 14 days"."""
        if self.descope:
            return "descope"
        parts = []
        if self.proposed_date is not None:
            parts.append(f"date {self.current_date.isoformat()} → {self.proposed_date.isoformat()}")
        if self.proposed_effort_days is not None:
            parts.append(
                f"effort {self.current_effort_days.normalize():f} → "
                f"{self.proposed_effort_days.normalize():f} days"
            )
        return ", ".join(parts)


class ChangeApproval(models.Model):
    """One person's approval of a change request, and which of its requirements it met."""

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requirement_keys = models.JSONField(default=list)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_request", "approver"], name="change_approval_once_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.approver} approved change {self.change_request_id}"
