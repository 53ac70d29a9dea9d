"""The minutes: decisions and action items as Markdown, a printable page, and the attendees' email.

Each reader's minutes hold only the items they may see, so an email names no deal its
recipient could not open.
"""

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from feedback.emails import absolute, layout_context, recipient_time_zone, render_html
from feedback.models import EmailOutbox
from feedback.outbox import enqueue_on_commit
from handoff.models import User
from handoff.templatetags.formats import short_day
from handoff.text import single_line
from meetings.models import Meeting
from meetings.selectors import attendees_of, loose_action_items, meeting_minutes

MINUTES_EMAIL_KIND = "meeting_minutes"


def minutes_context(meeting: Meeting, user: User) -> dict[str, Any]:
    sections = meeting_minutes(meeting, user)
    decided = sum(1 for s in sections for row in s["items"] if row["decision"])
    return {
        "meeting": meeting,
        "sections": sections,
        "loose_actions": loose_action_items(meeting, user),
        "attendees": attendees_of(meeting),
        "decided": decided,
    }


def _md(text: Any) -> str:
    """One line of Markdown: no line breaks, and the characters that would format escaped."""
    line = " ".join(str(text or "").split())
    for mark in ("\\", "*", "_", "`", "[", "]", "#", "|", "<", ">"):
        line = line.replace(mark, "\\" + mark)
    return line


def _action_line(action) -> str:
    state = (
        f"done by {_md(action.closed_by.display_name)} on {short_day(action.closed_at)}"
        if action.is_done and action.closed_by
        else ("overdue" if action.is_overdue else "open")
    )
    return (
        f"- [{'x' if action.is_done else ' '}] {_md(action.what)} — "
        f"{_md(action.owner.display_name)}, due {short_day(action.due_on)} ({state})"
    )


def minutes_markdown(meeting: Meeting, user: User) -> str:
    context = minutes_context(meeting, user)
    lines = [f"# {_md(meeting.title)}", ""]
    if meeting.closed_at:
        lines.append(f"Closed {short_day(timezone.localtime(meeting.closed_at))}.")
    present = [a.user.display_name for a in context["attendees"] if a.present]
    absent = [a.user.display_name for a in context["attendees"] if a.present is False]
    invited = [a.user.display_name for a in context["attendees"]]
    if meeting.is_closed:
        lines.append(f"Attended: {_md(', '.join(present)) or 'nobody recorded'}.")
        if absent:
            lines.append(f"Absent: {_md(', '.join(absent))}.")
    else:
        lines.append(f"Invited: {_md(', '.join(invited)) or 'nobody'}.")
    for section in context["sections"]:
        lines += ["", f"## {_md(section['title'])}", ""]
        for row in section["items"]:
            item, decision = row["item"], row["decision"]
            lines.append(f"### {item.position}. {_md(item.title)}")
            if item.detail:
                lines.append(_md(item.detail))
            if item.url:
                lines.append(f"Link: {absolute(item.url)}")
            if decision:
                lines.append(f"Decision: {_md(decision.note) or '(no note)'}")
                if decision.action_taken:
                    lines.append(f"Taken in the meeting: {_md(decision.action_taken)}")
            else:
                lines.append("No decision.")
            for action in item.action_items.all():
                lines.append(_action_line(action))
            lines.append("")
    if context["loose_actions"]:
        lines += ["## Other action items", ""]
        lines += [_action_line(action) for action in context["loose_actions"]]
    if not context["sections"] and not context["loose_actions"]:
        lines += ["", "Nothing on the agenda you may see."]
    return "\n".join(lines).rstrip() + "\n"


def send_minutes(meeting: Meeting) -> int:
    """One outbox email per attendee with an address, each with that person's minutes."""
    subject = single_line(f"Minutes: {meeting.title}")[:200]
    link = absolute(meeting.get_absolute_url())
    rows = []
    for attendee in attendees_of(meeting):
        user = attendee.user
        if not (user.is_active and user.email):
            continue
        with recipient_time_zone(user):
            context = {
                **layout_context(
                    recipient=user,
                    subject=subject,
                    link=link,
                    action="Read the minutes",
                    sent_because="You were invited to this meeting.",
                ),
                **minutes_context(meeting, user),
            }
            rows.append(
                EmailOutbox(
                    recipient=user,
                    to_address=user.email,
                    kind=MINUTES_EMAIL_KIND,
                    subject=subject,
                    text_body=render_to_string("meetings/email/minutes.txt", context),
                    html_body=render_html("meetings/email/minutes.html", context),
                )
            )
    emails = EmailOutbox.objects.bulk_create(rows)
    enqueue_on_commit([email.pk for email in emails])
    return len(emails)
