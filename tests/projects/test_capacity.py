"""Capacity math: exact cases and properties."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.capacity import (
    WeekCheck,
    WorkItem,
    add_loads,
    capacity_by_week,
    check_weeks,
    group_consecutive,
    heat_level,
    item_load,
    load_by_pm,
    load_by_week,
    spread,
    verdict_sentence,
    week_of,
    weeks_between,
)

D = Decimal
MON = datetime.date(2026, 3, 16)  # ISO week 12 of 2026
W = datetime.timedelta(days=7)


def test_week_of_is_the_monday():
    assert week_of(datetime.date(2026, 3, 22)) == MON  # Sunday
    assert week_of(MON) == MON
    assert MON.isocalendar().week == 12


def test_spread_evenly():
    assert spread(D("9"), MON, MON + 2 * W) == {MON: D("3"), MON + W: D("3"), MON + 2 * W: D("3")}


def test_spread_remainder_goes_to_the_earliest_weeks_and_totals_exactly():
    parts = spread(D("10"), MON, MON + 2 * W)
    assert parts == {MON: D("3.34"), MON + W: D("3.33"), MON + 2 * W: D("3.33")}
    assert sum(parts.values()) == D("10")


def test_spread_sub_cent_remainder_lands_in_the_last_week():
    parts = spread(D("0.035"), MON, MON + W)
    assert parts == {MON: D("0.02"), MON + W: D("0.015")}


def test_spread_within_one_week_and_mid_week_dates():
    assert spread(D("4.5"), MON + datetime.timedelta(days=3), MON + datetime.timedelta(days=4)) == {
        MON: D("4.5")
    }


def test_spread_end_before_start_puts_all_in_start_week():
    assert spread(D("5"), MON + W, MON) == {MON + W: D("5")}


def test_spread_zero_effort_is_empty():
    assert spread(D("0"), MON, MON + 3 * W) == {}


def test_item_load_starts_this_week_or_at_project_start():
    today = MON + datetime.timedelta(days=2)
    started = WorkItem(pm_id=1, effort=D("8"), start=MON - 4 * W, promised=MON + 3 * W)
    assert item_load(started, today) == {MON + i * W: D("2") for i in range(4)}
    later = WorkItem(pm_id=1, effort=D("8"), start=MON + 2 * W, promised=MON + 3 * W)
    assert item_load(later, today) == {MON + 2 * W: D("4"), MON + 3 * W: D("4")}


def test_item_past_its_promise_loads_this_week():
    today = MON + datetime.timedelta(days=1)
    late = WorkItem(pm_id=1, effort=D("7"), start=MON - 8 * W, promised=MON - W)
    assert item_load(late, today) == {MON: D("7")}


def test_load_by_pm_and_week():
    items = [
        WorkItem(1, D("4"), MON, MON + W),
        WorkItem(1, D("1"), MON, MON),
        WorkItem(2, D("3"), MON, MON),
    ]
    assert load_by_pm(items, MON) == {1: {MON: D("3"), MON + W: D("2")}, 2: {MON: D("3")}}
    assert load_by_week(items, MON) == {MON: D("6"), MON + W: D("2")}


def test_capacity_by_week_uses_exceptions():
    weeks = weeks_between(MON, MON + 2 * W)
    assert capacity_by_week(D("4"), {MON + W: D("1")}, weeks) == {
        MON: D("4"),
        MON + W: D("1"),
        MON + 2 * W: D("4"),
    }


def test_heat_levels():
    assert [heat_level(D(x), D("4")) for x in ("0", "2", "3", "4", "4.1")] == [0, 1, 2, 3, 4]
    assert heat_level(D("1"), D("0")) == 4


def test_group_consecutive_weeks():
    assert group_consecutive([MON + 3 * W, MON, MON + W, MON + 5 * W]) == [
        [MON, MON + W],
        [MON + 3 * W],
        [MON + 5 * W],
    ]


def test_check_weeks_and_over_capacity_sentence():
    existing = [WorkItem(1, D("9"), MON, MON + 2 * W)]  # 3 a week in weeks 12-14
    deal = [WorkItem(1, D("9"), MON, MON + 2 * W)]  # 3 more a week
    capacity = {MON: D("4"), MON + W: D("4"), MON + 2 * W: D("4")}
    checks = check_weeks(existing, deal, capacity, MON)
    assert [(c.iso_week, c.without_deal, c.with_deal, c.capacity) for c in checks] == [
        (12, D("3"), D("6"), D("4")),
        (13, D("3"), D("6"), D("4")),
        (14, D("3"), D("6"), D("4")),
    ]
    assert verdict_sentence(checks) == "Over capacity in weeks 12\u201314 by 6 person-days"


def test_sentence_groups_separate_runs():
    checks = [
        WeekCheck(MON, D("0"), D("5"), D("4")),
        WeekCheck(MON + W, D("0"), D("2"), D("4")),
        WeekCheck(MON + 2 * W, D("0"), D("4.5"), D("4")),
    ]
    assert verdict_sentence(checks) == (
        "Over capacity in week 12 by 1 person-day, and in week 14 by 0.5 person-days"
    )


def test_sentence_when_it_fits():
    checks = [WeekCheck(MON, D("1"), D("2.5"), D("4")), WeekCheck(MON + W, D("0"), D("3"), D("4"))]
    assert verdict_sentence(checks) == "Fits: at most 3 of 4 person-days a week (week 13)."


efforts = st.decimals(min_value=0, max_value=500, places=1)
offsets = st.integers(min_value=-20, max_value=60)


@st.composite
def work_items(draw):
    start = MON + datetime.timedelta(days=draw(offsets))
    promised = start + datetime.timedelta(days=draw(st.integers(min_value=-30, max_value=200)))
    return WorkItem(draw(st.integers(1, 3)), draw(efforts), start, promised)


@given(st.lists(work_items(), max_size=20), st.integers(min_value=0, max_value=6))
def test_total_spread_load_equals_total_open_effort(items, weekday):
    today = MON + datetime.timedelta(days=weekday)
    total = sum((sum(item_load(i, today).values(), D("0")) for i in items), D("0"))
    assert total == sum((i.effort for i in items), D("0"))
    assert sum(load_by_week(items, today).values(), D("0")) == total


@given(work_items(), st.integers(min_value=0, max_value=6))
def test_no_week_gets_load_outside_its_window(item, weekday):
    today = MON + datetime.timedelta(days=weekday)
    load = item_load(item, today)
    if item.promised < today:
        assert set(load) <= {MON}
    else:
        first = max(week_of(today), week_of(item.start))
        last = max(first, week_of(item.promised))
        assert all(first <= week <= last and week.weekday() == 0 for week in load)
    assert all(days > 0 for days in load.values())


@given(
    st.decimals(min_value=0, max_value=10000, places=3),
    st.integers(min_value=0, max_value=104),
)
def test_spread_is_even_to_the_cent(effort, weeks):
    parts = spread(effort, MON, MON + weeks * W)
    assert sum(parts.values(), D("0")) == effort
    if len(parts) > 1:
        values = sorted(parts.values())
        assert values[-1] - values[0] <= D("0.02")


# The load of all open work, cached between changes


@pytest.mark.django_db
def test_the_open_load_is_read_once_and_dropped_when_a_deliverable_changes(
    rep, pm, django_assert_num_queries
):
    from django.utils import timezone

    from projects import selectors, services
    from projects.capacity import load_by_pm
    from tests.projects.builders import bulk_project

    today = timezone.localdate()
    project = bulk_project(rep, pm, 1)
    first = selectors.open_load(today)
    assert first.by_pm == load_by_pm(selectors.open_work(), today)
    assert first.by_pm == {pm.pk: {week_of(today): D("2")}}
    assert first.team == {week_of(today): D("2")}
    with django_assert_num_queries(0):
        assert selectors.open_load(today) == first

    deliverable = project.deliverables.get()
    services.deliverable_update_status(
        deliverable=deliverable, actor=pm, status="delivered", delivered_on=today
    )
    assert selectors.open_load(today).by_pm == {}
    bulk_project(rep, pm, 2)  # a new project and deliverable count at once too
    assert selectors.open_load(today).by_pm == {pm.pk: {week_of(today): D("2")}}


@given(st.decimals(min_value=-1000, max_value=100000, places=4, allow_nan=False))
def test_days_are_written_as_floatformat_writes_them(value):
    from django.template.defaultfilters import floatformat

    from projects.capacity import days_text

    assert days_text(value) == floatformat(value, "-2")


# Bounded whatever the data: dates from before input was bounded, or written around it.


def test_weeks_between_stops_at_max_weeks_even_at_the_end_of_the_calendar():
    from projects.capacity import MAX_WEEKS

    weeks = weeks_between(MON, datetime.date.max)
    assert len(weeks) == MAX_WEEKS
    assert weeks[0] == MON and weeks[-1] == MON + (MAX_WEEKS - 1) * W
    last = week_of(datetime.date.max)
    assert weeks_between(last, datetime.date.max) == [last]


def test_a_far_future_promise_still_loads_all_its_effort():
    item = WorkItem(pm_id=1, effort=D("10"), start=MON, promised=datetime.date.max)
    load = item_load(item, MON)
    assert sum(load.values()) == D("10")
    starts_there = WorkItem(pm_id=1, effort=D("4"), start=datetime.date.max, promised=MON + W)
    assert sum(item_load(starts_there, MON).values()) == D("4")


@pytest.mark.parametrize("field", ["promised_date", "start"])
def test_the_deal_page_of_a_far_future_promise_opens_for_its_reviewer(client_for, rep, pm, field):
    from deals.models import Commitment, Deal, DealStatus
    from tests.deals.builders import deal_in

    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    far = datetime.date(9999, 12, 31)
    # Written past the input bounds, as an import or an older version could have.
    if field == "promised_date":
        Commitment.objects.filter(deal=deal).update(promised_date=far)
    else:
        Deal.objects.filter(pk=deal.pk).update(expected_start_date=far)
    response = client_for(pm).get(deal.get_absolute_url())
    assert response.status_code == 200
    assert "Capacity" in response.content.decode()


# The team's capacity, summed in the database


@pytest.mark.django_db
def test_the_teams_capacity_is_the_sum_of_each_pms_in_two_queries(django_assert_num_queries):
    from django.utils import timezone

    from handoff.models import Role
    from projects import selectors
    from projects.models import CapacityException, PMCapacity
    from tests.factories import UserFactory

    weeks = [week_of(timezone.localdate()) + datetime.timedelta(weeks=n) for n in range(4)]
    pms = [UserFactory(username=f"pm{n}", role=Role.PM) for n in range(5)]
    PMCapacity.objects.create(user=pms[0], weekly_days=D("2.5"))
    PMCapacity.objects.create(user=pms[1], weekly_days=D("0"))
    CapacityException.objects.create(pm=pms[0], week_start=weeks[1], days=D("1"))
    CapacityException.objects.create(pm=pms[2], week_start=weeks[2], days=D("0"))  # default 5
    CapacityException.objects.create(
        pm=pms[2], week_start=weeks[0] - datetime.timedelta(weeks=1), days=D("0")
    )
    gone = UserFactory(username="gone", role=Role.PM, is_active=False)
    CapacityException.objects.create(pm=gone, week_start=weeks[0], days=D("7"))
    UserFactory(username="rep9", role=Role.SALES)

    each = selectors.capacities([pm.pk for pm in pms], weeks)
    expected = add_loads(each.values())
    with django_assert_num_queries(2):
        caps = selectors.team_capacity_by_week(selectors.project_managers(), weeks, pm_id=pms[0].pk)
    assert caps.team == expected
    assert caps.own == each[pms[0].pk] == {**dict.fromkeys(weeks, D("2.5")), weeks[1]: D("1")}
    assert (
        selectors.team_capacity_by_week(selectors.project_managers(), weeks, pm_id=gone.pk).own
        is None
    )
    none = selectors.team_capacity_by_week(selectors.project_managers().none(), weeks)
    assert none.team == dict.fromkeys(weeks, D("0"))
