"""Action items: added in the meeting, closed by their owner, carried while overdue."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals.models import Commitment, Deal
from feedback.models import FeedbackNote
from handoff.errors import ActionForbidden
from handoff.models import User
from handoff.validators import date_input_range
from meetings import rules
from meetings.models import (
    ActionItem,
    ActionItemStatus,
    AgendaItem,
    Meeting,
    MeetingEvent,
    MeetingEventKind,
)
from meetings.services._common import clean_text, lock, record, require_runner, require_running
from projects.models import Project

WHAT_MAX = 200


@transaction.atomic
def action_item_add(
    *,
    meeting: Meeting,
    actor: User,
    what: str,
    owner: User,
    due_on: date,
    agenda_item: AgendaItem | None = None,
    deal: Deal | None = None,
    commitment: Commitment | None = None,
    project: Project | None = None,
    note: FeedbackNote | None = None,
) -> ActionItem:
    meeting = lock(meeting)
    require_runner(meeting, actor, "add action items")
    require_running(meeting)
    what = clean_text(what)
    errors = {}
    if not what:
        errors["what"] = "Say what will be done."
    elif len(what) > WHAT_MAX:
        errors["what"] = f"Keep it under {WHAT_MAX} characters."
    if not owner.is_active:
        errors["owner"] = "Choose an active person."
    low, high = date_input_range()
    if not (low <= due_on <= high):
        errors["due_on"] = f"Choose a day between {low} and {high}."
    elif due_on < timezone.localdate():
        errors["due_on"] = "The due date cannot be in the past."
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        errors["agenda_item"] = "Choose an item of this meeting."
    if commitment is not None:
        if deal is not None and commitment.deal_id != deal.pk:
            errors["commitment"] = "Choose a promise of the linked deal."
        deal = deal or commitment.deal
    if errors:
        raise ValidationError(errors)
    if agenda_item is not None and not (deal or project or note):
        deal = Deal.objects.filter(pk=agenda_item.deal_id).first() if agenda_item.deal_id else None
        project = (
            Project.objects.filter(pk=agenda_item.project_id).first()
            if agenda_item.project_id
            else None
        )
    item = ActionItem(
        meeting=meeting,
        agenda_item=agenda_item,
        what=what,
        owner=owner,
        due_on=due_on,
        deal=deal,
        commitment=commitment,
        project=project,
        note=note,
        created_by=actor,
    )
    item.full_clean(exclude=["meeting", "agenda_item", "owner", "created_by"])
    item.save()
    record(
        meeting,
        actor=actor,
        kind=MeetingEventKind.ACTION_ITEM_ADDED,
        data={"action_item": item.pk, "owner": owner.pk, "due_on": due_on.isoformat()},
    )
    return item


@transaction.atomic
def action_item_set_status(*, item: ActionItem, actor: User, status: str) -> ActionItem:
    """Done records who closed it and when; reopening clears that."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    if not rules.can_set_status(actor, item):
        raise ActionForbidden("Only its owner or a manager can change this action item.")
    if status not in ActionItemStatus.values:
        raise ValidationError({"status": "Choose open or done."})
    if item.status == status:
        return item
    item.status = status
    if status == ActionItemStatus.DONE:
        item.closed_by, item.closed_at = actor, timezone.now()
    else:
        item.closed_by, item.closed_at = None, None
    item.save(update_fields=["status", "closed_by", "closed_at"])
    kind = (
        MeetingEventKind.ACTION_ITEM_DONE
        if status == ActionItemStatus.DONE
        else MeetingEventKind.ACTION_ITEM_REOPENED
    )
    MeetingEvent.objects.create(
        meeting_id=item.meeting_id, actor=actor, kind=kind, data={"action_item": item.pk}
    )
    return item
