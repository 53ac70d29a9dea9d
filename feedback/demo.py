"""Demo feedback: notes both ways, some acknowledged or answered, and the notifications due now.

Safe to run twice: it writes notes only when there are none.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from deals.demo_history import moved_time, take_moved
from deals.models import Commitment, Deal
from feedback import notifications, rules, services
from feedback.models import FeedbackNote, Notification, NotificationKind
from handoff.models import User

# author, direction, recipient (None: the team), topic, commitment kind to link, body, answer
NOTES = [
    (
        "pm",
        "to_sales",
        "rep",
        "hard_to_deliver",
        "integration",
        "The POS integration took three weeks longer than promised: the client's vendor "
        "only opens their sandbox on request. Ask for sandbox access before promising a date.",
        ("rep", "Thanks — I'll add sandbox access to the discovery checklist."),
    ),
    (
        "pm2",
        "to_sales",
        None,
        "estimate_miss",
        "scope",
        "Data migrations keep coming in at twice the estimate. Please quote them separately "
        "until we have a sample of the client's data.",
        ("rep2", None),
    ),
    (
        "rep",
        "to_delivery",
        "pm",
        "customer_insight",
        None,
        "Northwind's CFO, not IT, signs the acceptance. Weekly demos to finance will keep "
        "them on side.",
        ("pm", None),
    ),
    (
        "rep2",
        "to_delivery",
        None,
        "competitor",
        None,
        "Two prospects mentioned a competitor offering 30-day go-lives. We lose on speed, "
        "not price.",
        None,
    ),
    (
        "rep",
        "to_delivery",
        None,
        "market_trend",
        None,
        "Retail clients now ask for loyalty and POS in one project. Expect more integration "
        "work per deal next quarter.",
        None,
    ),
    (
        "manager",
        "to_sales",
        None,
        "process",
        None,
        "From next month, any staffing promise needs a PM's name in the commitment detail.",
        None,
    ),
    (
        "pm",
        "to_sales",
        "rep2",
        "praise",
        None,
        "The handoff brief for the analytics deal was the clearest we've had. More like that!",
        ("rep2", "Glad it helped!"),
    ),
]


@transaction.atomic
def seed(users: dict[str, User]) -> dict[str, User]:
    if FeedbackNote.objects.exists():
        return users
    now = timezone.now()
    _date_notifications_of_the_trails(before=now)
    for index, (author, direction, to, topic, kind, body, answer) in enumerate(NOTES):
        commitment = _commitment_of_kind(kind) if kind else None
        note = services.note_create(
            author=users[author],
            direction=direction,
            topic=topic,
            body=body,
            recipient=users[to] if to else None,
            commitment=commitment,
        )
        if answer and rules.can_answer(note, users[answer[0]]):
            who, reply = answer
            if reply:
                services.note_reply(note=note, actor=users[who], reply=reply)
            else:
                services.note_acknowledge(note=note, actor=users[who])
        written = now - datetime.timedelta(days=2 * (len(NOTES) - index), hours=index)
        FeedbackNote.objects.filter(pk=note.pk).update(created_at=written)
        Notification.objects.filter(
            kind=NotificationKind.FEEDBACK_NOTE, url=note.get_absolute_url()
        ).update(created_at=written)
    notifications.notify_overdue_reviews()
    notifications.notify_late_deliverables()
    return users


def _date_notifications_of_the_trails(*, before: datetime.datetime) -> None:
    """A notification the deals' and projects' demos caused takes the time of its event."""
    pairs = take_moved()
    for notification in Notification.objects.filter(created_at__lt=before).only("created_at"):
        given = moved_time(pairs, notification.created_at)
        if given is not None:
            Notification.objects.filter(pk=notification.pk).update(created_at=given)


def _commitment_of_kind(kind: str) -> Commitment | None:
    """A commitment of a won deal when there is one: lessons show where they came from."""
    return (
        Commitment.objects.filter(kind=kind, deal__status="won").order_by("id").first()
        or Commitment.objects.filter(kind=kind, deal__in=Deal.objects.all()).order_by("id").first()
    )
