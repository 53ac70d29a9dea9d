"""The deal form's commitment rows: at most a deal's cap, and a clear error past it."""

from django.urls import reverse

from deals.forms import commitment_formset
from deals.models import Deal
from tests.deals.test_views import commitment_row, deal_form_data
from tests.factories import ClientFactory


def test_the_formset_refuses_more_rows_than_the_cap_and_counts_removed_ones_out(settings, db):
    settings.MAX_COMMITMENTS_PER_DEAL = 2
    rows = [commitment_row(f"Promise {n}") for n in range(3)]
    data = deal_form_data(ClientFactory(), rows=rows)

    formset = commitment_formset(data)
    assert not formset.is_valid()
    assert formset.non_form_errors() == [
        "A deal holds at most 2 commitments: remove some before saving."
    ]

    data["commitments-2-DELETE"] = "on"
    assert commitment_formset(data).is_valid()


def test_the_deal_form_shows_the_cap_and_keeps_what_was_typed(rep, client_for):
    rows = [commitment_row(f"Promise number {n}") for n in range(101)]
    data = deal_form_data(ClientFactory(), rows=rows)

    response = client_for(rep).post(reverse("deals:create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Deal.objects.exists()
    assert "A deal holds at most 100 commitments: remove some before saving." in html
    assert 'value="Promise number 100"' in html
    assert 'value="Warehouse rollout"' in html


def test_the_deal_form_saves_a_deal_with_as_many_commitments_as_the_cap(rep, client_for):
    rows = [commitment_row(f"Promise number {n}") for n in range(100)]
    data = deal_form_data(ClientFactory(), rows=rows)

    response = client_for(rep).post(reverse("deals:create"), data)

    assert response.status_code == 302
    assert Deal.objects.get().commitments.count() == 100
