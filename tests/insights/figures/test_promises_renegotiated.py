"""Promises kept as sold and as renegotiated: the dashboard's figure, the scorecard's two rows."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.figures.promises import promise_figures, renegotiated_figure
from insights.figures.scorecards import scorecard
from insights.figures.window import Window
from projects import services, services_changes
from projects.models import Deliverable
from tests.projects.builders import win

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _deliver_late_but_renegotiated(rep, pm):
    """Two promises: one delivered a week after its sold date, on a date agreed after the win;
    one withdrawn by an approved change."""
    project = win(rep, pm, start=TODAY() - datetime.timedelta(days=30))
    services.project_accept_handoff(project=project, actor=pm)
    warehouse, dashboards = project.deliverables.order_by("promised_date")
    change = services_changes.change_request_raise(
        deliverable=warehouse,
        actor=pm,
        reason="Data came late",
        proposed_date=warehouse.promised_date + datetime.timedelta(days=7),
    )
    services_changes.change_request_approve(change=change, actor=rep)
    dropped = services_changes.change_request_raise(
        deliverable=dashboards, actor=rep, reason="Client dropped it", descope=True
    )
    services_changes.change_request_approve(change=dropped, actor=pm)
    # Delivered within the renegotiated week: late as sold, kept as renegotiated.
    Deliverable.objects.filter(pk=warehouse.pk).update(
        status="delivered",
        delivered_on=warehouse.promised_date + datetime.timedelta(days=5),
        slip_days=5,
    )
    return project


def window():
    return Window(TODAY() - datetime.timedelta(days=1), TODAY() + datetime.timedelta(days=400))


def test_as_sold_counts_the_late_and_the_withdrawn_as_not_kept(rep, pm):
    _deliver_late_but_renegotiated(rep, pm)
    kept, _slip = promise_figures(window())
    assert kept.key == "kept_rate" and kept.label == "Promises kept as sold"
    assert kept.value == 0.0 and kept.detail == "0 of 2 resolved promises"
    again = renegotiated_figure(window())
    assert again.value == 1.0
    assert again.detail == "1 of 1 resolved promises; 2 changed after the win"


def test_a_reps_scorecard_separates_them(rep, pm):
    _deliver_late_but_renegotiated(rep, pm)
    card = scorecard(rep, window().start, window().end)
    rows = {row["own"].key: row["own"] for row in card["rows"]}
    assert rows["kept_rate"].value == 0.0
    assert rows["kept_rate_renegotiated"].value == 1.0


def test_the_scorecard_page_shows_both(rep, pm, client_for):
    _deliver_late_but_renegotiated(rep, pm)
    page = client_for(rep).get(
        reverse("scorecard", args=[rep.username]),
        {"from": window().start.isoformat(), "to": window().end.isoformat()},
    )
    html = page.content.decode()
    assert 'data-figure="kept_rate"' in html and 'data-figure="kept_rate_renegotiated"' in html
    assert "Promises kept as sold" in html and "Promises kept as renegotiated" in html
