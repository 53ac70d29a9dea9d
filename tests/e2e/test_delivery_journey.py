"""Delivery truth in a real browser, by labels, at desktop and phone width: the PM accepts the
handoff with an estimate, enters time, asks to move a promise's date; the rep approves; once
delivered after the sold date but by the agreed one, the rep's scorecard shows the promise not
kept as sold and kept as renegotiated."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from handoff.models import Role
from projects import services
from projects.models import Deliverable
from tests.factories import PASSWORD, UserFactory
from tests.projects.builders import win

SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def sign_in_as(page, login, username: str) -> None:
    page.context.clear_cookies()
    login(page, username, PASSWORD)


@pytest.mark.parametrize("screen", SCREENS)
def test_pm_enters_time_and_asks_a_change_the_rep_approves_and_the_scorecard_shows_both(
    page, login, axe_violations, screen
):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    today = timezone.localdate()
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    project = win(rep, pm, title="Warehouse rollout", start=today - datetime.timedelta(days=20))
    # The warehouse was sold for five days ago: it is late as sold.
    warehouse = project.deliverables.get(summary="Data warehouse")
    Deliverable.objects.filter(pk=warehouse.pk).update(
        promised_date=today - datetime.timedelta(days=5)
    )

    # The PM accepts the handoff with an estimate of their own, prefilled with the sold effort.
    sign_in_as(page, login, "pm")
    page.goto(project.get_absolute_url())
    page.get_by_role("button", name="Accept handoff").click()
    dialog = page.get_by_role("dialog", name="Accept the handoff?")
    estimate = dialog.get_by_label("Data warehouse")
    expect(estimate).to_have_value("10")
    estimate.fill("12")
    dialog.get_by_role("button", name="Accept handoff").click()
    expect(page.get_by_text("Handoff accepted: the project is active.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Data warehouse").first
    expect(row.get_by_text("Estimate")).to_be_visible()
    expect(row.locator("[data-effort-actual]")).to_have_attribute("data-effort-estimate", "12")

    # Time entered in the quick form: a long day, then more than the day has left, then the rest.
    form = page.get_by_role("form", name="Enter time")
    form.get_by_label("Deliverable").select_option(label="Data warehouse")
    expect(form.get_by_label("Day")).to_have_value(today.isoformat())
    form.get_by_label("Time spent").fill("20")
    form.get_by_label("Note").fill("Schema workshop")
    form.get_by_role("button", name="Enter time").click()
    expect(page.get_by_text("20 hours entered on Data warehouse.")).to_be_visible()
    form = page.get_by_role("form", name="Enter time")
    form.get_by_label("Deliverable").select_option(label="Data warehouse")
    form.get_by_label("Time spent").fill("6")
    form.get_by_label("Note").fill("Data model")
    form.get_by_role("button", name="Enter time").click()
    form = page.get_by_role("form", name="Enter time")
    expect(form).to_contain_text("at most 4 more fit in the day")
    expect(form.get_by_label("Note")).to_have_value("Data model")
    form.get_by_label("Time spent").fill("4")
    form.get_by_role("button", name="Enter time").click()
    expect(page.get_by_text("4 hours entered on Data warehouse.")).to_be_visible()
    entries = page.get_by_role("region", name="Time spent")
    expect(entries.get_by_role("row").filter(has_text="Schema workshop")).to_contain_text("20 h")
    row = page.get_by_role("row").filter(has_text="Data warehouse").first
    expect(row.locator("[data-effort-actual]")).to_have_attribute("data-effort-actual", "3")
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    # The PM asks to move the warehouse's date, with a reason.
    page.get_by_role("link", name="Request a change to Data warehouse").click()
    new_date = today + datetime.timedelta(days=7)
    page.get_by_label("Reason").fill("The client's data arrived three weeks late.")
    page.get_by_role("button", name="Send for a decision").click()
    expect(page.get_by_text("Give a new date, a new effort, or ask to descope.")).to_be_visible()
    expect(page.get_by_label("Reason")).to_have_value("The client's data arrived three weeks late.")
    page.get_by_label("New date").fill(new_date.isoformat())
    no_sideways_scroll(page)
    page.get_by_role("button", name="Send for a decision").click()
    expect(page.get_by_text("Change to “Data warehouse” sent for a decision.")).to_be_visible()
    changes = page.get_by_role("region", name="Change requests")
    expect(changes).to_contain_text("Asked by Priya Mehta (delivery)")
    expect(changes).to_contain_text("Rita Reyes, the sales rep")
    expect(
        changes.get_by_role("button", name="Approve the change to Data warehouse")
    ).to_have_count(0)

    # The rep approves it after confirming.
    sign_in_as(page, login, "rep")
    page.goto(project.get_absolute_url())
    changes = page.get_by_role("region", name="Change requests")
    changes.get_by_role("button", name="Approve the change to Data warehouse").click()
    page.get_by_role("dialog", name="Approve the change to “Data warehouse”?").get_by_role(
        "button", name="Approve change"
    ).click()
    expect(page.get_by_text("Change approved:")).to_be_visible()
    changes = page.get_by_role("region", name="Change requests")
    expect(changes).to_contain_text("Approved by Rita Reyes")
    row = page.get_by_role("row").filter(has_text="Data warehouse").first
    expect(row).to_contain_text("now due")
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    # The deal page shows the change too, with who asked and who decided.
    page.get_by_role("link", name="Open the deal").click()
    region = page.get_by_text("Changes to the promises since the win")
    expect(region).to_be_visible()
    expect(page.get_by_text("Asked by Priya Mehta (delivery)")).to_be_visible()
    expect(page.get_by_text("Approved by Rita Reyes").first).to_be_visible()
    no_sideways_scroll(page)

    # Delivered today: after the sold date, by the agreed one.
    warehouse.refresh_from_db()
    services.deliverable_update_status(
        deliverable=warehouse, actor=pm, status="delivered", delivered_on=today
    )
    page.goto(f"/people/{rep.username}/")
    sold = page.get_by_role("row").filter(has_text="Promises kept as sold")
    renegotiated = page.get_by_role("row").filter(has_text="Promises kept as renegotiated")
    expect(sold).to_contain_text("0")
    expect(sold).to_contain_text("0 of 1 resolved promises")
    expect(renegotiated).to_contain_text("100")
    expect(renegotiated).to_contain_text("1 of 1 resolved promises; 1 changed after the win")
    no_sideways_scroll(page)
    assert axe_violations(page) == []
