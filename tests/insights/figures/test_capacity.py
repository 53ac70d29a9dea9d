"""Pipeline and delivery load against capacity, week by week."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import Commitment, CommitmentKind
from insights.figures.capacity import load_of_groups, pipeline_capacity, weekly_load
from projects import capacity as capacity_math
from tests.factories import CommitmentFactory, DealFactory
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


def _load_row_by_row(rows, today: datetime.date) -> dict[datetime.date, Decimal]:
    """The load as the capacity module defines it, grouped in Python from each row."""
    this_week = capacity_math.week_of(today)
    overdue, groups = Decimal(0), defaultdict(Decimal)
    for promised, start, effort in rows:
        if promised < today:
            overdue += effort
            continue
        first = max(this_week, capacity_math.week_of(start or today))
        groups[first, capacity_math.week_of(promised)] += effort
    return load_of_groups(groups, overdue, this_week)


@pytest.mark.django_db
def test_the_weekly_load_grouped_by_weeks_in_the_database_is_the_load_of_each_row():
    """Promises past, this week, ahead and far ahead; starts before, during and after them."""
    today = timezone.localdate()
    starts = [None, -30, -7, -1, 0, 5, 8, 60, 400]
    promises = [-40, -1, 0, 1, 3, 6, 7, 13, 30, 200]
    efforts = [Decimal("1.0"), Decimal("2.5"), Decimal("0.3"), Decimal("7.1")]
    for n, start in enumerate(starts):
        begins = None if start is None else today + datetime.timedelta(days=start)
        deal = DealFactory(expected_start_date=begins)
        for m, promised in enumerate(promises):
            CommitmentFactory(
                deal=deal,
                promised_date=today + datetime.timedelta(days=promised),
                effort_days=efforts[(n + m) % len(efforts)],
            )
    rows = Commitment.objects.all()

    load = weekly_load(rows, "deal__expected_start_date", today)

    expected = _load_row_by_row(
        rows.values_list("promised_date", "deal__expected_start_date", "effort_days"), today
    )
    assert load == expected
    assert len(load) > 12  # the far promises spread well past the dashboard's twelve weeks
