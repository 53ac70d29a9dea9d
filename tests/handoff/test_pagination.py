"""Lists count up to a cap: below it pages are exact, above it they page on without a total."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import Client
from handoff.web.pagination import MAX_PAGE, CappedPaginator
from tests.factories import ClientFactory, DealFactory

CAP = 5


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", CAP)


def clients(n: int):
    ClientFactory.create_batch(n)
    return Client.objects.order_by("pk")


@pytest.mark.django_db
def test_below_the_cap_it_pages_like_django(small_cap):
    paginator = CappedPaginator(clients(CAP), 2)
    assert (paginator.count, paginator.exact, paginator.num_pages) == (CAP, True, 3)
    assert paginator.count_label == "5"
    assert paginator.pages_label == "3"
    last = paginator.page(3)
    assert (last.start_index(), last.end_index(), last.has_next()) == (5, 5, False)
    assert paginator.get_page("x").number == 1
    assert paginator.get_page(99).number == 3
    with pytest.raises(EmptyPage):
        paginator.page(4)


@pytest.mark.django_db
def test_above_the_cap_it_says_more_and_pages_to_the_real_end(small_cap):
    rows = clients(CAP + 4)
    paginator = CappedPaginator(rows, 2)
    assert (paginator.count, paginator.exact) == (CAP + 1, False)
    assert paginator.count_label == "more than 5"
    assert paginator.pages_label == "more than 2"
    seen = []
    page = paginator.page(1)
    while True:
        seen += [c.pk for c in page]
        if not page.has_next():
            break
        page = paginator.page(page.next_page_number())
    assert seen == list(rows.values_list("pk", flat=True))
    assert (page.number, page.start_index(), page.end_index()) == (5, 9, 9)
    with pytest.raises(EmptyPage):
        paginator.page(6)
    assert paginator.get_page(6).number == 3  # past the end: the last page it can vouch for
    with pytest.raises(PageNotAnInteger):
        paginator.page("two")
    with pytest.raises(EmptyPage):
        paginator.page(MAX_PAGE + 1)  # no OFFSET beyond what the database can take


@pytest.mark.django_db
def test_the_count_reads_at_most_one_row_past_the_cap(small_cap):
    rows = clients(CAP + 4)
    with CaptureQueriesContext(connection) as queries:
        assert CappedPaginator(rows, 2).count == CAP + 1
    (count,) = queries.captured_queries
    assert f"LIMIT {CAP + 1}" in count["sql"]
    assert "ORDER BY" not in count["sql"]  # any rows will do for a count


@pytest.mark.django_db
def test_the_api_says_whether_its_count_is_exact(small_cap, manager, client_for):
    DealFactory.create_batch(CAP)
    http = client_for(manager)
    body = http.get("/api/v1/deals/?page_size=2").json()
    assert (body["count"], body["count_exact"]) == (CAP, True)
    DealFactory.create_batch(3)
    body = http.get("/api/v1/deals/?page_size=2").json()
    assert (body["count"], body["count_exact"]) == (CAP, False)
    ids, url = [], "/api/v1/deals/?page_size=2"
    while url:
        body = http.get(url).json()
        ids += [deal["id"] for deal in body["results"]]
        url = body["next"]
    assert len(ids) == len(set(ids)) == CAP + 3
    assert http.get("/api/v1/deals/?page_size=2&page=5").status_code == 404


@pytest.mark.django_db
def test_the_deal_list_says_more_than_the_cap(small_cap, manager, client_for):
    DealFactory.create_batch(CAP + 1)
    page = client_for(manager).get("/deals/").content.decode()
    assert "more than 5 deals" in page
