"""The review: submit, claim, assign, rule on each commitment, request changes, sign off."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import rules
from deals.models import (
    Commitment,
    Deal,
    EventKind,
    ReviewRound,
    RoundOutcome,
    SignOff,
    Verdict,
    VerdictKind,
)
from deals.services._workflow import (
    _current_verdicts,
    _lock,
    _open_round,
    _record,
    _set_status,
    _touch,
    fingerprint,
)
from deals.sla import review_due_at
from handoff.errors import ConcurrentChange
from handoff.models import User
from handoff.validators import validate_field_values


@transaction.atomic
def deal_submit(*, deal: Deal, actor: User) -> ReviewRound:
    deal = _lock(deal)
    rules.can_submit(actor, deal, commitment_count=deal.commitments.count()).enforce()
    now = timezone.now()
    previous = deal.rounds.order_by("-number").first()
    review_round = ReviewRound.objects.create(
        deal=deal,
        number=(previous.number + 1) if previous else 1,
        submitted_by=actor,
        submitted_at=now,
        due_at=review_due_at(now),
        # A resubmission goes back to the PM who asked for the changes.
        reviewer=previous.reviewer if previous else None,
        claimed_at=now if previous and previous.reviewer_id else None,
    )
    extra = []
    if deal.first_submitted_at is None:
        deal.first_submitted_at = now
        extra.append("first_submitted_at")
    _set_status(
        deal,
        "submit",
        actor=actor,
        kind=EventKind.SUBMITTED,
        data={"round": review_round.number, "due_at": review_round.due_at.isoformat()},
        extra_fields=extra,
    )
    return review_round


@transaction.atomic
def review_claim(*, deal: Deal, actor: User) -> ReviewRound:
    deal = _lock(deal)
    review_round = _open_round(deal)
    mine = review_round is not None and review_round.reviewer_id == actor.pk
    if mine and rules.can_rule(actor, deal, review_round):
        return review_round  # claiming one's own review again changes nothing
    rules.can_claim(actor, deal, review_round).enforce()
    review_round.reviewer = actor
    review_round.claimed_at = timezone.now()
    review_round.save(update_fields=["reviewer", "claimed_at"])
    _touch(deal)
    _record(deal, actor=actor, kind=EventKind.CLAIMED, data={"round": review_round.number})
    return review_round


@transaction.atomic
def review_assign(*, deal: Deal, actor: User, reviewer: User) -> ReviewRound:
    deal = _lock(deal)
    review_round = _open_round(deal)
    rules.can_assign(actor, deal, review_round, reviewer=reviewer).enforce()
    previous = review_round.reviewer
    review_round.reviewer = reviewer
    review_round.claimed_at = timezone.now()
    review_round.save(update_fields=["reviewer", "claimed_at"])
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.ASSIGNED,
        data={
            "round": review_round.number,
            "reviewer": reviewer.pk,
            "reviewer_name": str(reviewer),
            "previous": previous.pk if previous else None,
        },
    )
    return review_round


@transaction.atomic
def commitment_rule(
    *,
    commitment: Commitment,
    actor: User,
    verdict: str,
    reason: str = "",
    condition: str = "",
    counter_date: date | None = None,
    counter_effort_days: Decimal | None = None,
) -> Verdict:
    """A PM's verdict on one commitment; ruling on an unclaimed review claims it."""
    deal = _lock(commitment.deal_id)
    review_round = _open_round(deal)
    rules.can_rule(actor, deal, review_round).enforce()
    if review_round.reviewer_id is None:
        review_round.reviewer = actor
        review_round.claimed_at = timezone.now()
        review_round.save(update_fields=["reviewer", "claimed_at"])
        _record(deal, actor=actor, kind=EventKind.CLAIMED, data={"round": review_round.number})

    reason, condition = (reason or "").strip(), (condition or "").strip()
    errors = {}
    if verdict not in VerdictKind.values:
        errors["verdict"] = "Choose approved, approved with condition or flagged."
    if verdict == VerdictKind.FLAGGED and not reason:
        errors["reason"] = "Say why you flag this commitment."
    if verdict == VerdictKind.APPROVED_WITH_CONDITION and not condition:
        errors["condition"] = "Write the condition of this approval."
    if counter_effort_days is not None and counter_effort_days < 0:
        errors["counter_effort_days"] = "Effort cannot be negative."
    if errors:
        raise ValidationError(errors)
    validate_field_values(
        Verdict,
        {
            "reason": reason,
            "condition": condition,
            "counter_date": counter_date,
            "counter_effort_days": counter_effort_days,
        },
    )
    if verdict != VerdictKind.FLAGGED:
        reason, counter_date, counter_effort_days = "", None, None
    if verdict != VerdictKind.APPROVED_WITH_CONDITION:
        condition = ""

    commitment = Commitment.objects.get(pk=commitment.pk)
    ruling, _ = Verdict.objects.update_or_create(
        round=review_round,
        commitment=commitment,
        defaults={
            "commitment_version": commitment.version,
            "verdict": verdict,
            "reason": reason,
            "condition": condition,
            "counter_date": counter_date,
            "counter_effort_days": counter_effort_days,
            "decided_by": actor,
            "decided_at": timezone.now(),
        },
    )
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.VERDICT,
        reason=reason or condition,
        data={
            "round": review_round.number,
            "commitment": commitment.pk,
            "summary": commitment.summary,
            "verdict": verdict,
            "counter_date": counter_date.isoformat() if counter_date else None,
            "counter_effort_days": str(counter_effort_days)
            if counter_effort_days is not None
            else None,
        },
    )
    return ruling


def _decision_inputs(deal: Deal) -> tuple[ReviewRound | None, list[Commitment], dict]:
    """The open round, the deal's commitments and the round's verdicts by commitment."""
    review_round = _open_round(deal)
    commitments = list(deal.commitments.all()) if review_round is not None else []
    return review_round, commitments, _current_verdicts(review_round)


@transaction.atomic
def deal_request_changes(*, deal: Deal, actor: User) -> ReviewRound:
    deal = _lock(deal)
    review_round, commitments, verdicts = _decision_inputs(deal)
    rules.can_request_changes(
        actor, deal, review_round, commitment_ids=[c.pk for c in commitments], verdicts=verdicts
    ).enforce()
    flagged = [verdicts[c.pk] for c in commitments if verdicts[c.pk].verdict == VerdictKind.FLAGGED]
    review_round.decided_at = timezone.now()
    review_round.outcome = RoundOutcome.CHANGES_REQUESTED
    review_round.save(update_fields=["decided_at", "outcome"])
    _set_status(
        deal,
        "request_changes",
        actor=actor,
        kind=EventKind.CHANGES_REQUESTED,
        data={"round": review_round.number, "flagged": [v.commitment_id for v in flagged]},
    )
    return review_round


@transaction.atomic
def deal_sign_off(*, deal: Deal, actor: User) -> SignOff:
    deal = _lock(deal)
    review_round, commitments, by_commitment = _decision_inputs(deal)
    rules.can_sign_off(
        actor,
        deal,
        review_round,
        commitment_ids=[c.pk for c in commitments],
        verdicts=by_commitment,
    ).enforce()
    verdicts = [by_commitment[c.pk] for c in commitments]
    if any(v.commitment_version != c.version for v, c in zip(verdicts, commitments, strict=True)):
        raise ConcurrentChange("A commitment changed after it was ruled on.", code="stale_verdict")
    now = timezone.now()
    digest, snapshot = fingerprint(commitments)
    conditions = {v.commitment_id: v.condition for v in verdicts if v.condition}
    for item in snapshot:
        item["condition"] = conditions.get(item["id"], "")
    sign_off = SignOff.objects.create(
        round=review_round,
        deal=deal,
        signed_by=actor,
        signed_at=now,
        fingerprint=digest,
        snapshot=snapshot,
    )
    review_round.decided_at = now
    review_round.outcome = RoundOutcome.SIGNED_OFF
    review_round.save(update_fields=["decided_at", "outcome"])
    _set_status(
        deal,
        "sign_off",
        actor=actor,
        kind=EventKind.SIGNED_OFF,
        data={"round": review_round.number, "fingerprint": digest},
    )
    return sign_off
