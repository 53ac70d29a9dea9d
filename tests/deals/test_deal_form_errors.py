"""The deal form's errors: in words at the field, summed up at the top with links, and after a
conflict the heading names the deal as stored while the form keeps what was typed."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from deals import services
from deals.forms import CommitmentForm, RuleForm
from deals.forms_rules import ReviewRuleForm
from deals.models import Client, Commitment, Deal
from tests.deals.builders import draft_deal

pytestmark = pytest.mark.django_db

NEGATIVE = "Effort cannot be negative."


def management(total: int, initial: int = 0) -> dict[str, str]:
    return {
        "commitments-TOTAL_FORMS": str(total),
        "commitments-INITIAL_FORMS": str(initial),
        "commitments-MIN_NUM_FORMS": "0",
        "commitments-MAX_NUM_FORMS": "1000",
    }


def new_deal_data(client: Client, **row) -> dict[str, str]:
    return {
        "title": "Portal",
        "client": str(client.pk),
        "value": "1000",
        "currency": "EUR",
        "expected_close_date": "2027-01-10",
        **management(1),
        "commitments-0-kind": "scope",
        "commitments-0-summary": "Single sign-on",
        "commitments-0-promised_date": "2027-02-01",
        "commitments-0-effort_days": "3",
        **{f"commitments-0-{k}": v for k, v in row.items()},
    }


def edit_data(deal: Deal, **changes) -> dict[str, str]:
    data = {
        "title": deal.title,
        "client": str(deal.client_id),
        "value": str(deal.value),
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date.isoformat(),
        "expected_version": str(deal.version),
        **management(deal.commitments.count(), deal.commitments.count()),
    }
    for n, commitment in enumerate(deal.commitments.order_by("id")):
        data.update(
            {
                f"commitments-{n}-id": str(commitment.pk),
                f"commitments-{n}-deal": str(deal.pk),
                f"commitments-{n}-kind": commitment.kind,
                f"commitments-{n}-summary": commitment.summary,
                f"commitments-{n}-promised_date": commitment.promised_date.isoformat(),
                f"commitments-{n}-effort_days": str(commitment.effort_days),
            }
        )
    data.update(changes)
    return data


def summary_of(html: str) -> str:
    found = re.search(r"<div[^>]*data-error-summary[^>]*>(.*?)</div>", html, re.S)
    assert found, "no error summary"
    return found.group(1)


# Negative effort: a field error in words, never the constraint's name


def test_a_negative_effort_on_a_new_deal_is_a_field_error(client_for, rep):
    client = Client.objects.create(name="Northwind")

    response = client_for(rep).post(
        reverse("deals:create"), new_deal_data(client, effort_days="-2")
    )

    assert response.status_code == 200
    row = response.context["formset"].forms[0]
    assert row.errors["effort_days"] == [NEGATIVE]
    assert not response.context["form"].non_field_errors()
    assert "onstraint" not in response.content.decode()
    assert not Deal.objects.exists()


def test_a_negative_effort_on_an_edit_is_a_field_error(client_for, rep):
    deal = draft_deal(rep, commitments=1)

    response = client_for(rep).post(
        reverse("deals:edit", args=[deal.pk]),
        edit_data(deal, **{"commitments-0-effort_days": "-0.5"}),
    )

    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["effort_days"] == [NEGATIVE]
    assert "onstraint" not in response.content.decode()
    assert Commitment.objects.get(deal=deal).effort_days == Decimal("5.0")


def test_every_form_that_takes_an_effort_says_so_in_words():
    commitment = CommitmentForm(
        {"kind": "scope", "summary": "x", "promised_date": "2027-01-01", "effort_days": "-1"}
    )
    ruling = RuleForm({"verdict": "flagged", "reason": "x", "counter_effort_days": "-1"})
    rule = ReviewRuleForm({"name": "Big ones", "min_effort_days": "-1"})

    assert commitment.errors["effort_days"] == [NEGATIVE]
    assert ruling.errors["counter_effort_days"] == [NEGATIVE]
    assert rule.errors["min_effort_days"] == [NEGATIVE]


# The summary at the top


def test_a_form_with_errors_sums_them_up_with_links_to_the_fields(client_for, rep):
    client = Client.objects.create(name="Northwind")
    data = new_deal_data(client, effort_days="-2")
    data["title"] = ""

    response = client_for(rep).post(reverse("deals:create"), data)

    summary = summary_of(response.content.decode())
    assert '<a href="#id_title">Title: This field is required.</a>' in summary
    assert (
        '<a href="#id_commitments-0-effort_days">Commitment 1, Effort (days): '
        "Effort cannot be negative.</a>"
    ) in summary
    assert 'id="id_commitments-0-effort_days"' in response.content.decode()


def test_a_form_without_errors_has_no_summary(client_for, rep):
    body = client_for(rep).get(reverse("deals:create")).content.decode()

    assert "data-error-summary" not in body


def test_the_note_form_sums_up_its_errors_too(client_for, rep):
    response = client_for(rep).post(reverse("feedback:note_new"), {"direction": "to_delivery"})

    summary = summary_of(response.content.decode())
    assert '<a href="#id_body">Note: This field is required.</a>' in summary
    assert '<a href="#id_topic">Topic: This field is required.</a>' in summary


def test_a_choice_of_radios_links_to_its_first_radio(client_for, rep):
    response = client_for(rep).post(reverse("feedback:preferences"), {"digest_frequency": "hourly"})

    assert '<a href="#id_digest_frequency_0">Digest:' in summary_of(response.content.decode())


# A conflicting edit


def test_after_a_conflict_the_heading_names_the_deal_as_stored(client_for, rep):
    deal = draft_deal(rep, commitments=1, title="Loyalty platform")
    stale = edit_data(deal, title="My unsaved title")
    services.deal_update(deal=deal, actor=rep, data={"title": "Loyalty platform v2"})

    response = client_for(rep).post(reverse("deals:edit", args=[deal.pk]), stale)

    body = response.content.decode()
    heading = re.search(r"<h1>(.*?)</h1>", body, re.S).group(1)
    assert heading.strip() == "Edit Loyalty platform v2"
    assert "<title>Edit Loyalty platform v2" in body
    assert 'value="My unsaved title"' in body
    assert "data-error-summary" in body
    assert Deal.objects.get(pk=deal.pk).title == "Loyalty platform v2"


def test_after_a_field_error_the_heading_keeps_the_stored_title_too(client_for, rep):
    deal = draft_deal(rep, commitments=1, title="Loyalty platform")
    data = edit_data(deal, title="Typed title", **{"commitments-0-effort_days": "-1"})

    body = client_for(rep).post(reverse("deals:edit", args=[deal.pk]), data).content.decode()

    assert re.search(r"<h1>(.*?)</h1>", body, re.S).group(1).strip() == "Edit Loyalty platform"
    assert 'value="Typed title"' in body
