"""The dashboard's summary tables: what the figures count, folded from the rows, and the watermark.

Each row carries its day and the people a window can be limited to (the deal's owner, the
round's reviewer or the verdict's PM, the project's PM), so a window over a range and a team is
a sum of rows read by the day index; and its deal, so the fold replaces exactly what a deal's
events changed. Only insights.summary_fold writes them; insights.figures.summarised reads them.
People and rows are plain ids, not foreign keys: a summary is numbers, rebuilt by the fold.
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
    a day's rounds rarely share a rep and a reviewer, and the row is narrow and needs no join.
    """

    round_id = models.BigIntegerField(unique=True)
    deal_id = models.BigIntegerField()
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
        verbose_name_plural = "review round summaries"
        indexes = [
            models.Index(fields=["day"], name="round_summary_day_idx"),
            models.Index(fields=["deal_id"], name="round_summary_deal_idx"),
        ]

    def __str__(self) -> str:
        return f"Round {self.round_id} of {self.day}"


class VerdictSummary(models.Model):
    """The verdicts of one round per deciding PM and commitment kind, on the round's day."""

    round_id = models.BigIntegerField()
    deal_id = models.BigIntegerField()
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
        verbose_name_plural = "verdict summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["round_id", "pm_id", "kind"], name="verdict_summary_unique"
            )
        ]
        indexes = [
            models.Index(fields=["day"], name="verdict_summary_day_idx"),
            models.Index(fields=["deal_id"], name="verdict_summary_deal_idx"),
        ]

    def __str__(self) -> str:
        return f"Verdicts of round {self.round_id}"


class PromiseSummary(models.Model):
    """One promise (deliverable) due on a day, with the rep (the won deal's owner), the project
    PM and every count projects.promises and the calibration figures take, each 0 or 1 (the
    slip in days), so any range's kept rates, slip and calibration are sums of these rows."""

    deliverable_id = models.BigIntegerField(unique=True)
    deal_id = models.BigIntegerField()
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
        verbose_name_plural = "promise summaries"
        indexes = [
            models.Index(fields=["day"], name="promise_summary_day_idx"),
            models.Index(fields=["deal_id"], name="promise_summary_deal_idx"),
        ]

    def __str__(self) -> str:
        return f"Promise {self.deliverable_id} due {self.day}"


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
