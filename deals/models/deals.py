"""Clients, deals and the commitments inside them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from deals.models.intake import ExternallyIdentified, external_id_constraints
from deals.models.workflow import (
    EDITABLE_STATUSES,
    MAX_DEAL_VALUE,
    MAX_EFFORT_DAYS,
    PIPELINE_STATUSES,
    TERMINAL_STATUSES,
    WORKFLOW_FIELDS,
    DealQuerySet,
    DealStatus,
    StatusWriteRefused,
    _has_workflow_state,
    _in_workflow,
    _refuse_workflow_fields,
    close_gate_trigger,
)
from handoff.validators import multi_line, single_line, within_years


class Client(ExternallyIdentified, models.Model):
    name = models.CharField(max_length=200, validators=[single_line])
    industry = models.CharField(max_length=100, blank=True, validators=[single_line])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="client_name_ci_unique"),
            *external_id_constraints("client"),
        ]

    def __str__(self) -> str:
        return self.name


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    GBP = "GBP", "GBP"


class Deal(ExternallyIdentified, models.Model):
    title = models.CharField(max_length=200, validators=[single_line])
    # db_index=False: deal_client_updated_idx and deal_owner_updated_idx lead with these
    # columns and serve their lookups; a second index on each would only slow the writes.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_DEAL_VALUE)],
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    expected_close_date = models.DateField(validators=[within_years])
    expected_start_date = models.DateField(null=True, blank=True, validators=[within_years])
    description = models.TextField(blank=True, validators=[multi_line])
    # Set only by deals.services; never editable through forms, the API or the admin.
    status = models.CharField(
        max_length=20, choices=DealStatus.choices, default=DealStatus.DRAFT, editable=False
    )
    lost_reason = models.TextField(blank=True, editable=False)
    first_submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped by every write, so a stale form or API client gets a conflict, not a lost update.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="deal_value_non_negative"),
            models.CheckConstraint(
                condition=Q(status__in=DealStatus.values), name="deal_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=DealStatus.LOST) | ~Q(lost_reason=""),
                name="deal_lost_has_reason",
            ),
            *external_id_constraints("deal"),
        ]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="deal_owner_updated_idx"),
            models.Index(fields=["status", "-updated_at"], name="deal_status_updated_idx"),
            models.Index(fields=["-updated_at", "-id"], name="deal_updated_idx"),
            models.Index(
                fields=["-updated_at", "-id"],
                name="deal_submitted_updated_idx",
                condition=Q(first_submitted_at__isnull=False),
            ),
            models.Index(fields=["client", "-updated_at"], name="deal_client_updated_idx"),
            # The deal list's sorts, with the tie-breaker it orders by (deals.filters.SORTS).
            models.Index(fields=["-value", "-id"], name="deal_value_idx"),
            models.Index(fields=["expected_close_date", "id"], name="deal_close_idx"),
            models.Index(fields=["title", "id"], name="deal_title_idx"),
            # The open pipeline (the dashboard): its value per currency, a rep's part of it too,
            # and the deals whose commitments load the weeks ahead from their start, read from
            # the index alone (the value 85 → 10 ms for 30,000 open deals of 1,000,000).
            models.Index(
                fields=["owner"],
                include=["currency", "value", "expected_start_date", "id"],
                condition=Q(status__in=PIPELINE_STATUSES),
                name="deal_pipeline_value_idx",
            ),
        ]
        triggers = [close_gate_trigger()]
        # Search reads trigram indexes on the searched texts, PostgreSQL only: see migration
        # 0004_search_trigram_indexes.

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Outside the workflow a save never writes status, and refuses to change it."""
        if _in_workflow.get():
            return super().save(*args, **kwargs)
        if self._state.adding:
            if _has_workflow_state(self):
                raise StatusWriteRefused("A new deal starts as a draft.")
            return super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            _refuse_workflow_fields(update_fields)
            return super().save(*args, **kwargs)
        stored = Deal.objects.filter(pk=self.pk).values(*WORKFLOW_FIELDS).first() or {}
        if any(stored.get(f, getattr(self, f)) != getattr(self, f) for f in WORKFLOW_FIELDS):
            raise StatusWriteRefused("A deal's status changes only through the review workflow.")
        # Write everything but the workflow fields, so a stale copy cannot put an old status back.
        kwargs["update_fields"] = [
            f.name
            for f in self._meta.concrete_fields
            if not f.primary_key and f.name not in WORKFLOW_FIELDS
        ]
        return super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("deals:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in TERMINAL_STATUSES


class CommitmentKind(models.TextChoices):
    SCOPE = "scope", "Scope"
    TIMELINE = "timeline", "Timeline"
    STAFFING = "staffing", "Staffing"
    PRICING = "pricing", "Pricing"
    SUPPORT = "support", "Support"
    INTEGRATION = "integration", "Integration"
    OTHER = "other", "Other"


class Commitment(ExternallyIdentified, models.Model):
    # Indexed by commitment_deal_load_idx below, which also holds what a load is summed from.
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="commitments", db_index=False
    )
    kind = models.CharField(max_length=20, choices=CommitmentKind.choices)
    summary = models.CharField(max_length=200, validators=[single_line])
    detail = models.TextField(blank=True, validators=[multi_line])
    promised_date = models.DateField(validators=[within_years])
    effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # What history suggested when the promise was written (the date 80 % of similar promises
    # met, see deals.promise_advice), and whether the promise took that date. Not part of the
    # promise: the fingerprint leaves them out.
    suggested_date = models.DateField(
        null=True, blank=True, editable=False, validators=[within_years]
    )
    suggestion_taken = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["deal_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effort_days__gte=0), name="commitment_effort_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CommitmentKind.values), name="commitment_kind_valid"
            ),
            *external_id_constraints("commitment"),
        ]
        indexes = [
            models.Index(fields=["kind"], name="commitment_kind_idx"),
            # A deal's commitments, and on PostgreSQL the date and effort that the dashboard's
            # open pipeline sums: read from the index alone, deal by deal, instead of a scan
            # of every commitment (86 → 24 ms at 100,000 deals).
            models.Index(
                fields=["deal"],
                include=["promised_date", "effort_days"],
                name="commitment_deal_load_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    def fingerprint_data(self) -> dict:
        return {
            "id": self.pk,
            "version": self.version,
            "kind": self.kind,
            "summary": self.summary,
            "detail": self.detail,
            "promised_date": self.promised_date.isoformat(),
            "effort_days": str(self.effort_days),
        }
