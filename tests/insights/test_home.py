"""The home page's "what needs you now": each role's cards, bounded with a link to all of them,
their empty states, and a cost that does not grow."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, Deal, DealStatus, VerdictKind
from insights.home import HOME_LIST_SIZE
from projects import services as project_services
from projects.models import Deliverable, DeliverableStatus, Project
from tests.deals.builders import deal_in, draft_deal
from tests.insights.crafted import APPROVED, make_deal, review, won_deliverables

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days(n: int) -> datetime.date:
    return TODAY() + datetime.timedelta(days=n)


def submitted(owner) -> Deal:
    deal = draft_deal(owner)
    services.deal_submit(deal=deal, actor=owner)
    return Deal.objects.get(pk=deal.pk)


def cards_of(response) -> dict[str, int]:
    return {card.label: card.count for card in response.context["cards"]}


def card(response, key: str):
    return next(c for c in response.context["cards"] if c.key == key)


def won(rep, pm, promised: datetime.date, n: int = 1) -> list[Deliverable]:
    return won_deliverables(rep, pm, promised, ["2"] * n)


# A rep: flags to answer, drafts, deals to mark as won; and New deal


def test_rep_home_shows_flags_drafts_and_deals_to_close(rep, pm, client_for):
    deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    draft_deal(rep)
    deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)

    response = client_for(rep).get(reverse("home"))

    assert cards_of(response) == {"Changes requested": 1, "Drafts": 1, "Signed off, to close": 1}
    assert 'class="cards home-cards"' in response.content.decode()


def test_rep_home_offers_a_new_deal_and_a_pm_home_does_not(rep, pm, client_for):
    html = client_for(rep).get(reverse("home")).content.decode()
    new_deal = re.search(r'<a href="([^"]+)" role="button"[^>]*>New deal</a>', html)
    assert new_deal and new_deal.group(1) == reverse("deals:create")
    assert "New deal" not in client_for(pm).get(reverse("home")).content.decode()


def test_rep_home_tells_which_flagged_deals_have_counter_proposals_to_accept(rep, pm, client_for):
    with_counter = make_deal(rep, [(CommitmentKind.SCOPE, "5"), (CommitmentKind.TIMELINE, "2")])
    services.deal_submit(deal=with_counter, actor=rep)
    first, second = with_counter.commitments.order_by("id")
    services.commitment_rule(
        commitment=first,
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="Too soon",
        counter_date=days(90),
    )
    services.commitment_rule(
        commitment=second,
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="Too little",
        counter_effort_days=Decimal("4"),
    )
    services.deal_request_changes(deal=with_counter, actor=pm)
    plain = make_deal(rep)
    review(plain, pm, [VerdictKind.FLAGGED])

    response = client_for(rep).get(reverse("home"))

    items = {i["title"]: i for i in card(response, "changes_requested").items}
    assert items[with_counter.title]["note"].endswith("· 2 counter-proposals to accept")
    assert items[with_counter.title]["alert"]
    assert "counter-proposal" not in items[plain.title]["note"]
    assert "2 counter-proposals to accept" in response.content.decode()


def test_rep_home_empty_states_say_what_is_not_waiting(rep, client_for):
    html = client_for(rep).get(reverse("home")).content.decode()
    assert "No deal waits for your changes." in html
    assert "No draft." in html
    assert "No signed-off deal waits to be marked as won." in html


# A PM: reviews, then handoffs to accept and deliverables late or coming due


def test_pm_home_shows_my_reviews_unclaimed_and_overdue(rep, pm, client_for):
    deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    unclaimed = submitted(rep)
    unclaimed.rounds.update(due_at=timezone.now() - datetime.timedelta(hours=1))

    response = client_for(pm).get(reverse("home"))

    counts = cards_of(response)
    assert {k: counts[k] for k in ("My reviews", "Unclaimed reviews", "Overdue reviews")} == {
        "My reviews": 1,
        "Unclaimed reviews": 1,
        "Overdue reviews": 1,
    }
    overdue = card(response, "overdue").items[0]
    assert overdue["alert"] and overdue["due"] < timezone.now()
    assert '<time class="deadline overdue"' in response.content.decode()
    assert ">1 h overdue</time>" in response.content.decode()


def test_pm_home_lists_handoffs_to_accept_until_accepted(rep, pm, pm2, client_for):
    mine = won(rep, pm, days(30))[0].project
    accepted = won(rep, pm, days(30))[0].project
    project_services.project_accept_handoff(project=accepted, actor=pm)
    won(rep, pm2, days(30))  # another PM's handoff

    response = client_for(pm).get(reverse("home"))

    handoffs = card(response, "handoffs")
    assert handoffs.count == 1
    assert [i["url"] for i in handoffs.items] == [mine.get_absolute_url()]
    assert handoffs.url == f"{reverse('projects:list')}?status=kickoff&pm={pm.pk}"
    listed = client_for(pm).get(handoffs.url).content.decode()
    assert mine.deal.title in listed and accepted.deal.title not in listed


def test_pm_home_lists_late_deliverables_and_those_due_within_two_weeks(rep, pm, pm2, client_for):
    late = won(rep, pm, days(-3))[0]
    due_today, due_in_13, due_in_14 = (won(rep, pm, days(n))[0] for n in (0, 13, 14))
    delivered = won(rep, pm, days(-5))[0]
    project_services.deliverable_update_status(
        deliverable=delivered, actor=pm, status=DeliverableStatus.DELIVERED, delivered_on=days(-1)
    )
    won(rep, pm2, days(-3))  # another PM's late deliverable
    won(rep, pm2, days(2))

    response = client_for(pm).get(reverse("home"))

    late_card, soon_card = card(response, "late"), card(response, "due_soon")
    assert [i["title"] for i in late_card.items] == [late.summary]
    assert late_card.items[0]["note"].endswith("3 days late")
    assert late_card.items[0]["url"] == f"{late.project.get_absolute_url()}#deliverable-{late.pk}"
    assert [i["title"] for i in soon_card.items] == [due_today.summary, due_in_13.summary]
    assert due_in_14.summary not in response.content.decode()
    assert ">due today</time>" in response.content.decode()
    assert ">due in 13 days</time>" in response.content.decode()
    assert late_card.url == reverse("home_deliverables") + "?due=late"
    assert soon_card.url == reverse("home_deliverables") + "?due=soon"


def test_pm_home_empty_states(pm, client_for):
    html = client_for(pm).get(reverse("home")).content.decode()
    for text in (
        "You lead no open review.",
        "Every review has its reviewer.",
        "No review is overdue.",
        "No handoff waits for you.",
        "Nothing of yours is late.",
        "Nothing of yours is due in the next two weeks.",
    ):
        assert text in html


def test_a_card_shows_its_first_rows_and_links_to_all_of_them(rep, pm, client_for):
    won_deliverables(rep, pm, days(-2), ["1"] * (HOME_LIST_SIZE + 2))

    response = client_for(pm).get(reverse("home"))

    late = card(response, "late")
    assert late.count == HOME_LIST_SIZE + 2
    assert len(late.items) == HOME_LIST_SIZE
    html = response.content.decode()
    assert (
        f'<a href="{late.url}">See all {HOME_LIST_SIZE + 2}<span class="visually-hidden">' in html
    )
    # A card that shows everything it holds needs no "see all".
    assert card(response, "handoffs").more == 0
    assert html.count("See all") == 1


# A manager: what it had, plus rounds waiting for a manager's approval


def test_manager_home_shows_reviews_overdue_and_escalations_with_a_link(
    rep, pm, manager, client_for
):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    services.verdict_escalate(verdict=flag, actor=rep, argument="Please")
    submitted(rep)

    response = client_for(manager).get(reverse("home"))

    assert cards_of(response) == {
        "Deals in review": 1,
        "Overdue reviews": 0,
        "Awaiting a manager's approval": 0,
        "Open escalations": 1,
    }
    assert reverse("deals:escalations") in response.content.decode()


def test_manager_home_lists_rounds_waiting_for_a_managers_approval(rep, pm, manager, client_for):
    services.review_rule_create(
        actor=manager, data={"name": "Big timelines", "approver": "manager", "kinds": ["timeline"]}
    )
    waiting = make_deal(rep, [(CommitmentKind.TIMELINE, "5")])
    services.deal_submit(deal=waiting, actor=rep)
    approved = make_deal(rep, [(CommitmentKind.TIMELINE, "5")])
    services.deal_submit(deal=approved, actor=rep)
    services.commitment_rule(commitment=approved.commitments.get(), actor=manager, verdict=APPROVED)
    submitted(rep)  # no rule asks a manager for this one

    response = client_for(manager).get(reverse("home"))

    approvals = card(response, "approvals")
    assert [i["title"] for i in approvals.items] == [waiting.title]
    assert approvals.url == reverse("deals:queue")


# The home page costs the same however much waits


@pytest.mark.parametrize("role", ["rep", "pm", "manager"])
def test_home_costs_the_same_with_one_item_per_card_or_many(
    role, rep, pm, manager, request, client_for, django_assert_num_queries
):
    services.review_rule_create(
        actor=manager,
        data={"name": "Integrations", "approver": "manager", "kinds": ["integration"]},
    )

    def add(n: int) -> None:
        for _ in range(n):
            make_deal(rep)
            services.deal_submit(
                deal=make_deal(rep, [(CommitmentKind.INTEGRATION, "3")]), actor=rep
            )
            deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
            deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
            deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
            won_deliverables(rep, pm, days(-2), ["1", "2"])
            won_deliverables(rep, pm, days(3), ["1"])

    http = client_for(request.getfixturevalue(role))
    add(1)
    with CaptureQueriesContext(connection) as few:
        assert http.get("/").status_code == 200
    add(HOME_LIST_SIZE + 1)
    with CaptureQueriesContext(connection) as many:
        response = http.get("/")
    assert response.status_code == 200
    cards = response.context["cards"]
    empty = [c.key for c in cards if not c.count]
    assert set(empty) <= {"overdue", "escalations"}, empty
    # A card that shows all it holds costs one query; a full one its count too, and no more.
    full = [c for c in cards if c.count > HOME_LIST_SIZE]
    assert full and all(c.more for c in full)
    assert len(many) == len(few) + len(full)
    add(HOME_LIST_SIZE)
    with django_assert_num_queries(len(many)):
        assert http.get("/").status_code == 200


def test_a_card_that_shows_all_it_holds_counts_them_without_a_count_query(
    rep, client_for, django_assert_num_queries
):
    for _ in range(3):
        make_deal(rep)
    http = client_for(rep)
    with CaptureQueriesContext(connection) as queries:
        response = http.get("/")
    drafts = card(response, "drafts")
    assert drafts.count == 3 and drafts.more == 0
    counts = [q["sql"] for q in queries.captured_queries if '"__count"' in q["sql"]]
    assert not [sql for sql in counts if 'FROM "deals_deal"' in sql], counts


def test_a_projects_status_filter_still_finds_only_kickoff(rep, pm, client_for):
    """The handoff card's link lists projects whose handoff waits: Project.status kickoff."""
    project = won(rep, pm, days(10))[0].project
    assert Project.objects.get(pk=project.pk).status == "kickoff"
