"""Who may do what with a meeting and its action items: one predicate per action."""

from handoff.models import User
from handoff.roles import is_manager
from meetings.models import ActionItem, Meeting


def is_attendee(user: User, meeting: Meeting) -> bool:
    return meeting.attendees.filter(user=user).exists()


def can_run(user: User, meeting: Meeting) -> bool:
    """Managers and the meeting's attendees run it: start, decide, add action items, close."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_manager(user) or is_attendee(user, meeting)


def can_create_meeting(user: User) -> bool:
    return is_manager(user)


def can_set_status(user: User, item: ActionItem) -> bool:
    """The owner closes (or reopens) their own action item; a manager any."""
    return bool(user and user.is_authenticated) and (item.owner_id == user.pk or is_manager(user))
