"""The dashboard page as laid out: headline figures with their trend, every figure behind a
toggle, charts with their data tables, the capacity heat map, and a cost that does not grow."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateformat import format as date_format

from deals.models import VerdictKind
from handoff.models import MetricsSnapshot, Role, TeamKind
from insights.figures.results import PAGE_ROWS
from projects import capacity as capacity_math
from tests.factories import TeamFactory, UserFactory
from tests.insights.crafted import at, make_deal, review, set_clock
from tests.projects.builders import win

JUNE = "/dashboard/?from=2026-06-01&to=2026-06-30"

pytestmark = pytest.mark.django_db


def section(page: str, labelledby: str) -> str:
    """The HTML of the section labelled by that heading id."""
    found = re.search(rf'<section aria-labelledby="{labelledby}".*?</section>', page, re.S)
    assert found, labelledby
    return found.group()


def test_a_headline_figure_says_how_it_moved_on_the_previous_period(rep, pm, manager, client_for):
    set_clock(review(make_deal(rep), pm, [VerdictKind.APPROVED]), at(datetime.date(2026, 5, 12)))
    set_clock(review(make_deal(rep), pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 6, 2)))
    page = client_for(manager).get(JUNE).content.decode()
    headline = section(page, "figures-heading")
    assert "Trends against the previous 30 days, 2 May to 31 May 2026." in headline
    flag = re.search(
        r'<article class="figure" data-figure="flag_rate">.*?</article>', headline, re.S
    )
    card = flag.group()
    assert '<span class="count">100\u202f%</span>' in card
    assert 'class="trend trend-worse" data-trend="up"' in card
    assert "up 100 points on the previous 30 days" in card
    assert '<span class="visually-hidden">, worse</span>' in card
    first_pass = re.search(r'data-figure="first_pass_approval_rate">.*?</article>', headline, re.S)
    assert "down 100 points on the previous 30 days" in first_pass.group()
    in_review = re.search(r'data-figure="deals_in_review">.*?</article>', headline, re.S)
    assert "right now, whatever the range" in in_review.group()


def test_every_figure_is_behind_the_toggle_with_how_it_is_computed(rep, pm, manager, client_for):
    response = client_for(manager).get(JUNE)
    page = response.content.decode()
    toggle = re.search(r'<details class="all-figures">.*?</details>', page, re.S).group()
    figures = response.context["figures"]
    assert f"All {len(figures)} figures and how each is computed" in toggle
    for figure in figures:
        assert f'data-figure-row="{figure.key}"' in toggle
    assert "/dashboard/export/figures.csv?from=2026-06-01&amp;to=2026-06-30" in toggle


def test_a_chart_has_its_data_behind_a_toggle_and_two_rows_are_just_a_table(
    pm, manager, client_for
):
    reps = [UserFactory(username=f"seller{i}", role=Role.SALES) for i in range(3)]
    for i, seller in enumerate(reps):
        verdict = VerdictKind.FLAGGED if i == 0 else VerdictKind.APPROVED
        set_clock(review(make_deal(seller), pm, [verdict]), at(datetime.date(2026, 6, 2)))
    page = client_for(manager).get(JUNE).content.decode()
    by_rep = section(page, "table-flag-rate-by-rep")
    assert 'data-chart="chart-flag-rate-by-rep"' in by_rep
    data = re.search(r'<details class="data-table">.*?</details>', by_rep, re.S).group()
    assert 'Data table<span class="visually-hidden"> of flag rate by rep</span>' in data
    assert data.count('<th scope="row">') == 3
    # Three reps but two directions of feedback: that one is a table, shown as it is.
    feedback = section(page, "table-feedback")
    assert "<canvas" not in feedback and '<details class="data-table">' not in feedback
    assert "To sales" in feedback and "How it is computed" in feedback


def test_the_heat_map_shows_each_pm_for_twelve_weeks_with_dated_labels(
    pm, pm2, manager, client_for
):
    delivery = TeamFactory(name="Delivery North", kind=TeamKind.DELIVERY)
    delivery.members.add(pm2)
    http = client_for(manager)
    heat = section(http.get("/dashboard/").content.decode(), "heat-map-heading")
    weeks = capacity_math.next_weeks(timezone.localdate(), 12)
    labels = re.findall(r'<time datetime="([\d-]+)">([^<]+)</time>', heat)
    assert labels == [(w.isoformat(), date_format(w, "j M")) for w in weeks]
    assert f'<th scope="row">{pm.display_name}</th>' in heat
    assert f'<th scope="row">{pm2.display_name}</th>' in heat
    assert heat.count('<td class="heat-0">') == 24  # nothing planned yet: 12 idle weeks each
    assert 'tabindex="0"' in heat  # its own scroll box, reachable from the keyboard
    team = section(http.get(f"/dashboard/?team={delivery.pk}").content.decode(), "heat-map-heading")
    assert pm2.display_name in team and pm.display_name not in team


def test_among_many_pms_the_heat_map_shows_the_fullest_and_says_how_many_it_left_out(
    rep, pm, manager, client_for
):
    win(rep, pm)  # pm alone has work planned; the others, named before pm, have none
    idle = [
        UserFactory(username=f"idle{i:02}", first_name=f"Aaron{i:02}", role=Role.PM)
        for i in range(PAGE_ROWS)
    ]
    heat = section(client_for(manager).get("/dashboard/").content.decode(), "heat-map-heading")
    names = re.findall(r'<th scope="row">([^<]+)</th>', heat)
    assert len(names) == PAGE_ROWS
    assert names[0] == pm.display_name
    assert names[1:] == [user.display_name for user in idle[: PAGE_ROWS - 1]]
    assert f"The {PAGE_ROWS} project managers with the fullest week, of {PAGE_ROWS + 1}" in heat
    assert 'href="/projects/capacity/">Team capacity</a> has them all' in heat


def test_the_heat_map_costs_the_same_for_one_pm_or_many(pm, manager, client_for):
    http = client_for(manager)

    def count() -> int:
        MetricsSnapshot.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            assert http.get("/dashboard/").status_code == 200
        return len(queries)

    http.get("/dashboard/")
    with_one = count()
    for i in range(6):
        UserFactory(username=f"delivery{i}", role=Role.PM)
    http.get("/dashboard/")
    assert count() == with_one
