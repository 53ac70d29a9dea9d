"""The email of a notification: its subject and bodies, rendered from the rows as they are now.

Below both notifications (which write outbox rows) and the outbox (which renders a row right
before sending it), so neither has to import the other.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from feedback.models import Notification, NotificationKind
from handoff.text import single_line

SUBJECTS: dict[str, str] = {
    NotificationKind.SUBMITTED: "Review requested: {deal}",
    NotificationKind.CLAIMED: "Review claimed: {deal}",
    NotificationKind.FLAGGED: "Commitment flagged on {deal}",
    NotificationKind.CHANGES_REQUESTED: "Changes requested on {deal}",
    NotificationKind.SIGNED_OFF: "Signed off: {deal}",
    NotificationKind.WON: "Won: {deal}",
    NotificationKind.ESCALATED: "Flag escalated on {deal}",
    NotificationKind.ESCALATION_DECIDED: "Escalation decided on {deal}",
    NotificationKind.REVIEW_OVERDUE: "Review past its SLA: {deal}",
    NotificationKind.DELIVERABLE_AT_RISK: "Deliverable at risk on {deal}",
    NotificationKind.DELIVERABLE_LATE: "Deliverable late on {deal}",
    NotificationKind.HANDOFF_QUESTIONS: "Questions about the handoff of {deal}",
    NotificationKind.FEEDBACK_NOTE: "Feedback from {actor}: {topic}",
    NotificationKind.MENTION: "{actor} mentioned you on {deal}",
}


def absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def deal_url(deal: Any) -> str:
    return reverse("deals:detail", args=[deal.pk])


def email_subject(notification: Notification, context: dict[str, Any]) -> str:
    """One line whatever the titles and names in it hold: a line break would break the email."""
    return single_line(
        SUBJECTS[notification.kind].format(
            deal=notification.deal or "",
            actor=notification.actor or "Handoff",
            topic=context.get("topic_label", ""),
        )
    )


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


def render_email(notification: Notification, context: dict[str, Any]) -> RenderedEmail:
    """The email of a notification, from its rows as they are now and the stored context."""
    subject = email_subject(notification, context)
    ctx = {
        "recipient": notification.recipient,
        "notification": notification,
        "actor": notification.actor,
        "deal": notification.deal,
        "project": notification.project,
        "link": absolute(notification.url) if notification.url else settings.SITE_URL,
        "site_url": settings.SITE_URL,
        "preferences_url": absolute(reverse("feedback:preferences")),
        **context,
        "subject": subject,
    }
    return RenderedEmail(
        subject=subject,
        text_body=render_to_string(f"email/{notification.kind}.txt", ctx),
        html_body=render_to_string(f"email/{notification.kind}.html", ctx),
    )
