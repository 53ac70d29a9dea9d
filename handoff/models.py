from datetime import date, timedelta

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from handoff.validators import QuarterWithinYears, single_line, valid_time_zone


class Role(models.TextChoices):
    SALES = "sales", "Sales rep"
    PM = "pm", "Project manager"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    OFF = "off", "Off"


class UserManager(BaseUserManager):
    """`createsuperuser` makes an operator: role admin, no digest (not a rep, nobody's recipient)."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        extra_fields.setdefault("digest_frequency", DigestFrequency.OFF)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    # What str() and display_name read: enough for a select of people.
    NAME_FIELDS = ("id", "username", "first_name", "last_name")

    # AbstractUser's names, refusing control characters: they reach email headers and pages.
    first_name = models.CharField(
        _("first name"), max_length=150, blank=True, validators=[single_line]
    )
    last_name = models.CharField(
        _("last name"), max_length=150, blank=True, validators=[single_line]
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SALES)
    digest_frequency = models.CharField(
        max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where the user reads times; blank: the site's TIME_ZONE.
    time_zone = models.CharField(max_length=64, blank=True, validators=[valid_time_zone])
    # {category: "immediate" | "digest" | "off"}; missing keys use feedback.models defaults.
    email_preferences = models.JSONField(default=dict, blank=True)

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class TeamKind(models.TextChoices):
    SALES = "sales", "Sales"
    DELIVERY = "delivery", "Delivery"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True, validators=[single_line])
    kind = models.CharField(max_length=16, choices=TeamKind.choices)
    lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(User, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GoalMetric(models.TextChoices):
    KEPT_RATE = "kept_rate", "Promise-kept rate"
    MEDIAN_REVIEW_TURNAROUND_DAYS = "median_review_turnaround_days", "Median review turnaround"
    FIRST_PASS_APPROVAL_RATE = "first_pass_approval_rate", "First-pass approval rate"


# Rates are entered and shown in percent; turnaround in working days.
GOAL_UNITS = {
    GoalMetric.KEPT_RATE: "percent",
    GoalMetric.MEDIAN_REVIEW_TURNAROUND_DAYS: "days",
    GoalMetric.FIRST_PASS_APPROVAL_RATE: "percent",
}


class GoalComparison(models.TextChoices):
    AT_LEAST = "gte", "at least (≥)"
    AT_MOST = "lte", "at most (≤)"


quarter_validator = RegexValidator(
    r"^\d{4}-Q[1-4]$", "Write the quarter as year and quarter, for example 2026-Q4."
)


class SharedGoal(models.Model):
    """A target sales and delivery own together for one quarter.

    Read and edited by insights (goals pages, figures); the model stays here, where its
    migrations are.
    """

    quarter = models.CharField(max_length=7, validators=[quarter_validator, QuarterWithinYears()])
    metric = models.CharField(max_length=40, choices=GoalMetric.choices)
    comparison = models.CharField(
        max_length=3, choices=GoalComparison.choices, default=GoalComparison.AT_LEAST
    )
    target = models.DecimalField(max_digits=6, decimal_places=2)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-quarter", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["quarter", "metric"], name="goal_one_per_metric"),
            models.CheckConstraint(
                condition=models.Q(metric__in=GoalMetric.values), name="goal_metric_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(comparison__in=GoalComparison.values),
                name="goal_comparison_valid",
            ),
            models.CheckConstraint(condition=models.Q(target__gte=0), name="goal_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quarter}: {self.get_metric_display()} {self.comparison_sign} {self.target}"

    @property
    def comparison_sign(self) -> str:
        return "≥" if self.comparison == GoalComparison.AT_LEAST else "≤"

    @property
    def unit(self) -> str:
        return GOAL_UNITS[self.metric]

    @property
    def quarter_range(self) -> tuple[date, date]:
        return quarter_range(self.quarter)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_range(quarter: str) -> tuple[date, date]:
    """First and last day of a quarter named like 2026-Q4."""
    year, number = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * number - 2, 1)
    following = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return start, following - timedelta(days=1)


class MetricsSnapshot(models.Model):
    """A stored result of an aggregate that scans history: the alignment over one window,
    a quarter's goal values. Pages read it; a scheduled job and stale reads recompute it.

    Written and read by insights.snapshots; the model stays here, where its migrations are.
    """

    key = models.CharField(max_length=120, unique=True)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="How long the computation took.")
    payload = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["computed_at"], name="snapshot_computed_idx")]

    def __str__(self) -> str:
        return f"{self.key} at {self.computed_at:%Y-%m-%d %H:%M}"


# API tokens live in their own module; imported here so the app's migrations hold them.
from handoff.token_models import ApiToken, ApiTokenEvent  # noqa: E402, F401
