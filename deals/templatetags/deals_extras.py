"""Presentation helpers of the deals pages."""

from django import template

from deals.models import DealStatus
from deals.services.comments import MENTION

register = template.Library()

STATUS_LABELS = dict(DealStatus.choices)


@register.filter
def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


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
