"""Presentation helpers of the deals pages."""

from datetime import datetime

from django import template
from django.utils import timezone

from deals.models import DealStatus
from deals.services.comments import MENTION
from deals.timeline import days

register = template.Library()

STATUS_LABELS = dict(DealStatus.choices)


@register.filter
def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


@register.filter
def effort(value) -> str:
    """12 days, 12.5 days, 1 day."""
    return days(value)


@register.filter
def comment_segments(comment) -> list[tuple[str, bool]]:
    """The comment's text as (text, is_mention) pieces; the template escapes each piece."""
    mentioned = {user.username for user in comment.mentions.all()}
    segments: list[tuple[str, bool]] = []
    position = 0
    for match in MENTION.finditer(comment.body):
        name = match.group(1).rstrip(".")
        if name not in mentioned:
            continue
        segments.append((comment.body[position : match.start()], False))
        segments.append((f"@{name}", True))
        position = match.start() + 1 + len(name)
    segments.append((comment.body[position:], False))
    return [segment for segment in segments if segment[0]]


@register.filter
def relative_due(due_at: datetime | None, now: datetime | None = None) -> str:
    """How far a review's due time is: "due in 45 min", "due in 5 h", "2 days overdue"."""
    if due_at is None:
        return ""
    seconds = (due_at - (now or timezone.now())).total_seconds()
    span = abs(seconds)
    if span < 3600:
        amount = f"{max(1, round(span / 60))} min"
    elif span < 86400:
        amount = f"{round(span / 3600)} h"
    else:
        count = round(span / 86400)
        amount = f"{count} day{'s' if count != 1 else ''}"
    return f"due in {amount}" if seconds >= 0 else f"{amount} overdue"
