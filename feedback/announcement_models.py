"""Announcements: what one change has to tell many people, until a worker tells them."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Announcement(models.Model):
    """One change that tells many people, written in its transaction; the worker expands it.

    It names the change, a deal event or a comment on `deal`, never the people: who is told,
    what each notification says and each person's email links are worked out by the worker
    (feedback.announcements), which deletes the row in the transaction that writes them.
    A row still here is waiting for its task, for the sweep, or has failed for good.
    """

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="+")
    # Deal events are partitioned by month on PostgreSQL, so no foreign key can point at one.
    event_id = models.BigIntegerField(null=True, blank=True)
    comment = models.ForeignKey(
        "deals.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The sweep expands a row from this time on; the task after commit does not wait.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(event_id__isnull=False, comment__isnull=True)
                | Q(event_id__isnull=True, comment__isnull=False),
                name="announcement_names_one_change",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="announcement_due_idx",
                condition=Q(failed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        change = f"event {self.event_id}" if self.event_id else f"comment {self.comment_id}"
        return f"Announcement of {change} on deal {self.deal_id}"
