"""handoff.web.lists: sort keys are a whitelist, headers turn a sort and keep the list's filters."""

import pytest
from django.http import QueryDict

from handoff.web.lists import (
    ASCENDING,
    DESCENDING,
    SEARCH_MAX_LENGTH,
    Column,
    ListSearchForm,
    Sorting,
)

SORTING = Sorting(
    Column("title", "Title", ("title", "id")),
    Column("due", "Due", ("-due_at", "-id"), first=DESCENDING),
    default="due",
)


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", ("-due_at", "-id")),
        ("sort=title", ("title", "id")),
        ("sort=-title", ("-title", "-id")),
        ("sort=-due", ("due_at", "id")),
        ("sort=owner__password", ("-due_at", "-id")),
        ("sort=-", ("-due_at", "-id")),
        ("sort=--title", ("-due_at", "-id")),
        ("sort=title&sort=bogus", ("-due_at", "-id")),
    ],
)
def test_only_listed_sorts_are_taken_anything_else_is_the_default(query, order):
    assert SORTING.order_by(QueryDict(query)) == order


def test_a_header_sorts_by_its_column_then_turns_it_around():
    headers = SORTING.headers(QueryDict(""))
    assert headers["title"].url == "?sort=title"
    assert headers["title"].aria_sort == ""
    assert headers["due"].aria_sort == DESCENDING  # the default sort is shown on its column
    assert headers["due"].url == "?sort=-due"

    turned = SORTING.headers(QueryDict("sort=title"))
    assert turned["title"].aria_sort == ASCENDING
    assert turned["title"].arrow == "▲"
    assert turned["title"].url == "?sort=-title"
    back = SORTING.headers(QueryDict("sort=-title"))
    assert back["title"].aria_sort == DESCENDING
    assert back["title"].url == "?sort=title"


def test_header_links_keep_the_filters_and_start_again_at_page_one():
    headers = SORTING.headers(QueryDict("status=draft&q=acme&page=3&sort=title"))
    assert headers["due"].url == "?status=draft&q=acme&sort=due"
    assert "page" not in headers["title"].url


def test_a_list_must_name_a_default_it_knows():
    with pytest.raises(AssertionError):
        Sorting(Column("title", "Title", ("title",)), default="nope")


def test_the_search_box_trims_and_keeps_the_other_parameters():
    form = ListSearchForm(QueryDict("q=%20acme%20&sort=-due&tab=sent&page=2"), label="Search")
    assert form.text == "acme"
    assert form.kept == [("sort", "-due"), ("tab", "sent")]
    assert form.clear_url == "?sort=-due&tab=sent"


def test_the_search_box_refuses_an_overlong_search_in_words():
    form = ListSearchForm(QueryDict(f"q={'a' * (SEARCH_MAX_LENGTH + 1)}"), label="Search")
    assert form.text == ""
    assert form.errors["q"] == [f"Search for at most {SEARCH_MAX_LENGTH} characters."]


def test_without_a_search_the_box_is_unbound_and_shows_no_error():
    form = ListSearchForm(QueryDict("sort=title"), label="Search notes")
    assert not form.is_bound
    assert form.text == ""
    assert form["q"].label == "Search notes"
