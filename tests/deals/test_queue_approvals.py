"""The review queue marks the rounds where a review rule waits for this user's approval."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals import selectors, services
from deals.models import ApproverKind, CommitmentKind, Deal, VerdictKind
from handoff.models import Team, TeamKind
from tests.factories import CommitmentFactory, DealFactory

pytestmark = pytest.mark.django_db

MARK = "Awaiting your approval"


@pytest.fixture
def integration(pm2, manager):
    team = Team.objects.create(name="Integration", kind=TeamKind.DELIVERY, lead=pm2)
    team.members.add(pm2)
    return team


@pytest.fixture
def rules(manager, integration):
    services.review_rule_create(
        actor=manager,
        data={
            "name": "Integration commitments need a PM of the Integration team",
            "kinds": [CommitmentKind.INTEGRATION],
            "approver": ApproverKind.PM,
            "team": integration,
        },
    )
    services.review_rule_create(
        actor=manager,
        data={
            "name": "Pricing needs a manager",
            "kinds": [CommitmentKind.PRICING],
            "approver": ApproverKind.MANAGER,
        },
    )


def submitted(owner, *kinds: str, title: str = "") -> Deal:
    deal = DealFactory(owner=owner, **({"title": title} if title else {}))
    for kind in kinds:
        CommitmentFactory(deal=deal, kind=kind)
    services.deal_submit(deal=deal, actor=owner)
    return Deal.objects.get(pk=deal.pk)


def awaiting(user) -> set[int]:
    return {r.deal_id for r in selectors.review_rounds_waiting(user) if r.awaiting_you}


def test_the_queue_marks_rounds_awaiting_an_approval_the_user_can_give(
    rules, rep, pm, pm2, manager
):
    integration = submitted(rep, CommitmentKind.INTEGRATION, CommitmentKind.SCOPE)
    pricing = submitted(rep, CommitmentKind.PRICING)
    plain = submitted(rep, CommitmentKind.SCOPE)

    assert awaiting(pm2) == {integration.pk}
    assert awaiting(pm) == set()  # not in the Integration team; the default asks no one
    assert awaiting(manager) == {pricing.pk}
    everything = {integration.pk, pricing.pk, plain.pk}
    for user in (pm, pm2, manager):
        assert {r.deal_id for r in selectors.review_rounds_waiting(user)} == everything


def test_the_mark_goes_once_the_users_approval_is_given(rules, rep, pm2, manager):
    deal = submitted(rep, CommitmentKind.INTEGRATION, CommitmentKind.PRICING)
    assert awaiting(pm2) == awaiting(manager) == {deal.pk}

    integration = deal.commitments.get(kind=CommitmentKind.INTEGRATION)
    services.commitment_rule(commitment=integration, actor=pm2, verdict=VerdictKind.APPROVED)

    assert awaiting(pm2) == set()
    assert awaiting(manager) == {deal.pk}


def test_the_queue_page_says_awaiting_your_approval(rules, rep, pm, pm2, client_for):
    submitted(rep, CommitmentKind.INTEGRATION, title="ERP sync")

    for_pm2 = client_for(pm2).get(reverse("deals:queue")).content.decode()
    for_pm = client_for(pm).get(reverse("deals:queue")).content.decode()

    assert "ERP sync" in for_pm2 and MARK in for_pm2
    assert "ERP sync" in for_pm and MARK not in for_pm


@pytest.mark.parametrize("viewer", ["pm2", "manager"])
def test_queue_query_count_is_the_same_for_1_and_many_awaiting_rounds(
    request, rules, rep, viewer, client_for, django_assert_num_queries
):
    http = client_for(request.getfixturevalue(viewer))
    url = reverse("deals:queue")
    submitted(rep, CommitmentKind.INTEGRATION, CommitmentKind.PRICING)
    with CaptureQueriesContext(connection) as one:
        assert MARK in http.get(url).content.decode()
    for index in range(30):
        kinds = [CommitmentKind.INTEGRATION, CommitmentKind.PRICING, CommitmentKind.SCOPE]
        submitted(rep, kinds[index % 3])

    with django_assert_num_queries(len(one)):
        response = http.get(url)
    assert len(response.context["page"].object_list) == 25
    assert sum(r.awaiting_you for r in response.context["page"].object_list) >= 8
