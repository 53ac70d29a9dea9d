"""Who sees what: a rep own deals, a PM deals submitted at least once, a manager everything."""

import pytest
from django.http import Http404

from deals import selectors, services
from deals.models import DealStatus, VerdictKind
from tests.deals.builders import deal_in, draft_deal


@pytest.fixture
def world(rep, rep2, pm):
    """rep: a draft, a deal in review, a revised deal; rep2: a draft and changes requested."""
    revised = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    services.deal_revise(deal=revised, actor=rep)
    return {
        "rep_draft": draft_deal(rep),
        "rep_in_review": deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm),
        "rep_revised": revised,
        "rep2_draft": draft_deal(rep2),
        "rep2_flagged": deal_in(DealStatus.CHANGES_REQUESTED, owner=rep2, pm=pm),
    }


def _names(world, deals):
    by_pk = {deal.pk: name for name, deal in world.items()}
    return {by_pk[pk] for pk in deals.values_list("pk", flat=True)}


EXPECTED = {
    "rep": {"rep_draft", "rep_in_review", "rep_revised"},
    "rep2": {"rep2_draft", "rep2_flagged"},
    # Submitted at least once, even if back in draft now.
    "pm": {"rep_in_review", "rep_revised", "rep2_flagged"},
    "pm2": {"rep_in_review", "rep_revised", "rep2_flagged"},
    "manager": {"rep_draft", "rep_in_review", "rep_revised", "rep2_draft", "rep2_flagged"},
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_deals_visible_to(who, world, request):
    user = request.getfixturevalue(who)
    assert _names(world, selectors.deals_visible_to(user)) == EXPECTED[who]


@pytest.mark.parametrize("who", list(EXPECTED))
def test_deal_get_for_user_is_404_when_invisible(who, world, request):
    user = request.getfixturevalue(who)
    for name, deal in world.items():
        if name in EXPECTED[who]:
            assert selectors.deal_get_for_user(user, deal.pk) == deal
        else:
            with pytest.raises(Http404):
                selectors.deal_get_for_user(user, deal.pk)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_commitments_visible_to(who, world, request):
    user = request.getfixturevalue(who)
    deal_ids = set(selectors.commitments_visible_to(user).values_list("deal_id", flat=True))
    assert deal_ids == {world[name].pk for name in EXPECTED[who]}
    hidden = [world[name] for name in world if name not in EXPECTED[who]]
    for deal in hidden:
        with pytest.raises(Http404):
            selectors.commitment_get_for_user(user, deal.commitments.first().pk)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_verdicts_visible_to(who, world, request):
    user = request.getfixturevalue(who)
    deal_ids = set(selectors.verdicts_visible_to(user).values_list("round__deal_id", flat=True))
    ruled = {"rep_in_review", "rep_revised", "rep2_flagged"}
    assert deal_ids == {world[name].pk for name in EXPECTED[who] & ruled}


def test_events_follow_the_deal(world, rep, rep2):
    deal = world["rep_in_review"]
    assert selectors.deal_events(deal).count() == deal.events.count() > 0
    # The events of a deal come only through a deal the user can see.
    with pytest.raises(Http404):
        selectors.deal_get_for_user(rep2, deal.pk)
    assert list(selectors.deal_events(deal).values_list("at", flat=True)) == sorted(
        deal.events.values_list("at", flat=True)
    )


def test_escalations_visible_to(world, rep, rep2, pm, manager):
    flagged = world["rep2_flagged"]
    verdict = flagged.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    escalation = services.verdict_escalate(verdict=verdict, actor=rep2, argument="Did it before")
    assert list(selectors.escalations_visible_to(rep2)) == [escalation]
    assert list(selectors.escalations_visible_to(manager)) == [escalation]
    assert list(selectors.escalations_visible_to(pm)) == [escalation]
    assert list(selectors.escalations_visible_to(rep)) == []
    assert list(selectors.escalations_open()) == [escalation]


def test_review_rounds_waiting_sorted_by_due_time(world, rep, pm, manager):
    queue = list(selectors.review_rounds_waiting(pm))
    assert [r.deal_id for r in queue] == [world["rep_in_review"].pk]
    assert list(selectors.review_rounds_waiting(manager)) == queue
    assert list(selectors.review_rounds_waiting(rep)) == []


def test_anonymous_sees_nothing(world, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not selectors.deals_visible_to(anonymous).exists()
    assert not selectors.clients_visible_to(anonymous).exists()
    assert selectors.clients_recent_for(anonymous) == []
