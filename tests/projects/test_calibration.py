"""Calibrated promises: the quantiles, the table, the fallback between cells, the property."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projects.calibration import (
    Distribution,
    Sample,
    band_label,
    band_of,
    build_table,
    calibrate,
    distribution,
    median,
    nearest_rank,
    suggest,
)

PROMISED = datetime.date(2027, 3, 1)


def samples(kind, effort, slips, team_id=None, overruns=None):
    overruns = overruns or [None] * len(slips)
    return [
        Sample(kind=kind, effort=Decimal(effort), slip_days=s, team_id=team_id, overrun=o)
        for s, o in zip(slips, overruns, strict=True)
    ]


def test_nearest_rank_and_median_on_known_values():
    values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert nearest_rank(values, 0.8) == 7  # 8 of 10 values are at most 7
    assert nearest_rank(values, 0.5) == 4
    assert nearest_rank([5], 0.8) == 5
    assert median(values) == 4.5
    assert median([1, 3, 10]) == 3
    with pytest.raises(ValueError):
        nearest_rank([], 0.8)


def test_distribution_needs_the_minimum_sample():
    assert distribution([3, 4], minimum=5) == Distribution(count=2)
    assert not distribution([], minimum=5).enough
    full = distribution([10, 0, 20, 5, 9], minimum=5)
    assert (full.count, full.median, full.p80) == (5, 9, 10)


def test_bands():
    assert band_of(Decimal("0")) == 0
    assert band_of(Decimal("4.9")) == 0
    assert band_of(Decimal("10")) == 2
    assert band_of(Decimal("19.5")) == 2
    assert band_of(Decimal("400")) == 4
    assert band_label(2) == "10\u201320 days"
    assert band_label(4) == "40 days or more"


def test_calibration_exact_on_a_constructed_history():
    # Ten integration promises of 10-20 days: slips 0..18 by 2; median 9, 80th percentile 14.
    history = samples("integration", "15", [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    table = build_table(history, minimum=5)
    found = calibrate(table, kind="integration", effort_days=Decimal("12"), promised_date=PROMISED)
    assert found.scope == "kind_band"
    assert found.sample_size == 10
    assert found.slip.median == 9
    assert found.slip.p80 == 14
    assert found.suggested_date == PROMISED + datetime.timedelta(days=14)
    assert found.sentence == (
        "Integration promises of 10\u201320 days were delivered a median of 9 days late; "
        "80 % were delivered by a date 14 days later than promised (10 resolved)."
    )


def test_finer_cells_need_enough_history_of_their_own():
    history = [
        *samples("scope", "3", [0, 0, 0, 0, 0, 0]),  # small scope promises: on time
        *samples("scope", "30", [20, 30]),  # two big ones: too few for their band
        *samples("scope", "30", [1, 1, 1, 1, 1], team_id=7),
    ]
    table = build_table(history, minimum=5)
    small = calibrate(table, kind="scope", effort_days=Decimal("2"), promised_date=PROMISED)
    assert (small.scope, small.sample_size, small.suggested_date) == ("kind_band", 6, PROMISED)
    big = calibrate(table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED)
    assert big.scope == "kind_band" and big.sample_size == 7  # 20-40 days: 2 + 5 of team 7
    team = calibrate(
        table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED, team_id=7
    )
    assert (team.scope, team.sample_size, team.slip.p80) == ("kind_band_team", 5, 1)
    other_team = calibrate(
        table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED, team_id=8
    )
    assert other_team.scope == "kind_band"


def test_falls_back_to_the_kind_and_says_so_when_too_thin():
    history = [*samples("support", "3", [1, 2, 3]), *samples("support", "50", [4, 5])]
    table = build_table(history, minimum=5)
    found = calibrate(table, kind="support", effort_days=Decimal("3"), promised_date=PROMISED)
    assert found.scope == "kind" and found.sample_size == 5 and found.slip.p80 == 4
    thin = build_table(samples("support", "3", [1, 2]), minimum=5)
    none = calibrate(thin, kind="support", effort_days=Decimal("3"), promised_date=PROMISED)
    assert not none.enough and none.suggested_date is None and none.sample_size == 2
    assert "Not enough history yet: 2 resolved support promises" in none.sentence
    empty = calibrate({}, kind="pricing", effort_days=Decimal("1"), promised_date=PROMISED)
    assert not empty.enough and empty.sample_size == 0


def test_effort_overrun_from_recorded_time():
    history = samples("scope", "10", [0] * 5, overruns=[0.0, 0.1, 0.2, 0.5, 1.0])
    found = calibrate(
        build_table(history, minimum=5),
        kind="scope",
        effort_days=Decimal("10"),
        promised_date=PROMISED,
    )
    assert found.overrun.median == 0.2 and found.overrun.p80 == 0.5
    assert found.overrun_sentence == (
        "Effort ran a median of 20 % over the estimate; 80 % stayed within 50 %."
    )
    assert "on time at the median" in found.sentence
    assert "by the promised date" in found.sentence


def test_suggest_never_moves_before_the_promise():
    assert suggest(PROMISED, Distribution(count=5, median=0, p80=0)) == PROMISED
    assert suggest(PROMISED, Distribution(count=5, median=1, p80=2.5)) == PROMISED + (
        datetime.timedelta(days=3)
    )
    assert suggest(datetime.date.max, Distribution(count=5, median=1, p80=9)) == datetime.date.max
    assert suggest(PROMISED, Distribution(count=2)) is None


slips = st.lists(st.integers(min_value=0, max_value=400), min_size=0, max_size=40)
efforts = st.sampled_from(["1", "7", "15", "30", "80"])
dates = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(history=slips, effort=efforts, promised=dates)
def test_property_suggestion_never_precedes_the_promise(history, effort, promised):
    table = build_table(samples("integration", effort, history), minimum=5)
    found = calibrate(
        table, kind="integration", effort_days=Decimal(effort), promised_date=promised
    )
    if found.suggested_date is not None:
        assert found.suggested_date >= promised
    else:
        assert len(history) < 5


@settings(max_examples=200, deadline=None)
@given(
    history=slips,
    effort=efforts,
    promised=dates,
    later_by=st.integers(min_value=0, max_value=200),
)
def test_property_a_late_delivery_never_makes_the_suggestion_earlier(
    history, effort, promised, later_by
):
    """A delivery later than the date history suggested pushes the suggestion out, or not at all.

    (A delivery that met the suggestion may of course bring it in: that is calibration.)
    """
    table = build_table(samples("integration", effort, history), minimum=5)
    before = calibrate(
        table, kind="integration", effort_days=Decimal(effort), promised_date=promised
    )
    current = before.slip.p80 if before.slip.p80 is not None else 0
    late = samples("integration", effort, [int(current) + later_by])
    after = calibrate(
        build_table([*samples("integration", effort, history), *late], minimum=5),
        kind="integration",
        effort_days=Decimal(effort),
        promised_date=promised,
    )
    if before.suggested_date is not None:
        assert after.suggested_date is not None
        assert after.suggested_date >= before.suggested_date


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=30), min_size=0, max_size=60))
def test_property_grouped_counts_give_the_same_figures_as_single_promises(values):
    from collections import Counter

    from projects.calibration import counted_distribution

    assert counted_distribution(Counter(float(v) for v in values), minimum=5) == distribution(
        values, minimum=5
    )
    one_by_one = build_table(samples("scope", "8", values), minimum=5)
    grouped = build_table(
        [
            Sample(kind="scope", effort=Decimal("8"), slip_days=v, count=n)
            for v, n in Counter(values).items()
        ],
        minimum=5,
    )
    assert one_by_one == grouped
