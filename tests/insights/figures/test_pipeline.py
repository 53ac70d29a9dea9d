"""The open pipeline on crafted data: deals in review or signed off now, per currency, by team."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from deals import services
from deals.models import Deal
from deals.totals import CurrencyTotal
from handoff.models import TeamKind
from insights.figures.alignment import stored_alignment
from insights.figures.pipeline import PIPELINE_TABLE, open_pipeline, pipeline_from
from insights.figures.window import window_for
from tests.factories import TeamFactory
from tests.insights.crafted import APPROVED, FLAGGED, JUNE, make_deal, review

pytestmark = pytest.mark.django_db


def priced(deal: Deal, value: str, currency: str) -> Deal:
    Deal.objects.filter(pk=deal.pk).update(value=Decimal(value), currency=currency)
    return deal


def test_the_pipeline_is_the_deals_in_review_or_signed_off_per_currency(
    rep, rep2, pm, django_assert_num_queries
):
    review(priced(make_deal(rep), "1000000", "EUR"), pm, [APPROVED], decide=False)  # in review
    review(priced(make_deal(rep2), "240000", "EUR"), pm, [APPROVED])  # signed off
    review(priced(make_deal(rep), "80000", "USD"), pm, [APPROVED])  # signed off
    priced(make_deal(rep), "5000000", "EUR")  # a draft is not in the pipeline
    review(priced(make_deal(rep), "7000", "GBP"), pm, [FLAGGED])  # changes requested: nor this
    won = review(priced(make_deal(rep), "9000", "GBP"), pm, [APPROVED]).deal
    services.deal_win(deal=won, actor=rep)  # nor a won deal
    with django_assert_num_queries(1):
        pipeline = open_pipeline(JUNE)
    assert pipeline.totals == [
        CurrencyTotal("EUR", Decimal("1240000"), 2),
        CurrencyTotal("USD", Decimal("80000"), 1),
    ]
    assert pipeline.deals == 3
    query = parse_qs(urlsplit(pipeline.url).query)
    assert query == {"status": ["in_review", "signed_off"]}


def test_a_sales_teams_pipeline_is_its_reps_deals(rep, rep2, pm):
    review(priced(make_deal(rep), "30000", "EUR"), pm, [APPROVED], decide=False)
    review(priced(make_deal(rep2), "50000", "EUR"), pm, [APPROVED])
    north = TeamFactory(name="North", kind=TeamKind.SALES)
    north.members.add(rep)
    pipeline = open_pipeline(window_for(JUNE.start, JUNE.end, north))
    assert pipeline.totals == [CurrencyTotal("EUR", Decimal("30000"), 1)]
    assert parse_qs(urlsplit(pipeline.url).query)["owner"] == [str(rep.pk)]


def test_a_delivery_teams_pipeline_is_what_its_pms_review(rep, pm, pm2):
    review(priced(make_deal(rep), "30000", "EUR"), pm, [APPROVED], decide=False)
    review(priced(make_deal(rep), "50000", "GBP"), pm2, [APPROVED])
    south = TeamFactory(name="South", kind=TeamKind.DELIVERY)
    south.members.add(pm2)
    pipeline = open_pipeline(window_for(JUNE.start, JUNE.end, south))
    assert pipeline.totals == [CurrencyTotal("GBP", Decimal("50000"), 1)]


def test_nothing_open_is_an_empty_pipeline(rep):
    make_deal(rep)
    pipeline = open_pipeline(JUNE)
    assert pipeline.totals == [] and pipeline.deals == 0


def test_the_pipeline_is_stored_with_the_figures_and_reads_back_to_the_cent(rep, pm):
    review(priced(make_deal(rep), "1250.55", "EUR"), pm, [APPROVED], decide=False)
    computed = stored_alignment(JUNE)
    again = stored_alignment(JUNE)  # read back from the stored result
    assert computed.computed_at == again.computed_at
    table = again.table(PIPELINE_TABLE)
    assert table.rows == [{"currency": "EUR", "value": Decimal("1250.55"), "deals": 1}]
    pipeline = pipeline_from(table, JUNE)
    assert pipeline.totals == [CurrencyTotal("EUR", Decimal("1250.55"), 1)]
    assert pipeline.url == open_pipeline(JUNE).url
