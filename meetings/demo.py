"""Demo weekly sync: two past meetings with decisions and action items (one done, one overdue
and carried), and this week's meeting ready to start.

Safe to run twice: it writes meetings only when there are none.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from handoff.models import User
from meetings import services
from meetings.models import ActionItem, AgendaItem, Meeting, MeetingKind

DAY = datetime.timedelta(days=1)


def _held(days_ago: int, manager: User, notes: list[str]) -> Meeting:
    today = timezone.localdate()
    meeting = services.meeting_create(
        actor=None, held_on=today - days_ago * DAY, kind=MeetingKind.WEEKLY
    )
    meeting = services.meeting_start(meeting=meeting, actor=manager)
    for item, note in zip(AgendaItem.objects.filter(meeting=meeting), notes, strict=False):
        services.item_decide(item=item, actor=manager, note=note)
    return meeting


def _close(meeting: Meeting, manager: User, days_ago: int) -> None:
    people = [a.user for a in meeting.attendees.select_related("user")]
    services.meeting_close(meeting=meeting, actor=manager, present=people)
    moment = timezone.now() - days_ago * DAY
    Meeting.objects.filter(pk=meeting.pk).update(started_at=moment, closed_at=moment)


def _action(meeting, manager, owner, what, due_days_ago, **links) -> ActionItem:
    item = services.action_item_add(
        meeting=meeting,
        actor=manager,
        what=what,
        owner=owner,
        due_on=timezone.localdate() + DAY,
        agenda_item=AgendaItem.objects.filter(meeting=meeting).first(),
        **links,
    )
    # Demo history: the item was set for a day now past.
    ActionItem.objects.filter(pk=item.pk).update(
        due_on=timezone.localdate() - due_days_ago * DAY,
        created_at=timezone.now() - (due_days_ago + 5) * DAY,
    )
    item.refresh_from_db()
    return item


@transaction.atomic
def seed(users: dict[str, User]) -> None:
    if Meeting.objects.exists():
        return
    manager, rep, pm = users["manager"], users["rep"], users["pm"]
    first = _held(
        14,
        manager,
        [
            "Keep the review with its PM; the rep answers the open questions by Thursday.",
            "Quote data migrations separately until we have a sample of the client's data.",
        ],
    )
    done = _action(first, manager, rep, "Confirm the go-live date with the client", 10)
    services.action_item_set_status(item=done, actor=rep, status="done")
    ActionItem.objects.filter(pk=done.pk).update(closed_at=timezone.now() - 11 * DAY)
    _action(first, manager, pm, "Share the delivery capacity plan for next quarter", 9)
    _close(first, manager, 14)

    second = _held(7, manager, ["The capacity plan is late: carried to next week."])
    _close(second, manager, 7)

    services.weekly_meetings_prepare()
