"""The emails Handoff sends: subjects, one layout for every kind, styles inlined when rendered.

Below both notifications (which write outbox rows) and the outbox (which renders a row right
before sending it), so neither has to import the other. Digests render through it too.
"""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from feedback.models import EmailCategory, Notification, NotificationKind, email_category
from handoff.templatetags.formats import when
from handoff.text import single_line

# Every subject reads "What happened: what it is about", so an inbox lines them up.
SUBJECTS: dict[str, str] = {
    NotificationKind.SUBMITTED: "Review requested: {deal}",
    NotificationKind.CLAIMED: "Review claimed: {deal}",
    NotificationKind.APPROVAL_NEEDED: "Approval needed: {deal}",
    NotificationKind.REVIEW_ASSIGNED: "Review assigned to you: {deal}",
    NotificationKind.REVIEW_RELEASED: "Review released: {deal}",
    NotificationKind.COUNTER_ACCEPTED: "Counter-proposal accepted: {deal}",
    NotificationKind.REVIEW_DUE_SOON: "Review due soon: {deal}",
    NotificationKind.FLAGGED: "Commitment flagged: {deal}",
    NotificationKind.CHANGES_REQUESTED: "Changes requested: {deal}",
    NotificationKind.SIGNED_OFF: "Signed off: {deal}",
    NotificationKind.WON: "Deal won: {deal}",
    NotificationKind.ESCALATED: "Flag escalated: {deal}",
    NotificationKind.ESCALATION_DECIDED: "Escalation decided: {deal}",
    NotificationKind.REVIEW_OVERDUE: "Review past its SLA: {deal}",
    NotificationKind.DELIVERABLE_AT_RISK: "Deliverable at risk: {deal}",
    NotificationKind.DELIVERABLE_LATE: "Deliverable late: {deal}",
    NotificationKind.HANDOFF_QUESTIONS: "Handoff questions: {deal}",
    NotificationKind.FEEDBACK_NOTE: "Feedback from {actor}: {topic}",
    NotificationKind.MENTION: "Mentioned by {actor}: {deal}",
    NotificationKind.INTEGRATION_DISABLED: "Turned off after failures: {topic}",
    NotificationKind.ACCEPTANCE_DECLINED: "Declined by the customer: {deal}",
    NotificationKind.CHANGE_REQUESTED: "Change to a promise to decide: {deal}",
    NotificationKind.CHANGE_DECIDED: "Change to a promise decided: {deal}",
}

# The words on each email's button (and before its link in the text part).
ACTIONS: dict[str, str] = {
    NotificationKind.SUBMITTED: "Review the deal",
    NotificationKind.CLAIMED: "Open the deal",
    NotificationKind.APPROVAL_NEEDED: "Review the deal",
    NotificationKind.REVIEW_ASSIGNED: "Review the deal",
    NotificationKind.REVIEW_RELEASED: "Claim the review",
    NotificationKind.COUNTER_ACCEPTED: "Open the deal",
    NotificationKind.REVIEW_DUE_SOON: "Open the review",
    NotificationKind.FLAGGED: "See the flag",
    NotificationKind.CHANGES_REQUESTED: "Revise the deal",
    NotificationKind.SIGNED_OFF: "Open the deal",
    NotificationKind.WON: "See what was promised",
    NotificationKind.ESCALATED: "Review the escalation",
    NotificationKind.ESCALATION_DECIDED: "Open the deal",
    NotificationKind.REVIEW_OVERDUE: "Open the review",
    NotificationKind.DELIVERABLE_AT_RISK: "Open the project",
    NotificationKind.DELIVERABLE_LATE: "Open the project",
    NotificationKind.HANDOFF_QUESTIONS: "Answer the questions",
    NotificationKind.FEEDBACK_NOTE: "Read the note",
    NotificationKind.MENTION: "Read the comment",
    NotificationKind.INTEGRATION_DISABLED: "See its deliveries",
    NotificationKind.ACCEPTANCE_DECLINED: "Open the project",
    NotificationKind.CHANGE_REQUESTED: "Decide the change",
    NotificationKind.CHANGE_DECIDED: "Open the project",
}

# Mail clients drop <style>, so each rule becomes style= attributes; the media queries stay
# in a <style> for the clients that read it, and nothing is ever fetched from the network.
_inliner = css_inline.CSSInliner(
    keep_at_rules=True, load_remote_stylesheets=False, resolve_css_variables=True
)


# The emails that ask someone to rule share one template, with its approval links.
TEMPLATES: dict[str, str] = {
    NotificationKind.SUBMITTED: "review_request",
    NotificationKind.APPROVAL_NEEDED: "review_request",
    NotificationKind.REVIEW_ASSIGNED: "review_request",
    NotificationKind.REVIEW_RELEASED: "review_request",
    NotificationKind.REVIEW_DUE_SOON: "review_reminder",
    NotificationKind.REVIEW_OVERDUE: "review_reminder",
}


def absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def deal_url(deal: Any) -> str:
    return reverse("deals:detail", args=[deal.pk])


def email_date(value: date | datetime) -> str:
    """A date or a moment as the pages write it: "3 Mar 2026", "Tue 3 Mar 2026, 14:05"."""
    return when(value)


@contextmanager
def recipient_time_zone(user: Any) -> Iterator[None]:
    """Dates and times in the recipient's own time zone, as their pages show them."""
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone) if getattr(user, "time_zone", "") else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    with timezone.override(zone):
        yield


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """An HTML email from its template, its styles written onto each element."""
    return _inliner.inline(render_to_string(template_name, context))


def layout_context(
    *, recipient: Any, subject: str, link: str, action: str, sent_because: str
) -> dict:
    """What email/base.html and base.txt draw around every email's content."""
    return {
        "recipient": recipient,
        "subject": subject,
        "link": link,
        "action_label": action,
        "sent_because": sent_because,
        "site_url": absolute(reverse("home")),
        "preferences_url": absolute(reverse("feedback:preferences")),
    }


def email_subject(notification: Notification, context: dict[str, Any]) -> str:
    """One line whatever the titles and names in it hold: a line break would break the email."""
    return single_line(
        SUBJECTS[notification.kind].format(
            deal=notification.deal or "",
            actor=notification.actor or "Handoff",
            topic=context.get("topic_label", ""),
        )
    )


def sent_because(kind: str, context: dict[str, Any] | None = None) -> str:
    """The footer's line on why this email came: the category the person chose it for."""
    category = EmailCategory(email_category(kind, context)).label.split(" (")[0].lower()
    return (
        f"You get this email because your notification settings send you {category} as they happen."
    )


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


def render_email(notification: Notification, context: dict[str, Any]) -> RenderedEmail:
    """The email of a notification, from its rows as they are now and the stored context."""
    with recipient_time_zone(notification.recipient):
        return _render_email(notification, context)


def _render_email(notification: Notification, context: dict[str, Any]) -> RenderedEmail:
    subject = email_subject(notification, context)
    ctx = {
        "notification": notification,
        "actor": notification.actor,
        "deal": notification.deal,
        "project": notification.project,
        **context,
        **layout_context(
            recipient=notification.recipient,
            subject=subject,
            link=absolute(notification.url) if notification.url else settings.SITE_URL,
            action=ACTIONS.get(notification.kind, "Open in Handoff"),
            sent_because=sent_because(notification.kind, context),
        ),
    }
    template = TEMPLATES.get(notification.kind, notification.kind)
    return RenderedEmail(
        subject=subject,
        text_body=render_to_string(f"email/{template}.txt", ctx),
        html_body=render_html(f"email/{template}.html", ctx),
    )
