"""The main journey by labels on a phone (390x844) and a laptop (1366x900): from a rep's two
promises, through a flag, a counter-proposal and a carried approval, to a won deal and an
accepted handoff. Every page fits the width and axe-core finds nothing serious."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import Deal
from handoff.models import Role
from tests.factories import PASSWORD, ClientFactory, UserFactory

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
TIMELINE, STAFFING = "Live in three warehouses by June", "Two senior engineers on site"


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def expect_status(page, status: str) -> None:
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", status)


def commitment(page, summary: str):
    return page.get_by_role("article", name=summary)


def fill_commitment(group, *, kind: str, summary: str, promised: str, effort: str) -> None:
    group.get_by_label("Kind").select_option(label=kind)
    group.get_by_label("Summary").fill(summary)
    group.get_by_label("Promised date").fill(promised)
    group.get_by_label("Effort (days)").fill(effort)


def nav(page):
    return page.get_by_role("navigation", name="Main")


def change_user(page, login, username: str) -> None:
    page.context.clear_cookies()
    login(page, username, PASSWORD)


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_main_journey_from_promises_to_an_accepted_handoff(page, login, axe_violations, size):
    UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    ClientFactory(name="Acme Logistics")
    page.set_viewport_size(size)
    problems: list[str] = []

    def check(where: str) -> None:
        page.wait_for_load_state()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > size["width"]:
            problems.append(f"{where} at {size['width']} px is {width} px wide")
        if violations := axe_violations(page):
            problems.append(f"{where} at {size['width']} px: {violations!r}")

    # The rep reaches the deals through the navigation (inside "Menu" on a phone).
    login(page, "rep", PASSWORD)
    check("home")
    menu = nav(page).get_by_text("Menu", exact=True)
    if size is PHONE:
        expect(menu).to_be_visible()
        menu.click()
    else:
        expect(menu).to_be_hidden()
    nav(page).get_by_role("link", name="Deals", exact=True).click()
    expect(page.get_by_role("heading", name="Deals", level=1)).to_be_visible()
    check("deal list")

    # The rep writes the deal with two promises, and submits it.
    page.get_by_role("main").get_by_role("link", name="New deal").click()
    # Typing waits for the page's scripts: a search typed before they run sends nothing.
    page.wait_for_url("**/deals/new/")
    page.get_by_label("Title").fill("Warehouse rollout")
    page.get_by_label("Find a client").fill("acme")
    expect(page.get_by_text("1 client matching “acme”")).to_be_visible()
    page.get_by_label("Client", exact=True).select_option(label="Acme Logistics")
    page.get_by_label("Value").fill("120000")
    page.get_by_label("Expected close date").fill(in_days(30))
    fill_commitment(
        page.get_by_role("group", name="Commitment 1"),
        kind="Timeline",
        summary=TIMELINE,
        promised=in_days(60),
        effort="40",
    )
    page.get_by_role("button", name="Add commitment").click()
    fill_commitment(
        page.get_by_role("group", name="Commitment 2"),
        kind="Staffing",
        summary=STAFFING,
        promised=in_days(45),
        effort="60",
    )
    check("new deal form")
    page.get_by_role("button", name="Save", exact=True).click()
    expect_status(page, "draft")
    check("draft deal")
    deal_url = page.url
    page.get_by_role("button", name="Submit for review").click()
    expect_status(page, "in_review")
    check("deal in review, rep")

    # The PM approves the staffing, flags the timeline with a counter-proposal, sends it back.
    change_user(page, login, "pm")
    page.goto(reverse("deals:queue"))
    check("review queue")
    page.get_by_role("main").get_by_role("link", name="Warehouse rollout").click()
    expect_status(page, "in_review")
    check("deal in review, PM")
    approved = commitment(page, STAFFING)
    approved.get_by_role("button", name="Approve", exact=True).click()
    expect(approved.locator("p[data-verdict]")).to_have_attribute("data-verdict", "approved")
    flagged = commitment(page, TIMELINE)
    expect(flagged.get_by_label("Reason")).to_be_hidden()
    flagged.get_by_text("Flag…").click()
    flagged.get_by_label("Reason").fill("June is too soon for three sites; two by June.")
    flagged.get_by_label("Counter date").fill(in_days(90))
    check("flag form")
    flagged.get_by_role("button", name="Flag", exact=True).click()
    expect(flagged.locator("p[data-verdict]")).to_have_attribute("data-verdict", "flagged")
    page.get_by_role("button", name="Request changes").click()
    dialog = page.get_by_role("dialog", name=re.compile("Are you sure you want to request changes"))
    expect(dialog).to_contain_text("June is too soon")
    check("request changes dialog")
    dialog.get_by_role("button", name="Request changes").click()
    expect_status(page, "changes_requested")

    # The rep accepts the counter-proposal and resubmits.
    change_user(page, login, "rep")
    page.goto(deal_url)
    expect_status(page, "changes_requested")
    check("deal sent back, rep")
    commitment(page, TIMELINE).get_by_role("button", name="Accept counter-proposal").click()
    expect_status(page, "draft")
    expect(page.get_by_text(re.compile("Counter-proposal accepted"))).to_be_visible()
    check("counter-proposal accepted")
    page.get_by_role("button", name="Submit for review").click()
    expect_status(page, "in_review")

    # The PM sees the approvals carried over (an accepted counter-proposal counts as the
    # reviewer's approval, so nothing is left to rule on) and signs off.
    change_user(page, login, "pm")
    page.goto(deal_url)
    expect(page.get_by_role("heading", name="Review round 2")).to_be_visible()
    for summary in (STAFFING, TIMELINE):
        carried = commitment(page, summary)
        expect(carried).to_contain_text("Carried from round 1 · approved by Priya Mehta")
        expect(carried.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    check("deal in review round 2, PM")
    page.get_by_role("button", name="Sign off").click()
    dialog = page.get_by_role("dialog", name=re.compile("Are you sure you want to sign off"))
    expect(dialog).to_be_visible()
    check("sign off dialog")
    dialog.get_by_role("button", name="Sign off").click()
    expect_status(page, "signed_off")

    # The rep wins it.
    change_user(page, login, "rep")
    page.goto(deal_url)
    check("signed-off deal, rep")
    page.get_by_role("button", name="Mark as won").click()
    dialog = page.get_by_role("dialog", name=re.compile("Are you sure you want to mark as won"))
    expect(dialog).to_be_visible()
    check("mark as won dialog")
    dialog.get_by_role("button", name="Mark as won").click()
    expect_status(page, "won")
    check("won deal")

    # The PM accepts the handoff on the new project.
    project = Deal.objects.get(title="Warehouse rollout").project
    change_user(page, login, "pm")
    page.goto(project.get_absolute_url())
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", "kickoff")
    check("project at kickoff")
    page.get_by_role("button", name="Accept handoff").click()
    dialog = page.get_by_role("dialog", name="Accept the handoff?")
    expect(dialog).to_be_visible()
    check("accept handoff dialog")
    dialog.get_by_role("button", name="Accept handoff").click()
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", "active")
    expect(page.get_by_text("Handoff accepted: the project is active.")).to_be_visible()
    check("active project")

    assert not problems, "\n".join(problems)
