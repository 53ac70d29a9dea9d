"""deals.rules: one predicate per action, and the page and the services agree on each.

A button the deal page shows is a write the service lets through; a write the service
refuses is a button the page hides. Both ask the same predicate, and this checks it by
running each service (rolled back) against what the page offers, for every status and role.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from deals import rules, services
from deals.models import DealStatus, Verdict
from handoff.errors import ActionForbidden, DomainError, TransitionNotAllowed
from tests.deals.builders import deal_in, draft_deal

pytestmark = pytest.mark.django_db

SERVICES = {
    "submit": lambda deal, user: services.deal_submit(deal=deal, actor=user),
    "claim": lambda deal, user: services.review_claim(deal=deal, actor=user),
    "request_changes": lambda deal, user: services.deal_request_changes(deal=deal, actor=user),
    "sign_off": lambda deal, user: services.deal_sign_off(deal=deal, actor=user),
    "revise": lambda deal, user: services.deal_revise(deal=deal, actor=user),
    "win": lambda deal, user: services.deal_win(deal=deal, actor=user),
    "lose": lambda deal, user: services.deal_lose(deal=deal, actor=user, reason="Budget"),
}


class _RolledBack(Exception):
    pass


def service_lets_through(action: str, deal, user) -> bool:
    try:
        with transaction.atomic():
            SERVICES[action](deal, user)
            raise _RolledBack
    except _RolledBack:
        return True
    except (DomainError, ValidationError):
        return False


def no_op(action: str, deal, user) -> bool:
    if action == "revise":
        return deal.status == DealStatus.DRAFT and deal.owner_id == user.pk
    if action == "claim":
        open_round = deal.rounds.filter(decided_at__isnull=True).first()
        return open_round is not None and open_round.reviewer_id == user.pk
    return False


def page_offers(deal, user) -> frozenset[str]:
    open_round = deal.rounds.filter(decided_at__isnull=True).first()
    verdicts = (
        {v.commitment_id: v for v in Verdict.objects.filter(round=open_round)}
        if open_round
        else None
    )
    ids = list(deal.commitments.values_list("pk", flat=True))
    return rules.available_actions(user, deal, open_round, commitment_ids=ids, verdicts=verdicts)


@pytest.mark.parametrize("status", [*DealStatus.values, "in_review_unruled", "in_review_flagged"])
def test_the_page_offers_exactly_what_the_services_let_through(
    request, rep, rep2, pm, pm2, manager, status
):
    if status == "in_review_unruled":
        deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    elif status == "in_review_flagged":
        deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, flagged=True)
    else:
        deal = deal_in(status, owner=rep, pm=pm)
    for user in (rep, rep2, pm, pm2, manager):
        offered = page_offers(deal, user)
        for action in SERVICES:
            let_through = service_lets_through(action, deal, user)
            if no_op(action, deal, user):
                # Allowed and changes nothing (revise a draft, claim one's own review): no button.
                assert action not in offered and let_through
                continue
            if (action, deal.status) == ("revise", DealStatus.CHANGES_REQUESTED):
                # Allowed (the API keeps it), but the page edits instead: editing revises.
                assert action not in offered
                continue
            assert (action in offered) == let_through, (status, user.username, action)


def test_an_unclaimed_review_offers_claim_and_rule_to_any_pm(rep, pm, pm2):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    deal.refresh_from_db()
    for user in (pm, pm2):
        assert {"claim", "rule"} <= page_offers(deal, user)
        assert service_lets_through("claim", deal, user)


def test_an_answer_is_false_with_the_refusal_the_service_raises(rep, rep2, pm):
    deal = draft_deal(rep)

    answer = rules.can_submit(rep2, deal)
    assert not answer
    assert isinstance(answer.refusal, ActionForbidden)
    assert answer.refusal.message == "Only the deal's owner can submit it."
    with pytest.raises(ActionForbidden) as raised:
        services.deal_submit(deal=deal, actor=rep2)
    assert raised.value.message == answer.refusal.message

    answer = rules.can_win(rep, deal)
    assert isinstance(answer.refusal, TransitionNotAllowed)
    assert (answer.refusal.message, answer.refusal.code) == (
        "You cannot mark as won a deal that is draft.",
        "win_not_allowed",
    )
    assert rules.can_submit(rep, deal)
    assert not rules.can_submit(rep, draft_deal(rep, commitments=0), commitment_count=0)
    rules.can_submit(rep, deal).enforce()  # a yes raises nothing
