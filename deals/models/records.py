"""What happened on a deal: its audit trail and its comments."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from deals.models.deals import Deal
from deals.models.workflow import EventKind
from handoff.audit import AppendOnlyModel
from handoff.validators import multi_line


class DealEvent(AppendOnlyModel):
    """The audit trail. Written once by the services, never edited or deleted."""

    # Lookups by deal read event_deal_at_idx (deal, at).
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="event_deal_at_idx"),
            models.Index(fields=["kind", "at"], name="event_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.deal_id}"


class Comment(models.Model):
    # Lookups by deal read comment_deal_idx (deal, created_at).
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(validators=[multi_line])
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["deal", "created_at"], name="comment_deal_idx")]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.deal}"
