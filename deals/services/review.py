"""The review: submit, claim, assign, release, request changes, sign off. Rulings on each
commitment are in deals.services.rulings."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import rules
from deals.approvals import missing_approvals, round_requirements
from deals.models import (
    Commitment,
    Deal,
    DealEvent,
    EventKind,
    ReviewRound,
    RoundOutcome,
    SignOff,
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
from deals.services.rulings import open_requirements
from deals.sla import review_due_at
from handoff.errors import ConcurrentChange
from handoff.models import User
from handoff.validators import validate_field_values

MAX_NOTE_LENGTH = 2000


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
    carried = open_requirements(deal, review_round, previous=previous)
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
    if carried:
        _record(
            deal,
            actor=actor,
            kind=EventKind.APPROVALS_CARRIED,
            data={"round": review_round.number, "carried": carried},
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
def review_assign(*, deal: Deal, actor: User, reviewer: User, note: str = "") -> ReviewRound:
    """A manager, or the lead reviewer handing it on, gives the review to another PM."""
    deal = _lock(deal)
    review_round = _open_round(deal)
    rules.can_assign(actor, deal, review_round, reviewer=reviewer).enforce()
    note = _note(note)
    previous = review_round.reviewer
    review_round.reviewer = reviewer
    review_round.claimed_at = timezone.now()
    review_round.save(update_fields=["reviewer", "claimed_at"])
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.ASSIGNED,
        reason=note,
        data={
            "round": review_round.number,
            "reviewer": reviewer.pk,
            "reviewer_name": str(reviewer),
            "previous": previous.pk if previous else None,
            "previous_name": str(previous) if previous else None,
            "handed_on": previous is not None and previous.pk == actor.pk,
        },
    )
    return review_round


@transaction.atomic
def review_release(*, deal: Deal, actor: User, note: str = "") -> ReviewRound:
    """The lead reviewer gives up the claim; the PMs who may claim it are told."""
    deal = _lock(deal)
    review_round = _open_round(deal)
    rules.can_release(actor, deal, review_round).enforce()
    note = _note(note)
    review_round.reviewer = None
    review_round.claimed_at = None
    review_round.save(update_fields=["reviewer", "claimed_at"])
    _touch(deal)
    _record(
        deal, actor=actor, kind=EventKind.RELEASED, reason=note, data={"round": review_round.number}
    )
    return review_round


def _note(note: str) -> str:
    note = (note or "").strip()
    validate_field_values(DealEvent, {"reason": note})
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": f"Keep the note under {MAX_NOTE_LENGTH:,} characters."})
    return note


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
    states = round_requirements(review_round, commitments, by_commitment)
    rules.can_sign_off(
        actor,
        deal,
        review_round,
        commitment_ids=[c.pk for c in commitments],
        verdicts=by_commitment,
        missing=missing_approvals(commitments, states),
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
