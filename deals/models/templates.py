"""Deal templates: a manager's standard commitments, to start a new deal from."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from deals.models.deals import CommitmentKind
from deals.models.workflow import MAX_EFFORT_DAYS
from handoff.validators import single_line

# A commitment's promised date is its offset after the deal's start: within ten years.
MAX_OFFSET_DAYS = 3650


class DealTemplate(models.Model):
    name = models.CharField(max_length=200, validators=[single_line])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="deal_template_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class TemplateCommitment(models.Model):
    template = models.ForeignKey(DealTemplate, on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(max_length=20, choices=CommitmentKind.choices)
    summary = models.CharField(max_length=200, validators=[single_line])
    effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    offset_days = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_OFFSET_DAYS)]
    )

    class Meta:
        ordering = ["template_id", "offset_days", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CommitmentKind.values), name="template_commitment_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(offset_days__lte=MAX_OFFSET_DAYS),
                name="template_commitment_offset_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.summary
