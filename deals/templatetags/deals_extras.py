"""Presentation helpers of the deals pages."""

from django import template
from django.utils.html import escape, format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

from deals.models import DealStatus
from deals.services import MENTION

register = template.Library()

STATUS_LABELS = dict(DealStatus.choices)


@register.filter
def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


@register.filter
def comment_body(comment) -> SafeString:
    """The comment's text, escaped, with the @mentions of real users in bold."""
    mentioned = {user.username for user in comment.mentions.all()}

    def bold(match) -> str:
        name = match.group(1).rstrip(".")
        if name not in mentioned:
            return match.group(0)
        return format_html("<strong>@{}</strong>{}", name, match.group(1)[len(name) :])

    # Escaping first keeps user text inert; usernames never contain characters escape() changes.
    html = MENTION.sub(bold, escape(comment.body))
    return mark_safe(linebreaks(html, autoescape=False))  # noqa: S308
