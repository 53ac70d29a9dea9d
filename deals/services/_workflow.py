"""The workflow's shared steps: lock the deal, bump its version, record the audit event,
move the status through the transition table. Only the services package uses these."""

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from deals import rules
from deals.models import (
    REVISED_BY_EDITING,
    TRANSITIONS,
    Commitment,
    Deal,
    DealEvent,
    DealStatus,
    Escalation,
    EscalationDecision,
    EventKind,
    ReviewRound,
    Verdict,
    workflow_write,
)
from deals.signals import deal_event_recorded
from handoff.models import User


def _lock(deal: Deal | int) -> Deal:
    pk = deal.pk if isinstance(deal, Deal) else deal
    return Deal.objects.select_for_update().select_related("client", "owner").get(pk=pk)


def _check_transition(deal: Deal, action: str) -> str:
    rules.transition_allowed(deal, action).enforce()
    return TRANSITIONS[action][1]


def _touch(deal: Deal, *fields: str) -> None:
    deal.version += 1
    deal.updated_at = timezone.now()
    deal.save(update_fields=[*fields, "version", "updated_at"])


def _record(
    deal: Deal,
    *,
    actor: User | None,
    kind: str,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    data: dict | None = None,
) -> DealEvent:
    event = DealEvent.objects.create(
        deal=deal,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
    deal_event_recorded.send(sender=DealEvent, event=event)
    return event


def _set_status(
    deal: Deal,
    action: str,
    *,
    actor: User,
    kind: str,
    reason: str = "",
    data: dict | None = None,
    extra_fields: Iterable[str] = (),
) -> DealEvent:
    to_status = _check_transition(deal, action)
    from_status = deal.status
    deal.status = to_status
    with workflow_write():
        _touch(deal, "status", *extra_fields)
    if from_status == DealStatus.CHANGES_REQUESTED:
        _close_open_escalations(deal, action)
    return _record(
        deal,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data,
    )


def _revise_for_edit(deal: Deal, *, actor: User, reason: str = "") -> None:
    """Editing a deal whose changes were requested revises it first, in the same step."""
    if deal.status in REVISED_BY_EDITING:
        _set_status(
            deal,
            "revise",
            actor=actor,
            kind=EventKind.REVISED,
            reason=reason or "Edited after changes were requested",
            data={"implicit": True},
        )


ESCALATION_CLOSED_BECAUSE = {
    "lose": "The deal was lost before a manager decided.",
    "revise": "The deal was revised; the next review rules on its commitments again.",
    "submit": "The deal went back into review; the next review rules again.",
}


def _close_open_escalations(deal: Deal, action: str) -> None:
    """Escalations argue with one round's flags: once the deal leaves that round, they close."""
    Escalation.objects.filter(deal=deal, decision=EscalationDecision.PENDING).update(
        decision=EscalationDecision.CLOSED,
        decided_at=timezone.now(),
        decision_reason=ESCALATION_CLOSED_BECAUSE.get(action, "The deal moved on."),
    )


def _open_round(deal: Deal) -> ReviewRound | None:
    return deal.rounds.filter(decided_at__isnull=True).select_related("reviewer").first()


def _current_verdicts(review_round: ReviewRound | None) -> dict[int, Verdict]:
    if review_round is None:
        return {}
    return {v.commitment_id: v for v in review_round.verdicts.all()}


def fingerprint(commitments: Iterable[Commitment]) -> tuple[str, list[dict]]:
    """The commitments as signed: ids, versions and contents, and their sha256."""
    snapshot = sorted((c.fingerprint_data() for c in commitments), key=lambda d: d["id"])
    digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
    return digest, snapshot


def _clean(instance: Any, exclude: Iterable[str] = ()) -> None:
    instance.full_clean(exclude=list(exclude), validate_constraints=False)
