"""Scorecards: a rep's or PM's figures against their team's."""

import pytest

from handoff.models import (
    TeamKind,
)
from insights.figures.scorecards import scorecard
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


@pytest.mark.django_db
def test_scorecard_of_a_rep_against_the_team(rep, rep2, pm):
    team = TeamFactory(name="Sales North", kind=TeamKind.SALES)
    team.members.add(rep, rep2)
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(day(0)), at(day(1)))
    set_clock(review(make_deal(rep2), pm, [APPROVED]), at(day(0)), at(day(1)))
    card = scorecard(rep, JUNE.start, JUNE.end)
    assert card["team_label"] == "Sales North"
    flag, first_pass, kept, _renegotiated, _slip = card["rows"]
    assert (flag["own"].value, flag["team"].value) == (1.0, 0.5)
    assert (first_pass["own"].value, first_pass["team"].value) == (0.0, 0.5)
    assert kept["own"].value is None


@pytest.mark.django_db
def test_scorecard_of_a_pm_against_all_pms(rep, pm, pm2):
    set_clock(review(make_deal(rep), pm, [APPROVED]), at(day(0)), at(day(1)), due=at(day(2)))
    set_clock(review(make_deal(rep), pm2, [APPROVED]), at(day(0)), at(day(3)), due=at(day(2)))
    card = scorecard(pm, JUNE.start, JUNE.end)
    assert card["team_label"] == "All project managers"
    turnaround, breaches, _kept, _renegotiated = card["rows"]
    assert (turnaround["own"].value, turnaround["team"].value) == (1.0, 2.0)
    assert (breaches["own"].value, breaches["team"].value) == (0, 1)
