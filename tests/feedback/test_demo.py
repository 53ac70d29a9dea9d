"""The demo's notifications are dated like the events and notes they tell of."""

from deals.models import DealEvent
from feedback.models import FeedbackNote, Notification, NotificationKind
from projects.models import ProjectEvent

# Told on an event of a deal or of its project.
OF_EVENTS = [
    NotificationKind.SUBMITTED,
    NotificationKind.CLAIMED,
    NotificationKind.FLAGGED,
    NotificationKind.CHANGES_REQUESTED,
    NotificationKind.SIGNED_OFF,
    NotificationKind.WON,
    NotificationKind.ESCALATED,
    NotificationKind.ESCALATION_DECIDED,
    NotificationKind.DELIVERABLE_AT_RISK,
]


def test_a_notification_of_an_event_is_dated_like_the_event(seeded):
    told = Notification.objects.filter(kind__in=OF_EVENTS).select_related("deal")
    assert told.count() > 50
    for notification in told:
        times = {*DealEvent.objects.filter(deal=notification.deal).values_list("at", flat=True)}
        times |= {
            *ProjectEvent.objects.filter(project__deal=notification.deal).values_list(
                "at", flat=True
            )
        }
        assert notification.created_at in times, (notification.kind, notification.text)


def test_a_notification_of_a_note_is_dated_like_the_note(seeded):
    for note in FeedbackNote.objects.all():
        told = Notification.objects.filter(
            kind=NotificationKind.FEEDBACK_NOTE, url=note.get_absolute_url()
        )
        assert told.exists()
        assert {n.created_at for n in told} == {note.created_at}
