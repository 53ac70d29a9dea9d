"""The dashboard tracks the suggested dates: how often they held, and how often promises made
earlier than the suggestion were missed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import Commitment
from insights.figures.calibration import calibration_figures
from insights.figures.window import Window
from projects.models import Deliverable, DeliverableStatus, Project
from tests.deals.builders import draft_deal
from tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db
PROMISED = datetime.date(2026, 6, 10)
JUNE = Window(datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))


def resolved(rep, pm, *, suggested, promised=PROMISED, late_by=0, taken=False, missed=False):
    deal = draft_deal(rep, commitments=0)
    commitment = CommitmentFactory(deal=deal, promised_date=promised)
    Commitment.objects.filter(pk=commitment.pk).update(
        suggested_date=suggested, suggestion_taken=taken
    )
    project = Project.objects.create(deal=deal, pm=pm, start_date=timezone.localdate())
    delivered = promised + datetime.timedelta(days=late_by)
    Deliverable.objects.create(
        project=project,
        commitment=commitment,
        kind=commitment.kind,
        summary="x",
        promised_date=promised,
        effort_days=Decimal("3"),
        status=DeliverableStatus.MISSED if missed else DeliverableStatus.DELIVERED,
        delivered_on=None if missed else delivered,
        slip_days=late_by,
    )


def test_held_and_missed_against_the_suggestion(rep, pm, django_assert_num_queries):
    later = PROMISED + datetime.timedelta(days=10)
    resolved(rep, pm, suggested=PROMISED, taken=True)  # took it, on time: held
    resolved(rep, pm, suggested=PROMISED, late_by=3, taken=True)  # took it, late: not held
    resolved(rep, pm, suggested=later, late_by=5)  # earlier than suggested, late: missed, held
    resolved(rep, pm, suggested=later)  # earlier than suggested, kept: held
    resolved(rep, pm, suggested=later, missed=True)  # missed outright
    resolved(rep, pm, suggested=None)  # no suggestion recorded: not counted
    with django_assert_num_queries(1):
        held, missed = calibration_figures(JUNE)
    assert held.key == "suggestion_held_rate" and held.value == 0.6
    assert held.detail.startswith("3 of 5") and "2 took it" in held.detail
    assert missed.key == "against_suggestion_missed_rate"
    assert missed.value == round(2 / 3, 4) and missed.detail.startswith("2 of 3")


def test_no_suggestion_yet_is_none(rep, pm):
    held, missed = calibration_figures(JUNE)
    assert held.value is None and missed.value is None


def test_the_dashboard_shows_them(manager, client_for):
    html = client_for(manager).get("/dashboard/").content.decode()
    assert 'data-figure="calibration"' in html
    assert "Suggested dates held" in html
