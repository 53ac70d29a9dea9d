"""A rep sees what history says while typing a commitment, and takes the suggested date, on a
laptop and on a phone."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import Commitment
from handoff.models import Role
from tests.factories import PASSWORD, ClientFactory, UserFactory
from tests.projects.test_calibration_web import resolved_history

SCREENS = [
    pytest.param({"width": 1366, "height": 900}, id="desktop"),
    pytest.param({"width": 390, "height": 844}, id="phone"),
]


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("screen", SCREENS)
def test_rep_takes_the_date_history_suggests(page, login, axe_violations, screen):
    page.set_viewport_size(screen)
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    ClientFactory(name="Acme Logistics")
    resolved_history(rep, pm, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    promised = timezone.localdate() + datetime.timedelta(days=60)
    suggested = promised + datetime.timedelta(days=14)

    login(page, "rep", PASSWORD)
    page.goto("/deals/new/")
    page.get_by_label("Title").fill("ERP rollout")
    page.get_by_label("Find a client").fill("acme")
    expect(page.get_by_text("1 client matching “acme”")).to_be_visible()
    page.get_by_label("Client", exact=True).select_option(label="Acme Logistics")
    page.get_by_label("Value").fill("90000")
    page.get_by_label("Expected close date").fill(
        (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    )
    row = page.get_by_role("group", name="Commitment 1")
    row.get_by_label("Kind").select_option(label="Integration")
    row.get_by_label("Summary").fill("Link to their ERP")
    row.get_by_label("Effort (days)").fill("15")
    row.get_by_label("Promised date").fill(promised.isoformat())

    # While the promise is typed, history speaks: how late such promises were, and a date.
    history = row.locator("[data-calibration]")
    expect(history).to_contain_text("What history says")
    expect(history).to_contain_text("a median of 9 days late")
    expect(history).to_contain_text("80 % were delivered by a date 14 days later")
    assert axe_violations(page) == []
    no_sideways_scroll(page)

    # One click takes the suggested date; the form then says it was taken.
    history.get_by_role("button", name="Use ").click()
    expect(row.get_by_label("Promised date")).to_have_value(suggested.isoformat())
    expect(row.locator("[data-suggestion-taken]")).to_contain_text("Suggested date taken")
    no_sideways_scroll(page)

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", "draft")
    commitment = Commitment.objects.get(summary="Link to their ERP")
    assert commitment.promised_date == suggested
    assert commitment.suggested_date == suggested and commitment.suggestion_taken
