"""Who hears about what: notifications (and immediate emails) from the audit events.

The receivers run inside the transaction of the change, so a notification and its
email are written with the change or not at all; delivery is scheduled on commit. A change
that tells many people (a submission, a release, a comment's mentions) writes one announcement
instead, and the worker tells them after commit (feedback.announcements).
The review's own notices (submitted, assigned, released…) are in feedback.review_notices,
its reminders in feedback.reminders.
"""

from typing import Any

from django.db import transaction

from deals.models import Comment, DealEvent
from deals.selectors import people_who_see
from feedback import announcements, review_notices
from feedback.emails import deal_url
from feedback.models import Announcement, Direction, FeedbackNote, NotificationKind
from feedback.notify import active_users, notify
from handoff.models import Role, User
from handoff.templatetags import formats

# Deal events

# Events that tell every PM (and the approvers review rules ask for): told by the worker.
ANNOUNCED_EVENTS = frozenset({"submitted", "released"})


def on_deal_event(sender: Any, event: Any, **kwargs: Any) -> None:
    handler = DEAL_EVENT_HANDLERS.get(event.kind)
    if handler is None:
        return
    if event.kind in ANNOUNCED_EVENTS:
        announcements.announce(event=event)
    else:
        handler(event)


def tell(announcement: Announcement) -> None:
    """Tell the people of an announced change, in the worker (feedback.announcements)."""
    if announcement.comment_id:
        comment = (
            Comment.objects.select_related("deal__client", "deal__owner", "author")
            .filter(pk=announcement.comment_id)
            .first()
        )
        if comment is not None:
            _mentioned(comment)
        return
    event = (
        DealEvent.objects.select_related("deal__client", "deal__owner", "actor")
        .filter(pk=announcement.event_id, deal_id=announcement.deal_id)
        .first()
    )
    handler = DEAL_EVENT_HANDLERS.get(event.kind) if event is not None else None
    if handler is not None:
        handler(event)


def _rep(event: Any) -> list[User]:
    return [event.deal.owner]


def _verdict(event: Any) -> None:
    if event.data.get("verdict") != "flagged":
        return
    deal = event.deal
    summary = event.data.get("summary", "a commitment")
    notify(
        recipients=_rep(event),
        kind=NotificationKind.FLAGGED,
        text=f"{event.actor} flagged “{summary}” on {deal}: {event.reason}",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"summary": summary, "reason": event.reason},
    )


def _changes_requested(event: Any) -> None:
    deal = event.deal
    flagged = len(event.data.get("flagged", []))
    commitments = formats.count(flagged, "commitment")
    notify(
        recipients=_rep(event),
        kind=NotificationKind.CHANGES_REQUESTED,
        text=f"{event.actor} requested changes on {deal}: {commitments} flagged.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"flagged": flagged},
    )


def _signed_off(event: Any) -> None:
    deal = event.deal
    notify(
        recipients=_rep(event),
        kind=NotificationKind.SIGNED_OFF,
        text=f"{event.actor} signed off {deal}. It can be marked as won.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
    )


def _won(event: Any) -> None:
    from deals.models import SignOff

    deal = event.deal
    sign_off = SignOff.objects.select_related("signed_by").filter(pk=event.data.get("sign_off"))
    signing_pm = sign_off.first()
    notify(
        recipients=[signing_pm.signed_by] if signing_pm else [],
        kind=NotificationKind.WON,
        text=f"{deal} was won. The promises you signed off are now to deliver.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
    )


def _escalated(event: Any) -> None:
    deal = event.deal
    summary = event.data.get("summary", "a commitment")
    notify(
        recipients=active_users(Role.MANAGER),
        kind=NotificationKind.ESCALATED,
        text=f"{event.actor} escalated the flag on “{summary}” ({deal}).",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"summary": summary, "reason": event.reason},
    )


def _escalation_decided(event: Any) -> None:
    from deals.models import Escalation

    deal = event.deal
    escalation = (
        Escalation.objects.select_related("verdict__decided_by", "verdict__commitment")
        .filter(pk=event.data.get("escalation"))
        .first()
    )
    if escalation is None:
        return
    decision = escalation.get_decision_display().lower()
    notify(
        recipients=[deal.owner, escalation.verdict.decided_by],
        kind=NotificationKind.ESCALATION_DECIDED,
        text=f"{event.actor}: {decision} on “{escalation.verdict.commitment}” ({deal}).",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"decision": decision, "reason": event.reason},
    )


DEAL_EVENT_HANDLERS = {
    **review_notices.HANDLERS,
    "verdict": _verdict,
    "changes_requested": _changes_requested,
    "signed_off": _signed_off,
    "won": _won,
    "escalated": _escalated,
    "escalation_decided": _escalation_decided,
}


def on_comment_posted(sender: Any, comment: Any, mentioned: int, **kwargs: Any) -> None:
    """The people a comment mentions are told by the worker, however many a team makes them."""
    if mentioned:
        announcements.announce(comment=comment)


def _mentioned(comment: Comment) -> None:
    """Those the comment mentions who still may see the deal hear of it."""
    deal = comment.deal
    mentions = Comment.mentions.through.objects.filter(comment=comment).values("user_id")
    notify(
        recipients=people_who_see(deal).filter(pk__in=mentions).order_by("pk"),
        kind=NotificationKind.MENTION,
        text=f"{comment.author} mentioned you on {deal}: {comment.body[:120]}",
        url=deal_url(deal),
        actor=comment.author,
        deal=deal,
        context={"body": comment.body},
    )


# Feedback notes


def note_recipients(note: FeedbackNote) -> list[User]:
    if note.recipient_id:
        return [note.recipient]
    if note.direction == Direction.TO_DELIVERY:
        return active_users(Role.PM)
    if note.deal_id:
        return [note.deal.owner]
    return active_users(Role.SALES)


def note_context(note: FeedbackNote, topic_label: str) -> dict[str, Any]:
    """The note as its email shows it, in plain values; its deal is the notification's."""
    return {"note": {"body": note.body}, "topic_label": topic_label}


def notify_note(note: FeedbackNote) -> None:
    topic = note.get_topic_display()
    notify(
        recipients=note_recipients(note),
        kind=NotificationKind.FEEDBACK_NOTE,
        text=f"{note.author} wrote a note ({topic.lower()}): {note.body[:120]}",
        url=note.get_absolute_url(),
        actor=note.author,
        deal=note.deal,
        project=note.project,
        context=note_context(note, topic),
    )


# Periodic checks


def notify_overdue_reviews() -> int:
    """The review reminders (feedback.reminders), under the name older callers use."""
    from feedback import reminders

    return reminders.send_review_reminders()


def notify_late_deliverables() -> int:
    """Tell the rep and the PM, once per deliverable, that a promise is past its date."""
    from projects.models import Deliverable
    from projects.promises import late_q

    deliverables = list(
        Deliverable.objects.filter(late_q()).select_related("project__deal__owner", "project__pm")
    )
    count = 0
    for deliverable in deliverables:
        project = deliverable.project
        with transaction.atomic():
            count += len(
                notify(
                    recipients=[project.deal.owner, project.pm],
                    kind=NotificationKind.DELIVERABLE_LATE,
                    text=f"“{deliverable.summary}” ({project}) was promised for "
                    f"{formats.day(deliverable.promised_date)} and is not delivered.",
                    url=project.get_absolute_url(),
                    deal=project.deal,
                    project=project,
                    key=f"deliverable_late:{deliverable.pk}",
                    context={
                        "deliverable": {
                            "summary": deliverable.summary,
                            "promised_date": deliverable.promised_date,
                        }
                    },
                )
            )
    return count


# Project events


def on_project_event(sender: Any, event: Any, **kwargs: Any) -> None:
    handler = PROJECT_EVENT_HANDLERS.get(event.kind)
    if handler is not None:
        handler(event)


def _project_created(event: Any) -> None:
    project = event.project
    deal = project.deal
    signing_pm_id = deal.sign_offs.filter(pk=event.data.get("sign_off")).values_list(
        "signed_by_id", flat=True
    )
    # The signing PM heard of the win already; a different project PM hears it now.
    if project.pm_id in list(signing_pm_id):
        return
    notify(
        recipients=[project.pm],
        kind=NotificationKind.WON,
        text=f"{deal} was won and you are its project manager.",
        url=project.get_absolute_url(),
        actor=event.actor,
        deal=deal,
        project=project,
    )


def _questions_sent(event: Any) -> None:
    project = event.project
    notify(
        recipients=[project.deal.owner],
        kind=NotificationKind.HANDOFF_QUESTIONS,
        text=f"{event.actor} has questions about the handoff of {project}: {event.reason[:120]}",
        url=project.get_absolute_url(),
        actor=event.actor,
        deal=project.deal,
        project=project,
        context={"body": event.reason},
    )


def _deliverable_status_changed(event: Any) -> None:
    if event.data.get("to") != "at_risk":
        return
    project = event.project
    summary = event.data.get("summary", "A deliverable")
    notify(
        recipients=[project.deal.owner, project.pm],
        kind=NotificationKind.DELIVERABLE_AT_RISK,
        text=f"“{summary}” ({project}) is at risk: {event.reason[:120]}",
        url=project.get_absolute_url(),
        actor=event.actor,
        deal=project.deal,
        project=project,
        context={"summary": summary, "reason": event.reason},
    )


def _change_requested(event: Any) -> None:
    """Everyone whose decision the change needs hears of it (projects.services_changes)."""
    project = event.project
    summary = event.data.get("summary", "A deliverable")
    what = event.data.get("to_label", "")
    notify(
        recipients=User.objects.filter(pk__in=event.data.get("notify", []), is_active=True),
        kind=NotificationKind.CHANGE_REQUESTED,
        text=f"{event.actor} asks to change “{summary}” ({project}): {what}. {event.reason[:120]}",
        url=f"{project.get_absolute_url()}#changes",
        actor=event.actor,
        deal=project.deal,
        project=project,
        context={"summary": summary, "what": what, "reason": event.reason},
    )


def _change_decided(event: Any) -> None:
    project = event.project
    summary = event.data.get("summary", "A deliverable")
    outcome = "approved" if event.kind == "change_approved" else "rejected"
    notify(
        recipients=User.objects.filter(pk=event.data.get("raised_by"), is_active=True),
        kind=NotificationKind.CHANGE_DECIDED,
        text=f"{event.actor} {outcome} the change to “{summary}” ({project}): "
        f"{event.data.get('to_label', '')}.",
        url=f"{project.get_absolute_url()}#changes",
        actor=event.actor,
        deal=project.deal,
        project=project,
        context={
            "summary": summary,
            "what": event.data.get("to_label", ""),
            "outcome": outcome,
            "reason": event.reason,
        },
    )


PROJECT_EVENT_HANDLERS = {
    "change_requested": _change_requested,
    "change_approved": _change_decided,
    "change_rejected": _change_decided,
    "created": _project_created,
    "questions_sent": _questions_sent,
    "deliverable_status_changed": _deliverable_status_changed,
}
