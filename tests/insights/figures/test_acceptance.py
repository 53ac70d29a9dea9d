"""Customer acceptance figures: accepted out of decided, the average rating, by window and team;
on the dashboard, in the alignment API and in the figures CSV."""

import datetime

import pytest
from django.utils import timezone

from handoff.models import Team, TeamKind
from insights.figures.acceptance import acceptance_figures
from insights.figures.window import Window, window_for
from projects import acceptance
from projects.acceptance_models import AcceptanceRequest
from tests.projects.acceptance_builders import send
from tests.projects.builders import win

pytestmark = pytest.mark.django_db


def _decided(rep, pm, answers):
    """One won project per answer, its first deliverable decided by the customer."""
    for i, (decision, rating) in enumerate(answers):
        project = win(rep, pm, title=f"Rollout {i}")
        _, token = send(project.deliverables.first(), pm, email=f"c{i}@client.example")
        acceptance.acceptance_decide(
            token=token,
            decision=decision,
            rating=rating,
            comment="Not yet" * (decision != "accepted"),
        )


def _today_window():
    today = timezone.localdate()
    return Window(today - datetime.timedelta(days=29), today)


def test_rate_and_rating_over_the_decided_requests(rep, pm):
    _decided(rep, pm, [("accepted", 5), ("accepted", 4), ("declined", 2)])
    pending = win(rep, pm, title="Still waiting")
    send(pending.deliverables.first(), pm, email="wait@client.example")
    rate, rating = acceptance_figures(_today_window())
    assert rate.key == "acceptance_rate" and rate.value == 0.6667 and rate.unit == "percent"
    assert rate.detail == "2 of 3 decided deliverables"
    assert rating.key == "customer_satisfaction" and rating.value == 3.67
    assert rating.detail == "out of 5, from 3 ratings"


def test_nothing_decided_is_no_figure_not_zero(rep, pm):
    rate, rating = acceptance_figures(_today_window())
    assert rate.value is None and rating.value is None
    assert rate.display == "—"


def test_the_range_and_the_team_limit_what_counts(rep, rep2, pm, pm2):
    _decided(rep, pm, [("accepted", 5)])
    _decided(rep2, pm2, [("declined", 1)])
    yesterday = timezone.now() - datetime.timedelta(days=40)
    AcceptanceRequest.objects.filter(rating=1).update(decided_at=yesterday)
    rate, _ = acceptance_figures(_today_window())
    assert rate.detail == "1 of 1 decided deliverables"
    team = Team.objects.create(name="Delivery two", kind=TeamKind.DELIVERY)
    team.members.add(pm2)
    today = timezone.localdate()
    w = window_for(today - datetime.timedelta(days=60), today, team)
    rate, rating = acceptance_figures(w)
    assert rate.value == 0.0 and rating.value == 1.0


def test_the_dashboard_api_and_csv_carry_them(rep, pm, manager, client_for):
    _decided(rep, pm, [("accepted", 4), ("declined", 2)])
    http = client_for(manager)
    page = http.get("/dashboard/").content.decode()
    assert 'data-figure="acceptance"' in page
    assert "50\u202f%" in page.split('data-figure="acceptance"')[1].split("</p>")[0]
    assert 'data-figure-row="acceptance_rate"' in page
    assert 'data-figure-row="customer_satisfaction"' in page
    body = http.get("/api/v1/metrics/alignment/").json()
    figures = {f["key"]: f for f in body["figures"]}
    assert figures["acceptance_rate"]["value"] == 0.5
    assert figures["customer_satisfaction"]["value"] == 3.0
    csv = http.get("/dashboard/export/figures.csv").content.decode()
    assert "Accepted by customers,50.0,%" in csv
    assert "Customer rating,3.0" in csv
