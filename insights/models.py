"""The dashboard's summary tables: per-day figures folded from the rows, and the fold's watermark.

Rows are keyed by a day and the people a window can be limited to (the deal's owner, the round's
reviewer or the verdict's PM, the project's PM), so a window over a range and a team is a sum of
rows. Only insights.summary_fold writes them; insights.figures.summarised reads them.
People are plain ids, not foreign keys: a summary row is a number about them, rebuilt by the fold.
"""

from decimal import Decimal

from django.db import models

EFFORT = {"max_digits": 14, "decimal_places": 1, "default": Decimal("0")}
# The one SummaryState row the fold keeps.
FIGURES_STATE = "figures"


class ReviewRoundSummary(models.Model):
    """One review round as the figures count it: its day of submission (site time zone), rep
    and reviewer (0: none), and its working days to decision, computed once.

    A row per round rather than per day: medians and percentiles over any range must be exact,
    and the row is narrow and needs no join.
    """

    round_id = models.BigIntegerField(unique=True)
    day = models.DateField()
    rep_id = models.IntegerField()
    reviewer_id = models.IntegerField()
    first = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, blank=True)
    # Decided after its due time; a round still open past it is counted live.
    late_decided = models.BooleanField(default=False)
    # Signed off or changes requested: working days from submission to decision.
    working_days = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["day"], name="round_summary_day_idx")]

    def __str__(self) -> str:
        return f"Round {self.round_id} of {self.day}"


class VerdictDay(models.Model):
    """Verdicts in rounds submitted on one day, per rep, deciding PM and commitment kind."""

    day = models.DateField()
    rep_id = models.IntegerField()
    pm_id = models.IntegerField()
    kind = models.CharField(max_length=20)
    verdicts = models.IntegerField(default=0)
    flagged = models.IntegerField(default=0)
    effort = models.DecimalField(**EFFORT)
    # Effort flagged, or whose deliverable was delivered late, missed or is open past its date.
    over_effort = models.DecimalField(**EFFORT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "rep_id", "pm_id", "kind"], name="verdict_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Verdicts of {self.day}"


class PromiseDay(models.Model):
    """Promises (deliverables) due on one day, per rep (the won deal's owner) and project PM.

    Every count projects.promises and the calibration figures take over deliverables, so any
    range's kept rates, slip and calibration are sums of these rows.
    """

    day = models.DateField()
    rep_id = models.IntegerField()
    pm_id = models.IntegerField()
    kept = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    slip_total = models.IntegerField(default=0)
    slip_count = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    sold_resolved = models.IntegerField(default=0)
    renegotiated_kept = models.IntegerField(default=0)
    changed = models.IntegerField(default=0)
    suggested = models.IntegerField(default=0)
    suggestion_held = models.IntegerField(default=0)
    against_suggestion = models.IntegerField(default=0)
    against_suggestion_missed = models.IntegerField(default=0)
    suggestion_taken = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "rep_id", "pm_id"], name="promise_day_unique")
        ]

    def __str__(self) -> str:
        return f"Promises due {self.day}"


class SummaryState(models.Model):
    """How far the fold has read: the last deal and project event folded, and the day it
    folded on (lateness moves with the date). One row."""

    name = models.CharField(max_length=40, unique=True)
    deal_event_id = models.BigIntegerField(default=0)
    project_event_id = models.BigIntegerField(default=0)
    as_of = models.DateField(null=True, blank=True)
    folded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
