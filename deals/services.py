"""Every write with a rule on deals. The only code that sets a deal's status.

Each service runs in a transaction, locks the deal row, checks role and status,
writes a DealEvent, and raises a DomainError (409), ActionForbidden (403) or a
ValidationError (400) when the rule says no.
"""

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from deals.models import (
    APPEND_ONLY_TRIGGER,
    EDITABLE_STATUSES,
    TRANSITIONS,
    Client,
    Comment,
    Commitment,
    Deal,
    DealEvent,
    DealStatus,
    Escalation,
    EscalationDecision,
    EventKind,
    ReviewRound,
    RoundOutcome,
    SignOff,
    Verdict,
    VerdictKind,
    workflow_write,
)
from deals.selectors import people_who_see
from deals.signals import comment_posted, deal_event_recorded
from deals.sla import review_due_at
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import Role, User
from handoff.roles import has_role, is_manager, is_pm
from handoff.validators import validate_field_values

DEAL_FIELDS = (
    "title",
    "client",
    "value",
    "currency",
    "expected_close_date",
    "expected_start_date",
    "description",
)
COMMITMENT_FIELDS = ("kind", "summary", "detail", "promised_date", "effort_days")

ACTION_LABELS = {
    "submit": "submit",
    "request_changes": "request changes on",
    "sign_off": "sign off",
    "revise": "revise",
    "win": "mark as won",
    "lose": "mark as lost",
}


# Helpers


def _lock(deal: Deal | int) -> Deal:
    pk = deal.pk if isinstance(deal, Deal) else deal
    return Deal.objects.select_for_update().select_related("client", "owner").get(pk=pk)


def _check_version(deal: Deal, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != deal.version:
        raise ConcurrentChange(
            "Someone else changed this deal while you were working on it. "
            "Reload to see their change, then try again."
        )


def _check_transition(deal: Deal, action: str) -> str:
    allowed_from, to_status = TRANSITIONS[action]
    if deal.status not in allowed_from:
        raise TransitionNotAllowed(
            f"You cannot {ACTION_LABELS[action]} a deal that is "
            f"{deal.get_status_display().lower()}.",
            code=f"{action}_not_allowed",
        )
    return to_status


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


def _require_owner(deal: Deal, actor: User, what: str) -> None:
    if deal.owner_id != actor.pk:
        raise ActionForbidden(f"Only the deal's owner can {what}.")


def _require_owner_or_manager(deal: Deal, actor: User, what: str) -> None:
    if deal.owner_id != actor.pk and not is_manager(actor):
        raise ActionForbidden(f"Only the deal's owner or a manager can {what}.")


def _open_round(deal: Deal) -> ReviewRound:
    review_round = deal.rounds.filter(decided_at__isnull=True).select_related("reviewer").first()
    if review_round is None:
        raise TransitionNotAllowed("This deal has no open review round.", code="no_open_round")
    return review_round


def _require_reviewer(review_round: ReviewRound, actor: User) -> None:
    if not is_pm(actor):
        raise ActionForbidden("Only a project manager can review commitments.")
    if review_round.reviewer_id is None:
        raise TransitionNotAllowed(
            "Claim this review before deciding it.", code="review_not_claimed"
        )
    if review_round.reviewer_id != actor.pk:
        raise ActionForbidden(f"This review is claimed by {review_round.reviewer}.")


def _current_verdicts(deal: Deal, review_round: ReviewRound) -> dict[int, Verdict]:
    return {v.commitment_id: v for v in review_round.verdicts.all()}


def fingerprint(commitments: Iterable[Commitment]) -> tuple[str, list[dict]]:
    """The commitments as signed: ids, versions and contents, and their sha256."""
    snapshot = sorted((c.fingerprint_data() for c in commitments), key=lambda d: d["id"])
    digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
    return digest, snapshot


def _clean(instance: Any, exclude: Iterable[str] = ()) -> None:
    instance.full_clean(exclude=list(exclude), validate_constraints=False)


# Clients and deals


@transaction.atomic
def client_create(*, actor: User, name: str, industry: str = "") -> Client:
    if not has_role(actor, Role.SALES, Role.MANAGER, Role.ADMIN):
        raise ActionForbidden("Only sales reps and managers add clients.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the client's name."})
    if Client.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A client with this name already exists."})
    client = Client(name=name, industry=(industry or "").strip())
    _clean(client)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as error:  # the same name added a moment ago by someone else
        raise ValidationError({"name": "A client with this name already exists."}) from error
    return client


@transaction.atomic
def deal_create(*, actor: User, data: dict[str, Any], commitments: Iterable[dict] = ()) -> Deal:
    if not has_role(actor, Role.SALES, Role.MANAGER, Role.ADMIN):
        raise ActionForbidden("Only sales reps and managers create deals.")
    commitments = list(commitments)
    _check_commitment_cap(len(commitments), field="commitments")
    deal = Deal(owner=actor, **{k: v for k, v in data.items() if k in DEAL_FIELDS})
    _clean(deal)
    deal.save()
    _record(deal, actor=actor, kind=EventKind.CREATED, to_status=deal.status)
    for item in commitments:
        _commitment_create(deal, actor=actor, data=item)
    return deal


def deal_check_editable(*, deal: Deal, actor: User) -> None:
    """Only the owner edits a deal, and only in draft: the edit page asks this too."""
    _require_owner(deal, actor, "edit it")
    if deal.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed(
            f"A deal that is {deal.get_status_display().lower()} cannot be edited"
            + _how_to_edit(deal),
            code="deal_not_editable",
        )


def _how_to_edit(deal: Deal) -> str:
    if deal.status in TRANSITIONS["revise"][0]:
        return " — revise it first."
    if deal.status == DealStatus.IN_REVIEW:
        return " while it is in review; once the review is decided, revise it first."
    return "."


@transaction.atomic
def deal_update(
    *, deal: Deal, actor: User, data: dict[str, Any], expected_version: int | None = None
) -> Deal:
    deal = _lock(deal)
    deal_check_editable(deal=deal, actor=actor)
    _check_version(deal, expected_version)
    changes = {}
    for field in DEAL_FIELDS:
        if field in data and getattr(deal, field) != data[field]:
            changes[field] = [_jsonable(getattr(deal, field)), _jsonable(data[field])]
            setattr(deal, field, data[field])
    if not changes:
        return deal
    _clean(deal)
    _touch(deal, *[f for f in DEAL_FIELDS if f in changes])
    _record(deal, actor=actor, kind=EventKind.UPDATED, data={"changes": changes})
    return deal


@transaction.atomic
def deal_delete(*, deal: Deal, actor: User) -> None:
    deal = _lock(deal)
    _require_owner(deal, actor, "delete it")
    if deal.status != DealStatus.DRAFT or deal.first_submitted_at is not None:
        raise TransitionNotAllowed(
            "Only a draft that was never submitted can be deleted; mark it as lost instead.",
            code="delete_not_allowed",
        )
    # Its events go with it: a never-submitted draft has no history anyone else saw, so this
    # one delete is let past the append-only trigger on deal events (a no-op off PostgreSQL).
    with pgtrigger.ignore(f"deals.DealEvent:{APPEND_ONLY_TRIGGER}"):
        Deal.objects.filter(pk=deal.pk).delete()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Client):
        return value.name
    return value


def _require_editable(deal: Deal, actor: User) -> None:
    _require_owner(deal, actor, "change its commitments")
    if deal.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed(
            f"Commitments of a deal that is {deal.get_status_display().lower()} are read-only"
            + _how_to_edit(deal),
            code="commitments_read_only",
        )


def _check_commitment_cap(count: int, *, field: str) -> None:
    """A deal holds at most MAX_COMMITMENTS_PER_DEAL commitments, so its writes stay short."""
    cap = settings.MAX_COMMITMENTS_PER_DEAL
    if count > cap:
        message = f"A deal holds at most {cap} commitments; this would make it {count}."
        raise ValidationError({field: ValidationError(message, code="too_many_commitments")})


def _commitment_create(deal: Deal, *, actor: User, data: dict[str, Any]) -> Commitment:
    commitment = Commitment(deal=deal, **{k: v for k, v in data.items() if k in COMMITMENT_FIELDS})
    _clean(commitment)
    commitment.save()
    _record(
        deal,
        actor=actor,
        kind=EventKind.COMMITMENT_ADDED,
        data={"commitment": commitment.pk, "after": _commitment_data(commitment)},
    )
    return commitment


def _commitment_data(commitment: Commitment) -> dict:
    data = commitment.fingerprint_data()
    data.pop("id")
    return data


@transaction.atomic
def commitment_add(*, deal: Deal, actor: User, data: dict[str, Any]) -> Commitment:
    deal = _lock(deal)
    _require_editable(deal, actor)
    _check_commitment_cap(deal.commitments.count() + 1, field="deal")
    commitment = _commitment_create(deal, actor=actor, data=data)
    _touch(deal)
    return commitment


@transaction.atomic
def commitment_update(
    *,
    commitment: Commitment,
    actor: User,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Commitment:
    deal = _lock(commitment.deal_id)
    _require_editable(deal, actor)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if expected_version is not None and expected_version != commitment.version:
        raise ConcurrentChange("This commitment changed since you opened it. Reload and try again.")
    before = _commitment_data(commitment)
    for field in COMMITMENT_FIELDS:
        if field in data:
            setattr(commitment, field, data[field])
    _clean(commitment)
    after = _commitment_data(commitment)
    after["version"] = before["version"]
    if after == before:
        return commitment
    commitment.version += 1
    commitment.updated_at = timezone.now()
    commitment.save()
    after["version"] = commitment.version
    _touch(deal)
    _record(
        deal,
        actor=actor,
        kind=EventKind.COMMITMENT_CHANGED,
        data={"commitment": commitment.pk, "before": before, "after": after},
    )
    return commitment


@transaction.atomic
def commitment_remove(*, commitment: Commitment, actor: User) -> None:
    deal = _lock(commitment.deal_id)
    _require_editable(deal, actor)
    commitment = Commitment.objects.get(pk=commitment.pk)
    _record(
        deal,
        actor=actor,
        kind=EventKind.COMMITMENT_REMOVED,
        data={"commitment": commitment.pk, "before": _commitment_data(commitment)},
    )
    commitment.delete()
    _touch(deal)


# The review workflow


@transaction.atomic
def deal_submit(*, deal: Deal, actor: User) -> ReviewRound:
    deal = _lock(deal)
    _require_owner(deal, actor, "submit it")
    _check_transition(deal, "submit")
    if not deal.commitments.exists():
        raise DomainError(
            "Add at least one commitment before submitting for review.", code="no_commitments"
        )
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
    if not is_pm(actor):
        raise ActionForbidden("Only a project manager can claim a review.")
    if deal.status != DealStatus.IN_REVIEW:
        raise TransitionNotAllowed(
            "Only a deal in review can be claimed.", code="claim_not_allowed"
        )
    review_round = _open_round(deal)
    if review_round.reviewer_id == actor.pk:
        return review_round
    if review_round.reviewer_id is not None:
        raise ConcurrentChange(
            f"{review_round.reviewer} already claimed this review.", code="already_claimed"
        )
    review_round.reviewer = actor
    review_round.claimed_at = timezone.now()
    review_round.save(update_fields=["reviewer", "claimed_at"])
    _touch(deal)
    _record(deal, actor=actor, kind=EventKind.CLAIMED, data={"round": review_round.number})
    return review_round


@transaction.atomic
def review_assign(*, deal: Deal, actor: User, reviewer: User) -> ReviewRound:
    deal = _lock(deal)
    if not is_manager(actor):
        raise ActionForbidden("Only a manager can assign reviews.")
    if not is_pm(reviewer) or not reviewer.is_active:
        raise ValidationError({"reviewer": "Choose an active project manager."})
    if deal.status != DealStatus.IN_REVIEW:
        raise TransitionNotAllowed(
            "Only a deal in review can be assigned.", code="assign_not_allowed"
        )
    review_round = _open_round(deal)
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
    if not is_pm(actor):
        raise ActionForbidden("Only a project manager can rule on commitments.")
    if deal.status != DealStatus.IN_REVIEW:
        raise TransitionNotAllowed(
            "Commitments can be ruled on only while the deal is in review.",
            code="rule_not_allowed",
        )
    review_round = _open_round(deal)
    if review_round.reviewer_id is None:
        review_round.reviewer = actor
        review_round.claimed_at = timezone.now()
        review_round.save(update_fields=["reviewer", "claimed_at"])
        _record(deal, actor=actor, kind=EventKind.CLAIMED, data={"round": review_round.number})
    _require_reviewer(review_round, actor)

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


def _ruled_verdicts(deal: Deal, review_round: ReviewRound) -> list[Verdict]:
    commitments = list(deal.commitments.all())
    verdicts = _current_verdicts(deal, review_round)
    missing = [c for c in commitments if c.pk not in verdicts]
    if missing:
        raise DomainError(
            f"Rule on every commitment first: {len(missing)} still without a verdict.",
            code="commitments_not_ruled",
        )
    return [verdicts[c.pk] for c in commitments]


@transaction.atomic
def deal_request_changes(*, deal: Deal, actor: User) -> ReviewRound:
    deal = _lock(deal)
    _check_transition(deal, "request_changes")
    review_round = _open_round(deal)
    _require_reviewer(review_round, actor)
    verdicts = _ruled_verdicts(deal, review_round)
    flagged = [v for v in verdicts if v.verdict == VerdictKind.FLAGGED]
    if not flagged:
        raise DomainError("Nothing is flagged: sign the deal off instead.", code="nothing_flagged")
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
    _check_transition(deal, "sign_off")
    review_round = _open_round(deal)
    _require_reviewer(review_round, actor)
    verdicts = _ruled_verdicts(deal, review_round)
    if any(v.verdict == VerdictKind.FLAGGED for v in verdicts):
        raise DomainError(
            "A flagged commitment cannot be signed off: request changes instead.",
            code="flagged_commitments",
        )
    commitments = list(deal.commitments.all())
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


@transaction.atomic
def verdict_escalate(*, verdict: Verdict, actor: User, argument: str) -> Escalation:
    deal = _lock(verdict.round.deal_id)
    _require_owner(deal, actor, "escalate its flags")
    verdict = Verdict.objects.select_related("round", "commitment").get(pk=verdict.pk)
    if deal.status != DealStatus.CHANGES_REQUESTED:
        raise TransitionNotAllowed(
            "Flags can be escalated only while changes are requested.",
            code="escalate_not_allowed",
        )
    latest = deal.rounds.order_by("-number").first()
    if verdict.verdict != VerdictKind.FLAGGED or verdict.round_id != latest.pk:
        raise DomainError("Only a flag of the latest review can be escalated.", code="not_a_flag")
    if Escalation.objects.filter(verdict=verdict).exists():
        raise DomainError("This flag is already escalated.", code="already_escalated")
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


@transaction.atomic
def escalation_decide(
    *, escalation: Escalation, actor: User, decision: str, reason: str
) -> Escalation:
    deal = _lock(escalation.deal_id)
    if not is_manager(actor):
        raise ActionForbidden("Only a manager decides escalations.")
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.decision == EscalationDecision.CLOSED or (
        escalation.is_open and deal.status != DealStatus.CHANGES_REQUESTED
    ):
        raise TransitionNotAllowed(
            "The deal has moved on since this escalation was raised; there is nothing to decide.",
            code="escalation_stale",
        )
    if not escalation.is_open:
        raise ConcurrentChange("This escalation was already decided.", code="already_decided")
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


@transaction.atomic
def deal_revise(
    *, deal: Deal, actor: User, reason: str = "", expected_version: int | None = None
) -> Deal:
    deal = _lock(deal)
    _require_owner(deal, actor, "revise it")
    # The rep revises what they saw: a sign-off that landed meanwhile is a conflict to look at.
    _check_version(deal, expected_version)
    _check_transition(deal, "revise")
    if deal.status == DealStatus.DRAFT:
        return deal
    voids = deal.status == DealStatus.SIGNED_OFF
    event = _set_status(deal, "revise", actor=actor, kind=EventKind.REVISED, reason=reason)
    if voids:
        sign_off = deal.sign_offs.order_by("-signed_at").first()
        _record(
            deal,
            actor=actor,
            kind=EventKind.SIGN_OFF_VOIDED,
            reason=reason or "Revised after sign-off",
            data={"sign_off": sign_off.pk if sign_off else None, "revised_event": event.pk},
        )
    return deal


@transaction.atomic
def deal_win(*, deal: Deal, actor: User, project_manager: User | None = None) -> Deal:
    deal = _lock(deal)
    _require_owner_or_manager(deal, actor, "mark it as won")
    _check_transition(deal, "win")
    sign_off = deal.sign_offs.order_by("-signed_at").first()
    digest, _ = fingerprint(deal.commitments.all())
    if sign_off is None or sign_off.fingerprint != digest:
        raise DomainError(
            "The commitments differ from what was signed off; revise and resubmit.",
            code="sign_off_mismatch",
        )
    if project_manager is not None and not is_manager(actor):
        raise ActionForbidden("Only a manager picks another project manager.")
    _set_status(deal, "win", actor=actor, kind=EventKind.WON, data={"sign_off": sign_off.pk})
    from projects.services import project_create_from_won_deal

    project_create_from_won_deal(
        deal=deal, sign_off=sign_off, actor=actor, project_manager=project_manager
    )
    return deal


@transaction.atomic
def deal_lose(*, deal: Deal, actor: User, reason: str) -> Deal:
    deal = _lock(deal)
    _require_owner_or_manager(deal, actor, "mark it as lost")
    _check_transition(deal, "lose")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the deal was lost."})
    open_round = deal.rounds.filter(decided_at__isnull=True).first()
    if open_round:
        open_round.decided_at = timezone.now()
        open_round.outcome = RoundOutcome.CLOSED
        open_round.save(update_fields=["decided_at", "outcome"])
    deal.lost_reason = reason
    _set_status(
        deal, "lose", actor=actor, kind=EventKind.LOST, reason=reason, extra_fields=["lost_reason"]
    )
    return deal


# Comments

MENTION = re.compile(r"(?<![\w.])@([\w.@+-]+)")


@transaction.atomic
def comment_add(*, deal: Deal, actor: User, body: str) -> Comment:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > 5000:
        raise ValidationError({"body": "Keep comments under 5,000 characters."})
    validate_field_values(Comment, {"body": body})
    comment = Comment.objects.create(deal=deal, author=actor, body=body)
    names = {m.rstrip(".") for m in MENTION.findall(body)}
    named = list(User.objects.filter(username__in=names, is_active=True).exclude(pk=actor.pk))
    # Only people who may see the deal hear of it; the author is told who was left out.
    seeing = set(
        people_who_see(deal).filter(pk__in=[u.pk for u in named]).values_list("pk", flat=True)
    )
    mentioned = [user for user in named if user.pk in seeing]
    comment.not_notified = sorted(user.username for user in named if user.pk not in seeing)
    if mentioned:
        comment.mentions.set(mentioned)
    comment_posted.send(sender=Comment, comment=comment, mentioned=mentioned)
    return comment


def mentions_left_out(comment: Comment) -> str:
    """What to tell the author about the people named who cannot see the deal; blank if none."""
    names = [f"@{name}" for name in getattr(comment, "not_notified", [])]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "cannot see this deal and was" if len(names) == 1 else "cannot see this deal and were"
    return f"{listed} {verb} not notified."
