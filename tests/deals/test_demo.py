"""The demo's audit trail is dated like the rounds it describes, so "the past week" means it."""

import datetime

from django.utils import timezone

from deals.models import DealEvent, EventKind, ReviewRound, SignOff
from insights.figures.agenda import sync_agenda

WEEK = datetime.timedelta(days=7)


def test_demo_events_take_the_times_of_the_rounds_they_describe(seeded):
    rounds = {(r.deal_id, r.number): r for r in ReviewRound.objects.all()}
    checked = 0
    for event in DealEvent.objects.filter(
        kind__in=[EventKind.SUBMITTED, EventKind.CHANGES_REQUESTED, EventKind.SIGNED_OFF]
    ):
        review_round = rounds[event.deal_id, event.data["round"]]
        expected = (
            review_round.submitted_at
            if event.kind == EventKind.SUBMITTED
            else review_round.decided_at
        )
        assert event.at == expected, (event.deal.title, event.kind)
        checked += 1
    assert checked > 50
    for sign_off in SignOff.objects.select_related("round"):
        assert sign_off.signed_at == sign_off.round.decided_at


def test_each_demo_trail_reads_in_order_and_in_the_past(seeded):
    now = timezone.now()
    previous: dict[int, datetime.datetime] = {}
    for event in DealEvent.objects.select_related("deal").order_by("id"):
        assert event.deal.created_at <= event.at <= now, (event.deal.title, event.kind)
        assert event.at >= previous.get(event.deal_id, event.at), (event.deal.title, event.kind)
        previous[event.deal_id] = event.at
    for deal_id, last in previous.items():
        assert DealEvent.objects.filter(deal_id=deal_id).latest("at", "id").at == last


def test_the_demo_agenda_lists_only_the_past_weeks_decisions(seeded):
    decisions = sync_agenda()["sections"]["decisions"]["items"]
    week_ago = timezone.now() - WEEK

    assert 1 <= len(decisions) <= 15
    assert all(item["at"] >= week_ago for item in decisions)
    older = DealEvent.objects.filter(
        kind__in=[EventKind.SIGNED_OFF, EventKind.WON, EventKind.LOST], at__lt=week_ago
    )
    assert older.count() > 20


def test_the_demo_has_the_example_rules_and_a_round_reviewed_under_them(seeded):
    from deals import selectors
    from deals.approvals import missing_approvals, round_requirements
    from deals.models import Deal, ReviewRule
    from handoff.models import Team, TeamKind, User

    integration = Team.objects.get(name="Integration")
    pm, pm2, manager = (User.objects.get(username=u) for u in ("pm", "pm2", "manager"))
    assert integration.kind == TeamKind.DELIVERY and integration.lead == pm2
    assert list(integration.members.all()) == [pm2]
    rules = {r.name: r for r in ReviewRule.objects.filter(retired_at__isnull=True)}
    by_team = rules["Integration commitments need a PM of the Integration team"]
    by_manager = rules["Pricing on deals of 100,000 or more needs a manager"]
    assert (by_team.kinds, by_team.approver, by_team.team) == (["integration"], "pm", integration)
    assert (by_manager.kinds, by_manager.min_deal_value, by_manager.approver) == (
        ["pricing"],
        100000,
        "manager",
    )

    deal = Deal.objects.get(title="ERP and payments integration")
    review_round = deal.rounds.get()
    assert deal.status == "in_review" and review_round.reviewer == pm
    commitments = list(deal.commitments.order_by("id"))
    states = round_requirements(review_round, commitments, {})
    assert {r.requirement.rule_id for s in states.values() for r in s} == {
        None,
        by_team.pk,
        by_manager.pk,
    }
    assert [m["requirements"] for m in missing_approvals(commitments, states)] == [
        ["Approval by a PM of Integration"],
        ["Approval by a manager"],
    ]
    for user in (pm2, manager):
        waiting = {r.deal_id for r in selectors.review_rounds_waiting(user) if r.awaiting_you}
        assert waiting == {deal.pk}, user
    # Every other round was submitted before the rules were written.
    written = min(r.created_at for r in rules.values())
    assert written < review_round.submitted_at
    assert not deal.rounds.model.objects.exclude(deal=deal).filter(submitted_at__gt=written)
