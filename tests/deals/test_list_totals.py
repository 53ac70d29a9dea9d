"""The deal list's total line: the value of every listed deal per currency, on every page."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from deals import services
from deals.models import Deal, DealStatus
from deals.totals import CurrencyTotal, value_by_currency
from handoff.web.pagination import CappedPaginator
from tests.deals.builders import draft_deal
from tests.factories import ClientFactory, DealFactory

pytestmark = pytest.mark.django_db

URL = reverse("deals:list")


def total_line(response) -> str:
    found = re.search(r'<p class="muted list-total">(.*?)</p>', response.content.decode(), re.S)
    assert found, "no total line"
    return " ".join(strip_tags(found.group(1)).split())


def test_value_by_currency_sums_each_currency_in_one_query(rep, django_assert_num_queries):
    DealFactory(owner=rep, value=Decimal("1000000"), currency="EUR")
    DealFactory(owner=rep, value=Decimal("240000"), currency="EUR")
    DealFactory(owner=rep, value=Decimal("80000.50"), currency="USD")
    with django_assert_num_queries(1):
        totals = value_by_currency(Deal.objects.select_related("client").order_by("title"))
    assert totals == [
        CurrencyTotal("EUR", Decimal("1240000"), 2),
        CurrencyTotal("USD", Decimal("80000.50"), 1),
    ]
    assert value_by_currency(Deal.objects.none()) == []


def test_the_list_totals_every_page_per_currency(manager, rep, client_for):
    for _ in range(30):
        DealFactory(owner=rep, value=Decimal("40000"), currency="EUR")
    DealFactory(owner=rep, value=Decimal("80000"), currency="USD")
    DealFactory(owner=rep, value=Decimal("1250.50"), currency="GBP")
    response = client_for(manager).get(URL)
    assert len(response.context["page"].object_list) == 25
    assert total_line(response) == "€1,200,000 · US$80,000 · £1,250.50 in 32 deals"
    second = client_for(manager).get(URL, {"page": 2})
    assert total_line(second) == total_line(response)


def test_one_deal_in_one_currency(rep, client_for):
    DealFactory(owner=rep, value=Decimal("12000"), currency="EUR")
    assert total_line(client_for(rep).get(URL)) == "€12,000 in 1 deal"


def test_the_totals_follow_the_filters(rep, client_for):
    acme = ClientFactory(name="Acme Retail")
    DealFactory(owner=rep, client=acme, title="Kiosk", value=Decimal("30000"), currency="EUR")
    DealFactory(owner=rep, client=acme, title="Tills", value=Decimal("5000"), currency="USD")
    DealFactory(owner=rep, title="Warehouse", value=Decimal("70000"), currency="EUR")
    submitted = draft_deal(rep, title="Portal", value=Decimal("900"), currency="GBP")
    services.deal_submit(deal=submitted, actor=rep)
    http = client_for(rep)
    assert total_line(http.get(URL, {"q": "acme"})) == "€30,000 · US$5,000 in 2 deals"
    assert total_line(http.get(URL, {"status": DealStatus.IN_REVIEW})) == "£900 in 1 deal"
    assert total_line(http.get(URL, {"status": DealStatus.DRAFT})) == (
        "€100,000 · US$5,000 in 3 deals"
    )
    nothing = http.get(URL, {"q": "no such deal"})
    assert "list-total" not in nothing.content.decode()
    assert nothing.context["totals"] == []


def test_a_rep_totals_only_own_deals(rep, rep2, manager, client_for):
    DealFactory(owner=rep, value=Decimal("10000"), currency="EUR")
    DealFactory(owner=rep2, value=Decimal("99000"), currency="EUR")
    assert total_line(client_for(rep).get(URL)) == "€10,000 in 1 deal"
    assert total_line(client_for(manager).get(URL)) == "€109,000 in 2 deals"


def test_past_the_count_cap_nothing_is_added_up(rep, manager, client_for, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for _ in range(4):
        DealFactory(owner=rep, value=Decimal("1000"), currency="EUR")
    response = client_for(manager).get(URL)
    assert response.context["totals"] == []
    assert total_line(response) == "more than 3 deals: filter them to see their total value"
    assert total_line(client_for(manager).get(URL, {"q": "Deal"})).startswith("more than")
    DealFactory(owner=manager, title="Lone", value=Decimal("500"), currency="GBP")
    assert total_line(client_for(manager).get(URL, {"q": "Lone"})) == "£500 in 1 deal"


def _queries(http, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


def test_the_totals_cost_the_same_for_one_deal_or_many(
    rep, manager, client_for, django_assert_num_queries
):
    http = client_for(manager)
    DealFactory(owner=rep, currency="EUR")
    with_one = _queries(http, URL)
    for index in range(40):
        DealFactory(owner=rep, client=ClientFactory(), currency=("EUR", "USD", "GBP")[index % 3])
    with django_assert_num_queries(with_one):
        response = http.get(URL)
    assert [t.currency for t in response.context["totals"]] == ["EUR", "GBP", "USD"]
    assert sum(t.deals for t in response.context["totals"]) == 41
