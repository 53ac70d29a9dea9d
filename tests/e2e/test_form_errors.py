"""A form that comes back with errors starts the reader at its summary, whose links reach the fields."""

from playwright.sync_api import expect

from handoff.models import Role
from tests.factories import PASSWORD, ClientFactory, UserFactory


def test_the_error_summary_takes_the_focus_and_its_links_reach_the_fields(page, login):
    rep = UserFactory(username="rita", role=Role.SALES)
    ClientFactory(name="Northwind Retail")
    login(page, rep.username, PASSWORD)

    page.goto("/deals/new/")
    row = page.get_by_role("group", name="Commitment 1")
    row.get_by_label("Effort (days)").fill("-2")
    row.get_by_label("Summary").fill("Single sign-on")
    page.get_by_role("button", name="Save", exact=True).click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Effort cannot be negative.")
    expect(row.get_by_label("Kind")).to_have_value("")
    summary.get_by_role("link", name="Title: This field is required.").click()
    expect(page.get_by_label("Title")).to_be_focused()
    summary.get_by_role(
        "link", name="Commitment 1, Effort (days): Effort cannot be negative."
    ).click()
    expect(
        page.get_by_role("group", name="Commitment 1").get_by_label("Effort (days)")
    ).to_be_focused()
