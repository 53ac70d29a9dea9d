"""Customer acceptance in a real browser, by labels: the PM sends a delivered deliverable to a
customer contact from the project page, the customer (another browser, no account) accepts it
through the emailed link and rates it, and the project page shows who accepted it and when; at
desktop and phone width."""

import re

import pytest
from playwright.sync_api import expect

from feedback.models import EmailOutbox
from handoff.models import Role
from tests.factories import PASSWORD, UserFactory
from tests.projects.acceptance_builders import deliver
from tests.projects.builders import win

SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def emailed_link(address: str) -> str:
    body = EmailOutbox.objects.get(to_address=address, kind="acceptance_request").text_body
    return re.search(r"https?://\S+(/projects/acceptance/respond/\S+/)", body).group(1)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_pm_sends_and_the_customer_accepts(
    page, browser, live_server, login, axe_violations, screen
):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    project = win(rep, pm)
    deliverable = project.deliverables.order_by("promised_date", "id").first()
    deliver(deliverable, pm)

    login(page, "pm", PASSWORD)
    page.goto(project.get_absolute_url())
    section = page.get_by_role("region", name="Customer acceptance")
    expect(section.get_by_text("No deliverable of this project has gone")).to_be_visible()
    section.locator("summary", has_text="Send for customer acceptance").click()
    section.get_by_label("Deliverable").select_option(label=deliverable.summary)
    section.get_by_label("Contact name").fill("Dana Client")
    section.get_by_label("Contact email").fill("not an address")
    section.get_by_role("button", name="Send the acceptance link").click()
    expect(page.get_by_text("Enter a valid email address.").first).to_be_visible()
    section = page.get_by_role("region", name="Customer acceptance")
    expect(section.get_by_label("Contact name")).to_have_value("Dana Client")
    section.get_by_label("Contact email").fill("dana@client.example")
    section.get_by_role("button", name="Send the acceptance link").click()
    expect(page.get_by_text("sent to Dana Client for acceptance")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(deliverable.summary)).filter(
        has_text="Dana Client"
    )
    expect(row.get_by_text("Waiting for the customer")).to_be_visible()
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    # The customer: another browser, no account, only the link from the email.
    customer_context = browser.new_context(base_url=live_server.url, reduced_motion="reduce")
    customer = customer_context.new_page()
    customer.set_viewport_size({"width": width, "height": height})
    try:
        customer.goto(emailed_link("dana@client.example"))
        expect(customer.get_by_role("heading", name="Confirm delivery")).to_be_visible()
        expect(customer.get_by_text(deliverable.summary)).to_be_visible()
        expect(customer.get_by_text("Promised by")).to_be_visible()
        no_sideways_scroll(customer)
        assert axe_violations(customer) == []
        customer.get_by_role("button", name="Send my answer").click()
        expect(customer.get_by_text("Choose whether you accept or decline").first).to_be_visible()
        customer.get_by_label("Accept: it is delivered as promised").check()
        rating = customer.get_by_role("group", name="Rating (1 poor, 5 excellent)")
        rating.get_by_label("4", exact=True).check()
        customer.get_by_label("Comment").fill("All there, thank you.")
        customer.get_by_role("button", name="Send my answer").click()
        expect(customer.get_by_role("heading", name="Thank you")).to_be_visible()
        expect(customer.get_by_text("rated it 4 of 5")).to_be_visible()
        no_sideways_scroll(customer)
        assert axe_violations(customer) == []
    finally:
        customer_context.close()

    page.reload()
    note = page.locator(f"#deliverable-{deliverable.pk}").get_by_text("Accepted by Dana Client on")
    expect(note).to_be_visible()
    expect(
        page.get_by_role("region", name="Customer acceptance").get_by_text("Accepted", exact=True)
    ).to_be_visible()
    no_sideways_scroll(page)
    assert axe_violations(page) == []
