"""The dashboard's open pipeline line: its value per currency under the headline figures."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from deals.models import Deal
from handoff.models import MetricsSnapshot, TeamKind
from tests.factories import TeamFactory
from tests.insights.crafted import APPROVED, make_deal, review

pytestmark = pytest.mark.django_db


def pipeline_line(page: str) -> str:
    found = re.search(r'<p class="pipeline" data-figure="open_pipeline">(.*?)</p>', page, re.S)
    assert found, "no pipeline line"
    return " ".join(strip_tags(found.group(1)).split())


def open_deal(owner, pm, value: str, currency: str, *, signed: bool = False) -> Deal:
    deal = make_deal(owner)
    Deal.objects.filter(pk=deal.pk).update(value=Decimal(value), currency=currency)
    review(deal, pm, [APPROVED], decide=signed)
    return deal


def test_the_dashboard_shows_the_open_pipeline_per_currency(rep, pm, manager, client_for):
    open_deal(rep, pm, "1000000", "EUR")
    open_deal(rep, pm, "240000", "EUR", signed=True)
    open_deal(rep, pm, "80000", "USD", signed=True)
    make_deal(rep)  # a draft is not in it
    page = client_for(manager).get("/dashboard/").content.decode()
    assert pipeline_line(page) == (
        "Open pipeline, in review or signed off right now: €1,240,000 · US$80,000 in 3 deals. "
        "See the deals of the open pipeline"
    )
    assert 'href="/deals/?status=in_review&amp;status=signed_off"' in page


def test_a_team_sees_its_own_pipeline(rep, rep2, pm, manager, client_for):
    open_deal(rep, pm, "30000", "EUR")
    open_deal(rep2, pm, "50000", "GBP")
    north = TeamFactory(name="North", kind=TeamKind.SALES)
    north.members.add(rep2)
    page = client_for(manager).get(f"/dashboard/?team={north.pk}").content.decode()
    assert "£50,000 in 1 deal." in pipeline_line(page)
    assert "€" not in pipeline_line(page)


def test_no_open_deal_says_so(rep, manager, client_for):
    make_deal(rep)
    page = client_for(manager).get("/dashboard/").content.decode()
    assert pipeline_line(page) == "Open pipeline, in review or signed off right now: no deal."


def test_the_pipeline_costs_the_same_for_one_open_deal_or_many(rep, pm, manager, client_for):
    http = client_for(manager)

    def count() -> int:
        MetricsSnapshot.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            assert http.get("/dashboard/").status_code == 200
        return len(queries)

    open_deal(rep, pm, "1000", "EUR")
    http.get("/dashboard/")
    with_one = count()
    for index in range(6):
        open_deal(rep, pm, "1000", ("EUR", "USD", "GBP")[index % 3], signed=bool(index % 2))
    http.get("/dashboard/")
    assert count() == with_one


def test_the_pipeline_exports_as_csv_and_is_no_panel(rep, pm, manager, client_for):
    open_deal(rep, pm, "1250.50", "GBP")
    http = client_for(manager)
    body = http.get("/dashboard/export/open-pipeline.csv").content.decode("utf-8-sig")
    assert body.splitlines() == ["Currency,Value,Deals", "GBP,1250.5,1"]
    assert 'data-panel="open-pipeline"' not in http.get("/dashboard/").content.decode()
