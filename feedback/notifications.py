"""Who hears about what: notifications (and immediate emails) from the audit events.

The receivers run inside the transaction of the change, so a notification and its
email are written with the change or not at all; delivery is scheduled on commit.
"""

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from feedback.emails import deal_url, email_subject
from feedback.models import (
    CATEGORY_OF_KIND,
    Direction,
    EmailChoice,
    EmailOutbox,
    FeedbackNote,
    Notification,
    NotificationKind,
    email_choice,
)
from feedback.outbox import enqueue_on_commit, sweep_grace
from handoff import tagged_json
from handoff.models import Role, User


def active_users(*roles: str) -> list[User]:
    return list(User.objects.filter(role__in=roles, is_active=True))


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    text: str,
    url: str = "",
    actor: User | None = None,
    deal: Any = None,
    project: Any = None,
    key: str = "",
    context: dict[str, Any] | None = None,
) -> list[Notification]:
    """Write one notification per recipient (never the actor) and its email if wanted now.

    With a `key`, a recipient who already had this notification gets nothing: the
    unique (recipient, key) makes a periodic check safe to run any number of times.
    `context` holds what the email's template needs beyond the notification, as plain
    values (dates and times included): the worker renders the email when it sends it.
    """
    people = _recipients(recipients, actor)
    if not people:
        return []
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            actor=actor,
            deal=deal,
            project=project,
            text=text[:300],
            url=url,
            key=key,
        )
        for user in people
    ]
    if key:
        created = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue
            created.append(row)
    else:
        created = Notification.objects.bulk_create(rows)
    _queue_emails(created, context or {})
    return created


# What notify reads of each recipient; a user loaded without them is read again.
RECIPIENT_FIELDS = frozenset({"is_active", "email", "email_preferences"})


def _recipients(users: Iterable[User | None], actor: User | None) -> list[User]:
    """Each active recipient once, never the actor, in one query at most whoever they are."""
    people: dict[int, User] = {}
    for user in users:
        if user is not None and (actor is None or user.pk != actor.pk):
            people.setdefault(user.pk, user)
    partial = [pk for pk, user in people.items() if RECIPIENT_FIELDS & user.get_deferred_fields()]
    if partial:
        people.update(User.objects.in_bulk(partial))
    return [user for user in people.values() if user.is_active]


def _queue_emails(notifications: list[Notification], context: dict[str, Any]) -> None:
    """Write the outbox rows of those who want email now; the worker renders and sends them."""
    wanted = [
        notification
        for notification in notifications
        if notification.recipient.email
        and email_choice(notification.recipient, CATEGORY_OF_KIND[notification.kind])
        == EmailChoice.IMMEDIATE
    ]
    if not wanted:
        return
    # One notify call tells everyone the same thing, so one subject serves every row.
    subject = email_subject(wanted[0], context)
    next_attempt_at = timezone.now() + sweep_grace()
    stored_context = tagged_json.encode(context)
    emails = EmailOutbox.objects.bulk_create(
        EmailOutbox(
            recipient=notification.recipient,
            notification=notification,
            context=stored_context,
            to_address=notification.recipient.email,
            kind=notification.kind,
            subject=subject,
            next_attempt_at=next_attempt_at,
        )
        for notification in wanted
    )
    enqueue_on_commit([email.pk for email in emails])


# Deal events


def on_deal_event(sender: Any, event: Any, **kwargs: Any) -> None:
    handler = DEAL_EVENT_HANDLERS.get(event.kind)
    if handler is not None:
        handler(event)


def _rep(event: Any) -> list[User]:
    return [event.deal.owner]


def _name(user: User | None) -> str | None:
    return str(user) if user is not None else None


def _submitted(event: Any) -> None:
    review_round = event.deal.rounds.select_related("reviewer").order_by("-number").first()
    # A resubmission goes back to the PM who asked for the changes; a first one to every PM.
    if review_round and review_round.reviewer_id:
        recipients = [review_round.reviewer]
    else:
        recipients = active_users(Role.PM)
    deal = event.deal
    notify(
        recipients=recipients,
        kind=NotificationKind.SUBMITTED,
        text=f"{event.actor} submitted {deal} for review (round {event.data.get('round')}).",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"round": event.data.get("round"), "due_at": review_round.due_at},
    )


def _claimed(event: Any) -> None:
    deal = event.deal
    notify(
        recipients=_rep(event),
        kind=NotificationKind.CLAIMED,
        text=f"{event.actor} is reviewing {deal}.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"reviewer": str(event.actor)},
    )


def _assigned(event: Any) -> None:
    deal = event.deal
    reviewer = User.objects.filter(pk=event.data.get("reviewer")).first()
    notify(
        recipients=[deal.owner, reviewer],
        kind=NotificationKind.CLAIMED,
        text=f"{event.actor} assigned the review of {deal} to {reviewer}.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"reviewer": _name(reviewer)},
    )


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
    notify(
        recipients=_rep(event),
        kind=NotificationKind.CHANGES_REQUESTED,
        text=f"{event.actor} requested changes on {deal}: {flagged} commitment(s) flagged.",
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
    "submitted": _submitted,
    "claimed": _claimed,
    "assigned": _assigned,
    "verdict": _verdict,
    "changes_requested": _changes_requested,
    "signed_off": _signed_off,
    "won": _won,
    "escalated": _escalated,
    "escalation_decided": _escalation_decided,
}


def on_comment_posted(sender: Any, comment: Any, mentioned: list[User], **kwargs: Any) -> None:
    deal = comment.deal
    notify(
        recipients=mentioned,
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
    """Tell the reviewer and the managers, once per round, that a review is past its SLA."""
    from deals.selectors import overdue_rounds

    rounds = list(
        overdue_rounds()
        .filter(deal__status="in_review")
        .select_related("deal__owner", "deal__client", "reviewer")
    )
    if not rounds:
        return 0
    managers = active_users(Role.MANAGER)
    count = 0
    for review_round in rounds:
        deal = review_round.deal
        with transaction.atomic():
            count += len(
                notify(
                    recipients=[review_round.reviewer, *managers],
                    kind=NotificationKind.REVIEW_OVERDUE,
                    text=f"The review of {deal} was due {review_round.due_at:%d %b %H:%M}.",
                    url=deal_url(deal),
                    deal=deal,
                    key=f"review_overdue:{review_round.pk}",
                    context={
                        "due_at": review_round.due_at,
                        "reviewer": _name(review_round.reviewer),
                    },
                )
            )
    return count


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
                    f"{deliverable.promised_date:%d %b %Y} and is not delivered.",
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


PROJECT_EVENT_HANDLERS = {
    "created": _project_created,
    "questions_sent": _questions_sent,
    "deliverable_status_changed": _deliverable_status_changed,
}
