"""What the meeting services share: the lock, the audit event, the refusals."""

from typing import Any

from handoff.errors import ActionForbidden, TransitionNotAllowed
from handoff.models import User
from meetings import rules
from meetings.models import Meeting, MeetingEvent, MeetingStatus


def lock(meeting: Meeting | int) -> Meeting:
    pk = meeting.pk if isinstance(meeting, Meeting) else meeting
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("sales_team", "delivery_team")
        .get(pk=pk)
    )


def record(meeting: Meeting, *, actor: User | None, kind: str, data: dict | None = None) -> None:
    MeetingEvent.objects.create(meeting=meeting, actor=actor, kind=kind, data=data or {})


def require_runner(meeting: Meeting, actor: User, what: str) -> None:
    if not rules.can_run(actor, meeting):
        raise ActionForbidden(f"Only the meeting's attendees and managers can {what}.")


def require_status(meeting: Meeting, status: str, message: str, code: str) -> None:
    if meeting.status != status:
        raise TransitionNotAllowed(message, code=code)


def require_running(meeting: Meeting) -> None:
    require_status(
        meeting,
        MeetingStatus.IN_PROGRESS,
        "This meeting is not running: start it first, or it is already closed.",
        "meeting_not_running",
    )


def clean_text(value: Any) -> str:
    return str(value or "").strip()
