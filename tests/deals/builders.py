"""Deals in any status, made the only legal way: through deals.services."""

from decimal import Decimal

from deals import services
from deals.models import Deal, DealStatus, VerdictKind
from handoff.models import User
from tests.factories import CommitmentFactory, DealFactory


def draft_deal(owner: User, *, commitments: int = 2, **fields) -> Deal:
    deal = DealFactory(owner=owner, **fields)
    for _ in range(commitments):
        CommitmentFactory(deal=deal, effort_days=Decimal("5.0"))
    return deal


def rule_all(deal: Deal, pm: User, *, flag_first: bool = False) -> None:
    for index, commitment in enumerate(deal.commitments.order_by("id")):
        if flag_first and index == 0:
            services.commitment_rule(
                commitment=commitment, actor=pm, verdict=VerdictKind.FLAGGED, reason="Too soon"
            )
        else:
            services.commitment_rule(commitment=commitment, actor=pm, verdict=VerdictKind.APPROVED)


def deal_in(
    status: str,
    *,
    owner: User,
    pm: User,
    manager: User | None = None,
    flagged: bool = False,
    ruled: bool = True,
    commitments: int = 2,
) -> Deal:
    """A deal in `status`; in review it is claimed by `pm` and (unless ruled=False) fully ruled."""
    deal = draft_deal(owner, commitments=commitments)
    if status == DealStatus.DRAFT:
        return _fresh(deal)
    if status == DealStatus.LOST:
        services.deal_lose(deal=deal, actor=owner, reason="Budget cut")
        return _fresh(deal)
    services.deal_submit(deal=deal, actor=owner)
    services.review_claim(deal=deal, actor=pm)
    if status == DealStatus.IN_REVIEW:
        if ruled:
            rule_all(deal, pm, flag_first=flagged)
        return _fresh(deal)
    if status == DealStatus.CHANGES_REQUESTED:
        rule_all(deal, pm, flag_first=True)
        services.deal_request_changes(deal=deal, actor=pm)
        return _fresh(deal)
    rule_all(deal, pm)
    services.deal_sign_off(deal=deal, actor=pm)
    if status == DealStatus.SIGNED_OFF:
        return _fresh(deal)
    services.deal_win(deal=deal, actor=owner)
    assert status == DealStatus.WON
    return _fresh(deal)


def _fresh(deal: Deal) -> Deal:
    return Deal.objects.get(pk=deal.pk)
