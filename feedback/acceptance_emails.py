"""Customer acceptance by email: the contact's link through the outbox, the PM told of a decline.

The contact has no account, so their email is rendered when the request is sent and written
to the outbox with its bodies, like a password reset; the worker sends it after commit.
"""

from types import SimpleNamespace
from typing import Any

from django.template.loader import render_to_string

from feedback.emails import absolute, render_html
from feedback.models import EmailOutbox, NotificationKind
from feedback.notify import notify
from feedback.outbox import enqueue_on_commit
from handoff.templatetags.formats import day, when
from handoff.text import single_line
from projects.acceptance_links import acceptance_path

ACCEPTANCE_EMAIL_KIND = "acceptance_request"


def acceptance_email(acceptance: Any, token: str, *, resent: bool) -> dict[str, str]:
    """The subject and bodies of the email asking the contact to accept a deliverable."""
    deliverable = acceptance.deliverable
    project = deliverable.project
    subject = single_line(
        f"{'Reminder: please' if resent else 'Please'} confirm delivery of “{deliverable.summary}”"
    )
    context = {
        "subject": subject,
        "recipient": SimpleNamespace(display_name=acceptance.contact_name),
        "summary": deliverable.summary,
        "client": project.deal.client.name,
        "pm": project.pm.display_name,
        "promised": day(deliverable.promised_date),
        "delivered": day(acceptance.delivered_on),
        "expires": when(acceptance.expires_at),
        "link": absolute(acceptance_path(token)),
        "action_label": "Accept or decline",
        "resent": resent,
    }
    return {
        "subject": subject,
        "text_body": render_to_string("email/acceptance_request.txt", context),
        "html_body": render_html("email/acceptance_request.html", context),
    }


def on_acceptance_link_sent(
    sender: Any, acceptance: Any, token: str, resent: bool = False, **kwargs: Any
) -> None:
    """Write the contact's email in the sender's transaction; it is sent after commit."""
    email = EmailOutbox.objects.create(
        recipient=None,
        to_address=acceptance.contact_email,
        kind=ACCEPTANCE_EMAIL_KIND,
        **acceptance_email(acceptance, token, resent=resent),
    )
    enqueue_on_commit([email.pk])


def on_project_event(sender: Any, event: Any, **kwargs: Any) -> None:
    """A customer's decline tells the project's PM."""
    if event.kind != "acceptance_declined":
        return
    project = event.project
    summary = event.data.get("summary", "A deliverable")
    contact = event.data.get("contact", "The customer")
    notify(
        recipients=[project.pm],
        kind=NotificationKind.ACCEPTANCE_DECLINED,
        text=f"{contact} declined “{summary}” ({project}): {event.reason[:120]}",
        url=project.get_absolute_url() + "#acceptance",
        deal=project.deal,
        project=project,
        context={
            "summary": summary,
            "contact": contact,
            "rating": event.data.get("rating"),
            "comment": event.reason,
        },
    )
