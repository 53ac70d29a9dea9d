"""Deals from outside: the external ids of clients, deals and commitments, and CSV imports."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from handoff.validators import single_line

MAX_SOURCE_LENGTH = 40
MAX_EXTERNAL_ID_LENGTH = 120

source_slug = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*\Z",
    "A source is lowercase letters, digits, - and _ (hubspot, salesforce, csv).",
    code="invalid_source",
)


class ExternallyIdentified(models.Model):
    """An optional (external_source, external_id): who sent the row, and its id there."""

    external_source = models.CharField(
        max_length=MAX_SOURCE_LENGTH, blank=True, default="", validators=[source_slug]
    )
    external_id = models.CharField(
        max_length=MAX_EXTERNAL_ID_LENGTH, blank=True, default="", validators=[single_line]
    )

    class Meta:
        abstract = True


def external_id_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Unique per source when set, and a source and an id together or neither."""
    return [
        models.UniqueConstraint(
            fields=["external_source", "external_id"],
            condition=~Q(external_id=""),
            name=f"{prefix}_external_id_unique",
        ),
        models.CheckConstraint(
            condition=Q(external_source="", external_id="")
            | (~Q(external_source="") & ~Q(external_id="")),
            name=f"{prefix}_external_id_has_source",
        ),
    ]


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RowFate(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    UNCHANGED = "unchanged", "Unchanged"
    ERROR = "error", "Error"


class Import(models.Model):
    """One uploaded file of deals: previewed, then run (in a job when it is large)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deal_imports"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    filename = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=MAX_SOURCE_LENGTH, default="csv")
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # A job holds the import while it runs; one whose claim ran out died with its worker.
    claimed_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_user_idx")]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.filename})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class ImportRow(models.Model):
    """One line of the file (a commitment of a deal), its cells and what became of it."""

    deal_import = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    external_id = models.CharField(max_length=MAX_EXTERNAL_ID_LENGTH, blank=True)
    cells = models.JSONField(default=dict)
    # The preview's plan, then what the run did.
    fate = models.CharField(max_length=20, choices=RowFate.choices)
    field = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=500, blank=True)
    done = models.BooleanField(default=False)
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["deal_import", "line"]
        constraints = [
            models.UniqueConstraint(fields=["deal_import", "line"], name="import_row_line_unique")
        ]
        indexes = [
            models.Index(fields=["deal_import", "done", "line"], name="import_row_pending_idx")
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.fate}"
