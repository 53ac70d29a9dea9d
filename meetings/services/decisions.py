"""A decision on one agenda item, and the action it takes there through the owning app's service."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import services as deal_services
from deals.models import Deal, Escalation
from feedback import services as feedback_services
from feedback.models import FeedbackNote
from handoff.errors import ActionForbidden
from handoff.models import User
from meetings.models import (
    ActionItem,
    AgendaItem,
    Decision,
    ItemAction,
    MeetingEventKind,
)
from meetings.services._common import clean_text, lock, record, require_runner, require_running
from meetings.services.action_items import action_item_set_status
from projects import services as project_services
from projects.models import Deliverable, DeliverableStatus

NOTE_MAX = 2000


@dataclass(frozen=True)
class ItemActionInput:
    """What the decision asks the meeting to do about the item; empty fields: nothing."""

    reviewer: User | None = None
    escalation_decision: str = ""
    deliverable: Deliverable | None = None
    acknowledge: bool = False
    close_action_item: bool = False

    @property
    def requested(self) -> bool:
        return bool(
            self.reviewer
            or self.escalation_decision
            or self.deliverable
            or self.acknowledge
            or self.close_action_item
        )


def _reassign(item: AgendaItem, actor: User, action: ItemActionInput, note: str) -> str:
    deal = Deal.objects.get(pk=item.deal_id)
    deal_services.review_assign(
        deal=deal, actor=actor, reviewer=action.reviewer, note=note[:500] or "In the weekly sync"
    )
    return f"Review reassigned to {action.reviewer.display_name}"


def _decide_escalation(item: AgendaItem, actor: User, action: ItemActionInput, note: str) -> str:
    escalation = Escalation.objects.select_related("deal").get(pk=item.escalation_id)
    escalation = deal_services.escalation_decide(
        escalation=escalation, actor=actor, decision=action.escalation_decision, reason=note
    )
    return f"Escalation decided: {escalation.get_decision_display().lower()}"


def _mark_at_risk(item: AgendaItem, actor: User, action: ItemActionInput, note: str) -> str:
    deliverable = action.deliverable
    if deliverable.pk != item.deliverable_id and deliverable.project_id != item.project_id:
        raise ValidationError({"deliverable": "Choose a deliverable of this project."})
    if not note:
        raise ValidationError({"note": "Say why the deliverable is at risk."})
    project_services.deliverable_update_status(
        deliverable=deliverable, actor=actor, status=DeliverableStatus.AT_RISK, reason=note
    )
    return f"Deliverable marked at risk: {deliverable.summary}"


def _acknowledge(item: AgendaItem, actor: User, action: ItemActionInput, note: str) -> str:
    feedback_services.note_acknowledge(note=FeedbackNote.objects.get(pk=item.note_id), actor=actor)
    return "Note acknowledged"


def _close_action_item(item: AgendaItem, actor: User, action: ItemActionInput, note: str) -> str:
    action_item = ActionItem.objects.get(pk=item.action_item_id)
    action_item_set_status(item=action_item, actor=actor, status="done")
    return "Action item marked done"


ACTIONS = {
    ItemAction.REASSIGN_REVIEW: ("reviewer", _reassign),
    ItemAction.DECIDE_ESCALATION: ("escalation_decision", _decide_escalation),
    ItemAction.MARK_AT_RISK: ("deliverable", _mark_at_risk),
    ItemAction.ACKNOWLEDGE_NOTE: ("acknowledge", _acknowledge),
    ItemAction.CLOSE_ACTION_ITEM: ("close_action_item", _close_action_item),
}


@transaction.atomic
def item_decide(
    *, item: AgendaItem, actor: User, note: str, action: ItemActionInput | None = None
) -> Decision:
    """Write (or rewrite, while the meeting runs) the item's decision; take its action if asked.

    The action goes through the same service as anywhere else, with its own rules, and is
    recorded as taken in this meeting.
    """
    meeting = lock(item.meeting_id)
    require_runner(meeting, actor, "decide its items")
    require_running(meeting)
    note = clean_text(note)
    action = action or ItemActionInput()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"Keep the decision under {NOTE_MAX} characters."})
    taken = ""
    if action.requested:
        field, act = ACTIONS.get(item.action, (None, None))
        if act is None or not getattr(action, field):
            raise ActionForbidden("This item offers no such action.")
        taken = act(item, actor, action, note)
    elif not note:
        raise ValidationError({"note": "Write the decision, or take the item's action."})
    decision = Decision.objects.select_for_update().filter(agenda_item=item).first()
    if decision is None:
        decision = Decision(agenda_item=item, meeting=meeting)
    decision.note = note
    decision.action_taken = taken or decision.action_taken
    decision.decided_by = actor
    decision.decided_at = timezone.now()
    decision.full_clean(exclude=["agenda_item", "meeting", "decided_by"])
    decision.save()
    record(
        meeting,
        actor=actor,
        kind=MeetingEventKind.ACTION_TAKEN if taken else MeetingEventKind.DECIDED,
        data={"item": item.pk, "position": item.position, "action": taken},
    )
    return decision
