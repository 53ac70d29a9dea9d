"""Review figures on crafted data, with the exact number expected."""

import pytest
from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, EscalationDecision, Verdict
from handoff.calendar import working_days_between
from handoff.models import (
    TeamKind,
)
from insights.figures.reviews import (
    deals_in_review,
    escalations,
    first_pass_approval,
    review_turnaround,
    sla_breaches,
)
from insights.figures.window import Window, window_for
from tests.factories import TeamFactory
from tests.insights.crafted import (
    APPROVED,
    FLAGGED,
    JUNE,
    at,
    day,
    make_deal,
    review,
    set_clock,
)


def test_working_days_skip_the_weekend():
    assert working_days_between(at(day(0)), at(day(1))) == 1.0
    assert working_days_between(at(day(4), 12), at(day(7), 12)) == 1.0  # Fri → Mon
    assert working_days_between(at(day(5)), at(day(6))) == 0.0  # Sat → Sun
    assert working_days_between(at(day(1)), at(day(0))) == 0.0


@pytest.mark.django_db
def test_deals_in_review_counts_now_and_by_team(rep, rep2, pm):
    review(make_deal(rep), pm, [APPROVED], decide=False)
    review(make_deal(rep2), pm, [APPROVED], decide=False)
    make_deal(rep)  # a draft
    review(make_deal(rep), pm, [APPROVED])  # signed off
    sales = TeamFactory(name="North", kind=TeamKind.SALES)
    sales.members.add(rep)
    assert deals_in_review(JUNE).value == 2
    figure = deals_in_review(window_for(JUNE.start, JUNE.end, sales))
    assert figure.value == 1
    assert "status=in_review" in figure.url


@pytest.mark.django_db
def test_review_turnaround_median_and_90th_percentile(rep, pm):
    one_day = review(make_deal(rep), pm, [APPROVED])
    over_weekend = review(make_deal(rep), pm, [FLAGGED])
    three_days = review(make_deal(rep), pm, [APPROVED])
    set_clock(one_day, at(day(0)), at(day(1)))
    set_clock(over_weekend, at(day(4), 12), at(day(7), 12))
    set_clock(three_days, at(day(0)), at(day(3)))
    outside = review(make_deal(rep), pm, [APPROVED])
    set_clock(outside, at(day(40)), at(day(45)))
    median, p90 = review_turnaround(JUNE)
    assert median.value == 1.0
    assert p90.value == 2.6
    assert median.display == "1 day"


@pytest.mark.django_db
def test_review_turnaround_single_round_and_open_rounds_ignored(rep, pm):
    decided = review(make_deal(rep), pm, [APPROVED])
    set_clock(decided, at(day(1)), at(day(1), 21))
    still_open = review(make_deal(rep), pm, [APPROVED], decide=False)
    set_clock(still_open, at(day(2)))
    median, p90 = review_turnaround(JUNE)
    assert median.value == p90.value == 0.5


@pytest.mark.django_db
def test_sla_breaches_count_late_decisions_and_open_rounds_past_due(rep, pm):
    late = review(make_deal(rep), pm, [APPROVED])
    on_time = review(make_deal(rep), pm, [APPROVED])
    open_late = review(make_deal(rep), pm, [APPROVED], decide=False)
    set_clock(late, at(day(0)), decided=at(day(3)), due=at(day(2)))
    set_clock(on_time, at(day(0)), decided=at(day(1)), due=at(day(2)))
    set_clock(open_late, at(day(0)), due=at(day(2)))
    figure = sla_breaches(JUNE)
    assert figure.value == 2
    assert figure.detail == "of 3 rounds"


@pytest.mark.django_db
def test_first_pass_approval_rate(rep, pm):
    first_time = make_deal(rep)
    second_time = make_deal(rep, [(CommitmentKind.SCOPE, "5")])
    waiting = make_deal(rep)
    set_clock(review(first_time, pm, [APPROVED]), at(day(0)), at(day(1)))
    set_clock(review(second_time, pm, [FLAGGED]), at(day(0)), at(day(1)))
    services.deal_revise(deal=second_time, actor=rep)
    set_clock(review(second_time, pm, [APPROVED]), at(day(2)), at(day(3)))
    set_clock(review(waiting, pm, [APPROVED], decide=False), at(day(0)))
    figure = first_pass_approval(JUNE)
    assert figure.value == 0.5
    assert figure.display == "50\u202f%"
    assert figure.detail == "1 of 2 deals"


@pytest.mark.django_db
def test_first_pass_approval_single_deal(rep, pm):
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(day(0)), at(day(1)))
    assert first_pass_approval(JUNE).value == 0.0


@pytest.mark.django_db
def test_escalations_and_their_outcomes(rep, pm, manager):
    upheld = make_deal(rep)
    pending = make_deal(rep)
    for deal in (upheld, pending):
        review(deal, pm, [FLAGGED])
    for deal in (upheld, pending):
        verdict = Verdict.objects.get(round__deal=deal)
        services.verdict_escalate(verdict=verdict, actor=rep, argument="We did it before")
    escalation = upheld.escalations.get()
    services.escalation_decide(
        escalation=escalation, actor=manager, decision=EscalationDecision.UPHELD, reason="Right"
    )
    today = timezone.localdate()
    figure, table = escalations(Window(today, today))
    assert figure.value == 2
    assert figure.detail == "1 open, 1 upheld, 0 overruled"
    assert [(r["outcome"], r["count"], r["share"]) for r in table.rows] == [
        ("Open", 1, 0.5),
        ("Upheld", 1, 0.5),
        ("Overruled", 0, 0.0),
    ]
