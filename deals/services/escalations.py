"""Escalations: a rep argues with a flag, a manager upholds or overrules it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import rules
from deals.models import Escalation, EscalationDecision, EventKind, Verdict
from deals.services._workflow import _lock, _record, _touch
from handoff.models import User


@transaction.atomic
def verdict_escalate(*, verdict: Verdict, actor: User, argument: str) -> Escalation:
    deal = _lock(verdict.round.deal_id)
    verdict = Verdict.objects.select_related("round", "commitment").get(pk=verdict.pk)
    rules.can_escalate(
        actor,
        deal,
        verdict,
        latest_round=deal.rounds.order_by("-number").first(),
        escalated=Escalation.objects.filter(verdict=verdict).exists(),
    ).enforce()
    argument = (argument or "").strip()
    if not argument:
        raise ValidationError({"argument": "Say why the flag should be overruled."})
    escalation = Escalation.objects.create(
        verdict=verdict, deal=deal, raised_by=actor, argument=argument
    )
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.ESCALATED,
        reason=argument,
        data={
            "escalation": escalation.pk,
            "commitment": verdict.commitment_id,
            "summary": verdict.commitment.summary,
        },
    )
    return escalation


@transaction.atomic
def escalation_decide(
    *, escalation: Escalation, actor: User, decision: str, reason: str
) -> Escalation:
    deal = _lock(escalation.deal_id)
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    rules.can_decide(actor, escalation, deal).enforce()
    reason = (reason or "").strip()
    errors = {}
    if decision not in (EscalationDecision.UPHELD, EscalationDecision.OVERRULED):
        errors["decision"] = "Choose uphold or overrule."
    if not reason:
        errors["reason"] = "Give the reason for your decision."
    if errors:
        raise ValidationError(errors)
    escalation.decision = decision
    escalation.decided_by = actor
    escalation.decided_at = timezone.now()
    escalation.decision_reason = reason
    escalation.save(update_fields=["decision", "decided_by", "decided_at", "decision_reason"])
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.ESCALATION_DECIDED,
        reason=reason,
        data={
            "escalation": escalation.pk,
            "decision": decision,
            "commitment": escalation.verdict.commitment_id,
        },
    )
    return escalation
