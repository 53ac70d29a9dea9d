"""Windows over a team: a delivery team's limits to its PMs."""

import pytest

from handoff.models import (
    Role,
    TeamKind,
)
from insights.figures.flags import flag_rate
from insights.figures.window import window_for
from tests.factories import TeamFactory, UserFactory
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
def test_window_over_a_delivery_team_limits_to_its_pms(rep, pm, pm2):
    team = TeamFactory(name="Delivery East", kind=TeamKind.DELIVERY)
    team.members.add(pm)
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(day(0)), at(day(1)))
    set_clock(review(make_deal(rep), pm2, [APPROVED]), at(day(0)), at(day(1)))
    w = window_for(JUNE.start, JUNE.end, team)
    assert w.pms == (pm.pk,)
    assert flag_rate(w).value == 1.0
    assert flag_rate(JUNE).value == 0.5
    assert UserFactory(username="x", role=Role.SALES).pk not in w.pms
