"""The deal list's one filter: what the page and the API filter by, and how the page draws it."""

import pytest
from django.http import QueryDict

from deals.filters import SORTS, DealFilter, deals_matching
from deals.forms import DealFilterForm
from deals.selectors import deal_list, deals_visible_to
from tests.factories import ClientFactory, DealFactory

pytestmark = pytest.mark.django_db


def titles(user, query: str) -> list[str]:
    return [deal.title for deal in deal_list(user=user, filters=QueryDict(query))]


def test_deals_matching_finds_by_title_or_client_name_within_the_deals_given(rep, rep2):
    acme = ClientFactory(name="ACME Logistics")
    by_title = DealFactory(owner=rep, title="Warehouse rollout")
    by_client = DealFactory(owner=rep, title="Portal", client=acme)
    by_description = DealFactory(owner=rep, title="Billing", description="warehouse scanners")
    DealFactory(owner=rep2, title="Another warehouse", client=acme)
    mine = deals_visible_to(rep)

    def found(text, **options):
        return set(deals_matching(mine, text, **options))

    assert found("WAREHOUSE") == {by_title}
    assert found("acme log") == {by_client}
    assert found("warehouse", in_description=True) == {by_title, by_description}
    assert found("  ") == {by_title, by_client, by_description}
    assert found("100%") == set()
    assert found("nothing like it") == set()


def test_the_page_searches_title_and_client_the_api_the_description_too(rep):
    DealFactory(owner=rep, title="Billing", description="warehouse scanners")
    DealFactory(owner=rep, title="Warehouse rollout")

    assert titles(rep, "q=warehouse") == ["Warehouse rollout"]
    assert sorted(titles(rep, "search=warehouse")) == ["Billing", "Warehouse rollout"]


def test_any_status_is_a_blank_choice_not_an_error(rep):
    DealFactory(owner=rep, title="Draft")

    assert DealFilter(QueryDict("status="), deals_visible_to(rep)).is_valid()
    assert DealFilterForm(QueryDict("status=&q=")).errors == {}
    assert titles(rep, "status=") == ["Draft"]
    assert titles(rep, "status=lost") == []


def test_the_list_is_scoped_before_it_is_filtered(rep, rep2):
    DealFactory(owner=rep2, title="Theirs")

    assert titles(rep, f"owner={rep2.pk}") == []


def test_sorts_order_by_their_index_with_a_tie_breaker(rep):
    deals = deal_list(user=rep, filters=QueryDict("sort=value"))
    assert deals.query.order_by == SORTS["value"][1]
    default = deal_list(user=rep, filters=QueryDict(""))
    assert list(default.query.order_by or default.model._meta.ordering) == list(SORTS["updated"][1])


def test_the_page_form_draws_the_filters_fields_only():
    form = DealFilterForm()
    assert set(form.fields) <= set(DealFilter.base_filters)
    assert [f.label for f in form] == ["Search", "Status", "Client", "Owner", "Sort by"]
    assert "owner" not in DealFilterForm(show_owner=False).fields
    assert not DealFilterForm(QueryDict("q=%20%20")).narrows()
    assert DealFilterForm(QueryDict("status=draft")).narrows()
