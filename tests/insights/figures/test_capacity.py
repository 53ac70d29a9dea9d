"""Pipeline and delivery load against capacity, week by week."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import CommitmentKind
from insights.figures.capacity import pipeline_capacity
from projects import capacity as capacity_math
from tests.insights.crafted import (
    APPROVED,
    JUNE,
    make_deal,
    review,
)


@pytest.mark.django_db
def test_pipeline_against_capacity_for_the_next_twelve_weeks(rep, pm):
    today = timezone.localdate()
    this_week = capacity_math.week_of(today)
    promised = this_week + datetime.timedelta(days=14 + 2)  # the Wednesday two weeks on
    deal = make_deal(rep, [(CommitmentKind.SCOPE, "12")], promised=promised, start=today)
    review(deal, pm, [APPROVED], decide=False)
    table = pipeline_capacity(JUNE, today=today)
    assert len(table.rows) == 12
    assert [r["pipeline"] for r in table.rows[:4]] == [
        Decimal("4.00"),
        Decimal("4.00"),
        Decimal("4.00"),
        0,
    ]
    assert {r["capacity"] for r in table.rows} == {Decimal("4.0")}
    assert table.rows[0]["use"] == 1.0
    assert table.rows[3]["use"] == 0.0
