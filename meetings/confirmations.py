"""What the meeting pages ask before what cannot be undone: starting (the agenda freezes)."""

from django.urls import reverse

from handoff.web.confirm import Confirmation
from meetings.models import Meeting


def start(meeting: Meeting) -> Confirmation:
    return Confirmation(
        key="start",
        question="Start this meeting?",
        url=reverse("meetings:start", args=[meeting.pk]),
        label="Start meeting",
        cancel_url=meeting.get_absolute_url(),
        detail=(
            "The agenda is taken as it stands now, with the overdue action items carried into "
            "it, and it does not change afterwards: what was discussed stays as it was."
        ),
    )
