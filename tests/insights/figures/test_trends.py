"""The headline figures over the previous period and their trends, in words."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from handoff.models import MetricsSnapshot, TeamKind
from insights.figures.results import Figure
from insights.figures.trends import (
    HEADLINE,
    headline_figures,
    previous_window,
    stored_previous_figures,
    trend,
)
from insights.figures.window import Window, window_for
from tests.factories import TeamFactory
from tests.insights.crafted import APPROVED, FLAGGED, JUNE, at, make_deal, review, set_clock


def figure(key: str, value, unit: str) -> Figure:
    return Figure(key=key, label=key, value=value, unit=unit, how="")


def test_the_previous_period_has_the_same_length_just_before():
    before = previous_window(JUNE)
    assert (before.start, before.end) == (datetime.date(2026, 5, 2), datetime.date(2026, 5, 31))
    assert before.days == JUNE.days == 30
    one_day = previous_window(Window(datetime.date(2026, 6, 1), datetime.date(2026, 6, 1)))
    assert (one_day.start, one_day.end) == (datetime.date(2026, 5, 31),) * 2


@pytest.mark.django_db
def test_the_previous_period_keeps_the_team():
    team = TeamFactory(name="North", kind=TeamKind.SALES)
    w = window_for(JUNE.start, JUNE.end, team)
    before = previous_window(w)
    assert (before.team, before.reps, before.pms) == (w.team, w.reps, w.pms)


@pytest.mark.django_db
def test_headline_figures_are_the_dashboards_own_over_the_window(rep, pm):
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(datetime.date(2026, 5, 11)))
    set_clock(review(make_deal(rep), pm, [APPROVED]), at(datetime.date(2026, 6, 2)))
    with CaptureQueriesContext(connection) as queries:
        found = {f.key: f for f in headline_figures(previous_window(JUNE))}
    assert set(found) == set(HEADLINE)
    assert found["flag_rate"].value == 1.0  # May: the flagged round only
    assert found["first_pass_approval_rate"].value == 0.0
    assert found["kept_rate"].value is None
    assert len(queries) <= 6


@pytest.mark.django_db
def test_the_previous_figures_are_stored_and_read_back(rep, pm):
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(datetime.date(2026, 5, 11)))
    first = stored_previous_figures(JUNE)
    assert MetricsSnapshot.objects.get().key == "headline:v3:2026-05-02:2026-05-31:all"
    with CaptureQueriesContext(connection) as queries:
        again = stored_previous_figures(JUNE)
    assert again == first
    assert len(queries) == 1
    assert again["flag_rate"].display == "100\u202f%"


def test_a_rate_moves_in_points_as_the_page_rounds_it():
    up = trend(figure("kept_rate", 0.54, "percent"), figure("kept_rate", 0.50, "percent"), 30)
    assert up.text == "up 4 points on the previous 30 days"
    assert (up.arrow, up.tone) == ("▲", "better")
    one = trend(figure("flag_rate", 0.21, "percent"), figure("flag_rate", 0.2, "percent"), 7)
    assert one.text == "up 1 point on the previous 7 days"
    assert one.tone == "worse"  # more flags: more promises delivery could not keep
    # 54.4 % and 53.6 % both show as 54 %: level, not "up 1 point".
    level = trend(figure("flag_rate", 0.544, "percent"), figure("flag_rate", 0.536, "percent"), 30)
    assert level.text == "level with the previous 30 days"
    assert (level.arrow, level.tone) == ("▶", "neutral")


def test_days_and_counts_move_in_their_own_units():
    faster = trend(
        figure("review_turnaround_median_days", 1.04, "days"),
        figure("review_turnaround_median_days", 1.5, "days"),
        90,
    )
    assert faster.text == "down 0.5 days on the previous 90 days"
    assert (faster.arrow, faster.tone) == ("▼", "better")
    day = trend(
        figure("review_turnaround_median_days", 3.0, "days"),
        figure("review_turnaround_median_days", 2.0, "days"),
        90,
    )
    assert day.text == "up 1 day on the previous 90 days"
    breaches = trend(figure("sla_breaches", 5, "count"), figure("sla_breaches", 2, "count"), 1)
    assert breaches.text == "up 3 on the previous 1 day"
    assert breaches.tone == "worse"


def test_nothing_to_compare_when_either_period_measured_nothing():
    for now, before in ((0.5, None), (None, 0.5), (None, None)):
        found = trend(
            figure("kept_rate", now, "percent"), figure("kept_rate", before, "percent"), 30
        )
        assert found.text == "nothing to compare in the previous 30 days"
        assert (found.arrow, found.tone, found.direction) == ("\N{EN DASH}", "neutral", "")
    missing = trend(figure("kept_rate", 0.5, "percent"), None, 30)
    assert missing.direction == ""
