"""Calibrated promises: the quantiles, the table, the groups a date comes from, the properties."""

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
    # The small band met its dates, but every scope promise (13: 0 x6, 1 x5, 20, 30) says
    # 1 day: the broader history's later date stands, and the figures are the kind's.
    assert (small.scope, small.sample_size, small.suggested_date) == (
        "kind",
        13,
        PROMISED + datetime.timedelta(days=1),
    )
    assert [(g.scope, g.sample_size, g.suggested_date) for g in small.groups] == [
        ("kind_band", 6, PROMISED),
        ("kind", 13, PROMISED + datetime.timedelta(days=1)),
    ]
    assert small.narrower_sentence == (
        "Scope promises of 0\u20135 days alone did better: 80 % were delivered by the "
        "promised date (6 resolved); the suggestion keeps to the later date that 80 % of "
        "scope promises met."
    )
    big = calibrate(table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED)
    assert big.scope == "kind_band" and big.sample_size == 7  # 20-40 days: 2 + 5 of team 7
    assert big.slip.p80 == 20 and big.narrower_sentence == ""
    team = calibrate(
        table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED, team_id=7
    )
    # Team 7 has enough history of its own (80 % within 1 day), but the band says 20 days:
    # a narrower group may move the date later, never earlier.
    assert (team.scope, team.sample_size, team.slip.p80) == ("kind_band", 7, 20)
    assert team.team_id is None
    assert [(g.scope, g.sample_size, g.enough) for g in team.groups] == [
        ("kind_band_team", 5, True),
        ("kind_band", 7, True),
        ("kind", 13, True),
    ]
    assert team.groups[0].slip.p80 == 1
    assert team.narrower_sentence.startswith(
        "Scope promises of 20\u201340 days delivered by this team alone did better: 80 % "
        "were delivered by a date 1 day later (5 resolved)"
    )
    other_team = calibrate(
        table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED, team_id=8
    )
    assert other_team.scope == "kind_band"


def test_a_narrower_group_sets_the_date_when_it_is_later():
    history = [
        *samples("scope", "30", [0, 0, 0, 0, 0]),
        *samples("scope", "30", [6, 7, 8, 9, 10], team_id=7),
    ]
    table = build_table(history, minimum=5)
    team = calibrate(
        table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED, team_id=7
    )
    assert (team.scope, team.sample_size, team.slip.p80, team.team_id) == (
        "kind_band_team",
        5,
        9,
        7,
    )
    assert team.suggested_date == PROMISED + datetime.timedelta(days=9)
    assert team.sentence.startswith("Scope promises of 20\u201340 days delivered by this team")
    assert team.narrower_sentence == ""


def test_on_a_tie_the_narrowest_group_keeps_the_figures():
    table = build_table(samples("scope", "30", [2, 2, 2, 2, 2], team_id=7), minimum=5)
    team = calibrate(
        table, kind="scope", effort_days=Decimal("25"), promised_date=PROMISED, team_id=7
    )
    assert team.scope == "kind_band_team" and team.narrower_sentence == ""


def test_a_late_delivery_that_fills_a_finer_group_does_not_bring_the_date_in():
    """Four on-time promises of team 7 among later ones; a fifth, delivered as late as the
    suggestion, gives the team enough history of its own, at 0 days: the date stays."""
    history = [
        *samples("integration", "15", [0, 0, 0, 0], team_id=7),
        *samples("integration", "15", [10] * 6),
    ]
    ask = {"kind": "integration", "effort_days": Decimal("15"), "promised_date": PROMISED}
    before = calibrate(build_table(history, minimum=5), **ask, team_id=7)
    assert before.scope == "kind_band" and before.extra_days == 10
    late = samples("integration", "15", [before.extra_days], team_id=7)
    after = calibrate(build_table([*history, *late], minimum=5), **ask, team_id=7)
    assert after.groups[0].enough and after.groups[0].suggested_date == PROMISED
    assert after.suggested_date == before.suggested_date
    assert after.scope == "kind_band" and after.slip.p80 == 10


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


KINDS = ("integration", "scope")
EFFORTS = ("1", "7", "15", "30", "80")  # one in each effort band
TEAMS = (None, 1, 2)
QUERIES = [(k, e, t) for k in KINDS for e in EFFORTS for t in TEAMS]
promises = st.tuples(st.sampled_from(KINDS), st.sampled_from(EFFORTS), st.sampled_from(TEAMS))
histories = st.lists(
    st.tuples(promises, st.integers(min_value=0, max_value=60)), min_size=0, max_size=60
)


def table_of(history):
    return build_table(
        [
            Sample(kind=k, effort=Decimal(e), slip_days=slip, team_id=t)
            for (k, e, t), slip in history
        ],
        minimum=5,
    )


def calibrated(table, promise, promised):
    kind, effort, team = promise
    return calibrate(
        table, kind=kind, effort_days=Decimal(effort), promised_date=promised, team_id=team
    )


@settings(max_examples=200, deadline=None)
@given(history=histories, promised=dates)
def test_property_suggestion_never_precedes_the_promise_in_any_group(history, promised):
    table = table_of(history)
    for query in QUERIES:
        found = calibrated(table, query, promised)
        if found.suggested_date is not None:
            assert found.suggested_date >= promised
            assert found.suggested_date == max(g.suggested_date for g in found.groups if g.enough)
        else:
            assert all(not g.enough for g in found.groups)


@settings(max_examples=300, deadline=None)
@given(
    history=histories,
    delivery=promises,
    promised=dates,
    later_by=st.integers(min_value=0, max_value=60),
)
def test_property_a_late_delivery_in_any_group_never_makes_any_suggestion_earlier(
    history, delivery, promised, later_by
):
    """A promise of any kind, band and team, delivered later than the date history gave it
    (or than its promised date, with thin history), brings no suggestion earlier: not its own,
    not that of a promise in a broader or narrower group, not that of any other."""
    table = table_of(history)
    late = [(delivery, calibrated(table, delivery, promised).extra_days + later_by)]
    after_table = table_of([*history, *late])
    for query in QUERIES:
        before = calibrated(table, query, promised)
        after = calibrated(after_table, query, promised)
        if before.suggested_date is not None:
            assert after.suggested_date is not None
            assert after.suggested_date >= before.suggested_date >= promised


@settings(max_examples=300, deadline=None)
@given(
    history=histories,
    query=promises,
    delivery=promises,
    alike=st.booleans(),
    promised=dates,
    later_by=st.integers(min_value=0, max_value=60),
)
def test_property_a_delivery_later_than_a_suggestion_never_brings_it_earlier(
    history, query, delivery, alike, promised, later_by
):
    """The same from the side of one promise: a delivery anywhere in history (half the time
    in this promise's own narrowest group), later than the date suggested for this promise,
    never brings this promise's suggestion earlier."""
    delivery = query if alike else delivery
    table = table_of(history)
    before = calibrated(table, query, promised)
    late = [(delivery, before.extra_days + later_by)]
    after = calibrated(table_of([*history, *late]), query, promised)
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
