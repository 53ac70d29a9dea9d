"""Every write of the weekly sync, by topic, re-exported so callers need not know the split."""

from meetings.services.action_items import action_item_add, action_item_set_status
from meetings.services.decisions import item_decide
from meetings.services.meetings import (
    attendees_set,
    meeting_carry_overdue,
    meeting_close,
    meeting_create,
    meeting_start,
    weekly_meetings_prepare,
)

__all__ = [
    "action_item_add",
    "action_item_set_status",
    "attendees_set",
    "item_decide",
    "meeting_carry_overdue",
    "meeting_close",
    "meeting_create",
    "meeting_start",
    "weekly_meetings_prepare",
]
