"""Closing a deal: mark it won (its project starts) or lost, or revise it back to draft."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals import rules
from deals.models import Deal, DealStatus, EventKind, RoundOutcome
from deals.services._workflow import _lock, _record, _set_status, fingerprint
from handoff.errors import DomainError
from handoff.models import User


@transaction.atomic
def deal_revise(
    *, deal: Deal, actor: User, reason: str = "", expected_version: int | None = None
) -> Deal:
    deal = _lock(deal)
    rules.can_revise(actor, deal, seen_version=expected_version).enforce()
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
    rules.can_win(actor, deal).enforce()
    sign_off = deal.sign_offs.order_by("-signed_at").first()
    digest, _ = fingerprint(deal.commitments.all())
    if sign_off is None or sign_off.fingerprint != digest:
        raise DomainError(
            "The commitments differ from what was signed off; revise and resubmit.",
            code="sign_off_mismatch",
        )
    if project_manager is not None:
        rules.can_pick_project_manager(actor).enforce()
    _set_status(deal, "win", actor=actor, kind=EventKind.WON, data={"sign_off": sign_off.pk})
    # The layering's one allowed upward import: the won deal's project starts in this transaction.
    from projects.services import project_create_from_won_deal

    project_create_from_won_deal(
        deal=deal, sign_off=sign_off, actor=actor, project_manager=project_manager
    )
    return deal


@transaction.atomic
def deal_lose(*, deal: Deal, actor: User, reason: str) -> Deal:
    deal = _lock(deal)
    rules.can_lose(actor, deal).enforce()
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
