"""Rulings on commitments: a round's requirements and the approvals carried into it, each
approver's verdict, and the owner accepting a counter-proposal in one step."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import rules
from deals.approvals import (
    RequirementState,
    could_satisfy,
    live_rules,
    requirement_from,
    requirements_for,
    satisfies,
)
from deals.models import (
    Approval,
    ApprovalRequirement,
    ApproverKind,
    Commitment,
    Deal,
    EventKind,
    ReviewRound,
    Verdict,
    VerdictKind,
)
from deals.services._workflow import (
    _clean,
    _lock,
    _open_round,
    _record,
    _revise_for_edit,
    _touch,
)
from deals.services.commitments import _commitment_data
from handoff.errors import ConcurrentChange
from handoff.models import User
from handoff.roles import is_pm
from handoff.validators import validate_field_values


def _joined(conditions) -> str:
    """The distinct conditions of a commitment's approvals, in the order they were given."""
    return "; ".join(dict.fromkeys(c for c in conditions if c))


def _last_verdicts(deal: Deal) -> dict[int, Verdict]:
    """Each commitment's verdict in the latest decided round that ruled on it."""
    latest: dict[int, Verdict] = {}
    verdicts = (
        Verdict.objects.filter(round__deal=deal, round__decided_at__isnull=False)
        .select_related("round", "decided_by")
        .order_by("commitment_id", "-round__number")
    )
    for verdict in verdicts:
        latest.setdefault(verdict.commitment_id, verdict)
    return latest


def _givers(verdict: Verdict, previous_approvals: dict) -> list[tuple[User, str, int | None]]:
    """Who approved a commitment in the verdict's round: (approver, condition, origin round)."""
    if verdict.verdict == VerdictKind.FLAGGED:
        return [(verdict.decided_by, "", None)]  # its counter-proposal, accepted as proposed
    given = previous_approvals.get((verdict.round_id, verdict.commitment_id))
    if given:
        return list(
            {a.approver_id: (a.approver, a.condition, a.carried_from_round) for a in given}.values()
        )
    return [(verdict.decided_by, verdict.condition, verdict.carried_from_round)]


def _carries(verdict: Verdict | None, commitment: Commitment) -> bool:
    """An approval of the same version carries; so does a flag whose counter was accepted."""
    if verdict is None:
        return False
    if verdict.is_approval:
        return verdict.commitment_version == commitment.version
    return verdict.counter_accepted_version == commitment.version


def open_requirements(
    deal: Deal, review_round: ReviewRound, *, previous: ReviewRound | None
) -> list[dict]:
    """Write a new round's requirements under the live rules and carry the approvals of every
    commitment unchanged since its last verdict. Returns what was carried, for the timeline."""
    commitments = list(deal.commitments.all())
    matched = requirements_for(
        deal, commitments, live_rules(), timezone.localdate(review_round.submitted_at)
    )
    by_commitment: dict[int, list[ApprovalRequirement]] = defaultdict(list)
    for commitment in commitments:
        for rule in matched[commitment.pk]:
            row = requirement_from(review_round, commitment, rule)
            row.save()
            by_commitment[commitment.pk].append(row)
    if previous is None:
        return []
    last = _last_verdicts(deal)
    previous_approvals: dict[tuple[int, int], list[Approval]] = defaultdict(list)
    approvals = Approval.objects.filter(
        requirement__round_id__in={v.round_id for v in last.values()},
        requirement__commitment__deal=deal,
    ).select_related("approver", "requirement")
    for approval in approvals:
        key = (approval.requirement.round_id, approval.requirement.commitment_id)
        previous_approvals[key].append(approval)

    carried = []
    for commitment in commitments:
        verdict = last.get(commitment.pk)
        if not _carries(verdict, commitment):
            continue
        origin = verdict.carried_from_round or verdict.round.number
        givers = _givers(verdict, previous_approvals)
        new = []
        for requirement in by_commitment[commitment.pk]:
            fits = [g for g in givers if g[0].is_active and could_satisfy(g[0], requirement)][
                : requirement.approvals_required
            ]
            new += [
                Approval(
                    requirement=requirement,
                    approver=approver,
                    condition=condition,
                    decided_at=verdict.decided_at,
                    carried_from_round=from_round or origin,
                )
                for approver, condition, from_round in fits
            ]
        if not new:
            continue
        Approval.objects.bulk_create(new)
        condition = _joined(a.condition for a in new)
        Verdict.objects.create(
            round=review_round,
            commitment=commitment,
            commitment_version=commitment.version,
            verdict=VerdictKind.APPROVED_WITH_CONDITION if condition else VerdictKind.APPROVED,
            condition=condition,
            decided_by=verdict.decided_by,
            decided_at=verdict.decided_at,
            carried_from_round=origin,
        )
        carried.append(
            {
                "commitment": commitment.pk,
                "summary": commitment.summary,
                "from_round": origin,
                "approved_by": sorted({str(a.approver) for a in new}),
                "condition": condition,
                "counter_accepted": verdict.verdict == VerdictKind.FLAGGED,
            }
        )
    return carried


def _states(review_round: ReviewRound, commitment: Commitment) -> list[RequirementState]:
    """The commitment's requirements in the round, with their approvals; a round opened
    before it had requirement rows gets its default one now, met by its verdict."""
    rows = list(
        ApprovalRequirement.objects.filter(round=review_round, commitment=commitment)
        .select_related("team")
        .order_by("id")
    )
    if not rows:
        row = requirement_from(review_round, commitment, None)
        row.save()
        verdict = Verdict.objects.filter(round=review_round, commitment=commitment).first()
        if verdict is not None and verdict.is_approval:
            Approval.objects.create(
                requirement=row,
                approver=verdict.decided_by,
                condition=verdict.condition,
                decided_at=verdict.decided_at,
                carried_from_round=verdict.carried_from_round,
            )
        rows = [row]
    states = {row.pk: RequirementState(row) for row in rows}
    for approval in Approval.objects.filter(requirement__in=rows).select_related("approver"):
        states[approval.requirement_id].approvals.append(approval)
    return list(states.values())


def _approve(
    states: list[RequirementState], *, actor: User, review_round: ReviewRound, condition: str
) -> list[str]:
    """Give `actor`'s approval to every requirement they can meet that still has room (or a
    carried approval to replace); the labels of those met. Refuses when none is left."""
    now = timezone.now()
    given = []
    for state in states:
        if not satisfies(actor, state.requirement, review_round):
            continue
        own = next((a for a in state.approvals if a.approver_id == actor.pk), None)
        if own is None and len(state.approvals) >= state.requirement.approvals_required:
            own = next((a for a in state.approvals if a.is_carried), None)
            if own is None:
                continue
            own.delete()
            own = None
        if own is None:
            Approval.objects.create(
                requirement=state.requirement, approver=actor, condition=condition, decided_at=now
            )
        else:
            own.condition, own.decided_at, own.carried_from_round = condition, now, None
            own.save(update_fields=["condition", "decided_at", "carried_from_round"])
        given.append(state.label)
    if not given:
        names = sorted({str(a.approver) for s in states for a in s.approvals})
        raise ConcurrentChange(
            f"{', '.join(names)} already gave the approvals this commitment needs from you.",
            code="already_approved",
        )
    return given


def _validated(
    verdict: str, reason: str, condition: str, counter_date, counter_effort_days
) -> tuple[str, str]:
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
    return reason, condition


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
    """One approver's verdict on one commitment. An approval counts towards each requirement
    the actor can meet; a flag sends the commitment back and clears its approvals this round.
    A PM ruling on an unclaimed review claims it, except as a named team's approver alone."""
    deal = _lock(commitment.deal_id)
    review_round = _open_round(deal)
    commitment = Commitment.objects.get(pk=commitment.pk)
    states = _states(review_round, commitment) if review_round is not None else []
    rules.can_rule(actor, deal, review_round, requirements=states).enforce()
    # A PM ruling on an unclaimed review claims it, unless they rule only as the approver a
    # rule names by team: the Integration PM's approval leaves the lead to someone else.
    leads = any(
        s.requirement.approver == ApproverKind.REVIEWER
        or (s.requirement.approver == ApproverKind.PM and s.requirement.team_id is None)
        for s in states
    )
    if review_round.reviewer_id is None and is_pm(actor) and leads:
        review_round.reviewer = actor
        review_round.claimed_at = timezone.now()
        review_round.save(update_fields=["reviewer", "claimed_at"])
        _record(deal, actor=actor, kind=EventKind.CLAIMED, data={"round": review_round.number})

    reason, condition = _validated(verdict, reason, condition, counter_date, counter_effort_days)
    if verdict == VerdictKind.FLAGGED:
        Approval.objects.filter(requirement__in=[s.requirement for s in states]).delete()
        met, combined, condition = [], "", ""
    else:
        counter_date, counter_effort_days, reason = None, None, ""
        if verdict != VerdictKind.APPROVED_WITH_CONDITION:
            condition = ""
        met = _approve(states, actor=actor, review_round=review_round, condition=condition)
        combined = _joined(
            Approval.objects.filter(requirement__in=[s.requirement for s in states])
            .order_by("decided_at", "id")
            .values_list("condition", flat=True)
        )
        verdict = VerdictKind.APPROVED_WITH_CONDITION if combined else VerdictKind.APPROVED
    ruling, _ = Verdict.objects.update_or_create(
        round=review_round,
        commitment=commitment,
        defaults={
            "commitment_version": commitment.version,
            "verdict": verdict,
            "reason": reason,
            "condition": combined,
            "counter_date": counter_date,
            "counter_effort_days": counter_effort_days,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "carried_from_round": None,
            "counter_accepted_version": None,
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
            "verdict": ruling.verdict,
            "condition": condition,
            "requirements": met,
            "counter_date": counter_date.isoformat() if counter_date else None,
            "counter_effort_days": str(counter_effort_days)
            if counter_effort_days is not None
            else None,
        },
    )
    return ruling


@transaction.atomic
def verdict_accept_counter(*, verdict: Verdict, actor: User) -> Commitment:
    """The owner takes a flag's counter-proposal as it stands: the commitment gets the proposed
    date and effort (a new version), the deal goes back to draft, and the next round carries
    the proposer's approval of that version."""
    deal = _lock(verdict.round.deal_id)
    verdict = Verdict.objects.select_related("round", "commitment", "decided_by").get(pk=verdict.pk)
    latest = deal.rounds.order_by("-number").first()
    rules.can_accept_counter(actor, deal, verdict, latest_round=latest).enforce()
    _revise_for_edit(deal, actor=actor, reason="Accepted a counter-proposal")
    commitment = Commitment.objects.select_for_update().get(pk=verdict.commitment_id)
    before = _commitment_data(commitment)
    if verdict.counter_date is not None:
        commitment.promised_date = verdict.counter_date
    if verdict.counter_effort_days is not None:
        commitment.effort_days = verdict.counter_effort_days
    _clean(commitment)
    commitment.version += 1
    commitment.updated_at = timezone.now()
    commitment.save()
    verdict.counter_accepted_version = commitment.version
    verdict.save(update_fields=["counter_accepted_version"])
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.COUNTER_ACCEPTED,
        data={
            "commitment": commitment.pk,
            "summary": commitment.summary,
            "verdict": verdict.pk,
            "round": verdict.round.number,
            "proposed_by": str(verdict.decided_by),
            "before": before,
            "after": _commitment_data(commitment),
        },
    )
    return commitment
