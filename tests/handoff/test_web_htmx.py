"""htmx_partial: a swap gets the partial, a history restore after a reload the whole page."""

import pytest
from django.urls import reverse

from tests.factories import DealFactory

SWAP = {"HTTP_HX_REQUEST": "true"}
RESTORE = {**SWAP, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


@pytest.mark.parametrize(
    ("url", "results"),
    [
        ("/deals/?q=fleet", '<div id="deal-results">'),
        ("/dashboard/?from=2026-02-01&to=2026-02-28", '<div id="dashboard-results">'),
    ],
)
def test_a_swap_gets_the_partial_and_a_history_restore_the_page(url, results, manager, client_for):
    DealFactory(owner=manager, title="Fleet tracking")
    http = client_for(manager)

    swapped = http.get(url, **SWAP).content.decode()
    assert swapped.lstrip().startswith(results)
    assert "<html" not in swapped

    restored = http.get(url, **RESTORE).content.decode()
    assert "<html" in restored
    assert results in restored


def test_the_deal_list_is_the_page_without_htmx(manager, client_for):
    page = client_for(manager).get(reverse("deals:list")).content.decode()
    assert "<html" in page
