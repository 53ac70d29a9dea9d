"""The home page's "what needs you now": each role's cards, and a cost that does not grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, Deal, DealStatus, VerdictKind
from tests.deals.builders import deal_in, draft_deal
from tests.insights.crafted import make_deal

pytestmark = pytest.mark.django_db


def submitted(owner) -> Deal:
    deal = draft_deal(owner)
    services.deal_submit(deal=deal, actor=owner)
    return Deal.objects.get(pk=deal.pk)


def test_rep_home_shows_flags_drafts_and_deals_to_close(rep, pm, client_for):
    deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    draft_deal(rep)
    deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)

    response = client_for(rep).get(reverse("home"))

    cards = {c["label"]: c["count"] for c in response.context["cards"]}
    assert cards == {"Changes requested": 1, "Drafts": 1, "Signed off, to close": 1}
    assert 'class="cards"' in response.content.decode()


def test_pm_home_shows_my_reviews_unclaimed_and_overdue(rep, pm, client_for):
    deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    unclaimed = submitted(rep)
    unclaimed.rounds.update(due_at=timezone.now() - datetime.timedelta(hours=1))

    response = client_for(pm).get(reverse("home"))

    cards = {c["label"]: c["count"] for c in response.context["cards"]}
    assert cards == {"My reviews": 1, "Unclaimed reviews": 1, "Overdue reviews": 1}


def test_manager_home_shows_reviews_overdue_and_escalations_with_a_link(
    rep, pm, manager, client_for
):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    services.verdict_escalate(verdict=flag, actor=rep, argument="Please")
    submitted(rep)

    response = client_for(manager).get(reverse("home"))

    cards = {c["label"]: c["count"] for c in response.context["cards"]}
    assert cards == {"Deals in review": 1, "Overdue reviews": 0, "Open escalations": 1}
    assert reverse("deals:escalations") in response.content.decode()


# The home page costs the same however much waits


@pytest.mark.parametrize("role", ["rep", "pm", "manager"])
def test_home_costs_the_same_with_one_item_per_card_or_many(
    role, rep, request, client_for, django_assert_num_queries
):
    def add(deals: int) -> None:
        for _ in range(deals):
            make_deal(rep)
            services.deal_submit(deal=make_deal(rep, [(CommitmentKind.SCOPE, "3")]), actor=rep)

    http = client_for(request.getfixturevalue(role))
    add(1)
    with CaptureQueriesContext(connection) as few:
        assert http.get("/").status_code == 200
    add(8)
    with django_assert_num_queries(len(few)):
        assert http.get("/").status_code == 200
