"""The feasibility review in a real browser, by labels: from a rep's promises to a won deal."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from handoff.models import Role
from tests.factories import PASSWORD, ClientFactory, UserFactory


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def log_out(page, user) -> None:
    page.get_by_role("navigation", name="Main").get_by_text(user.display_name).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def expect_status(page, status: str) -> None:
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", status)


def commitment(page, summary: str):
    return page.get_by_role("article", name=summary)


def open_deal(page, title: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Deals", exact=True
    ).click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def fill_commitment(group, *, kind: str, summary: str, promised: str, effort: str) -> None:
    group.get_by_label("Kind").select_option(label=kind)
    group.get_by_label("Summary").fill(summary)
    group.get_by_label("Promised date").fill(promised)
    group.get_by_label("Effort (days)").fill(effort)


def test_rep_and_pm_take_a_deal_from_promises_to_won(page, login, axe_violations):
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    ClientFactory(name="Acme Logistics")
    ClientFactory.create_batch(40)
    timeline, staffing = "Live in three warehouses by June", "Two senior engineers on site"

    # The rep writes the deal and its two promises, and submits it.
    login(page, "rep", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Deals", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Deals", level=1)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Title").fill("Warehouse rollout")
    # The client select lists a few clients; typing part of a name brings the matches.
    client = page.get_by_label("Client", exact=True)
    expect(client.get_by_role("option")).to_have_count(1)
    page.get_by_label("Find a client").fill("acme")
    expect(page.get_by_text("1 client matching “acme”")).to_be_visible()
    client.select_option(label="Acme Logistics")
    page.get_by_label("Value").fill("120000")
    page.get_by_label("Expected close date").fill(in_days(30))
    fill_commitment(
        page.get_by_role("group", name="Commitment 1"),
        kind="Timeline",
        summary=timeline,
        promised=in_days(60),
        effort="40",
    )
    page.get_by_role("button", name="Add commitment").click()
    fill_commitment(
        page.get_by_role("group", name="Commitment 2"),
        kind="Staffing",
        summary=staffing,
        promised=in_days(45),
        effort="60",
    )
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save", exact=True).click()

    expect_status(page, "draft")
    expect(commitment(page, timeline)).to_be_visible()
    expect(commitment(page, staffing)).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect_status(page, "in_review")
    assert axe_violations(page) == []
    log_out(page, rep)

    # The PM flags the timeline, approves the staffing, and asks for changes.
    login(page, "pm", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="Warehouse rollout").click()
    flagged = commitment(page, timeline)
    expect(flagged).to_contain_text("Needs your ruling")
    # The flag's form opens only when asked.
    expect(flagged.get_by_label("Reason")).to_be_hidden()
    flagged.get_by_text("Flag…").click()
    flagged.get_by_label("Reason").fill("June is too soon for three sites; two by June.")
    flagged.get_by_label("Counter date").fill(in_days(90))
    flagged.get_by_role("button", name="Flag").click()
    expect(flagged.locator("p[data-verdict]")).to_have_attribute("data-verdict", "flagged")
    # Request changes waits until every commitment is ruled on, and says so.
    request_changes = page.get_by_role("button", name="Request changes")
    expect(request_changes).to_be_disabled()
    expect(
        page.get_by_text("Rule on every commitment first: 1 still without a verdict.").first
    ).to_be_visible()
    approved = commitment(page, staffing)
    approved.get_by_role("button", name="Approve", exact=True).click()
    expect(approved.locator("p[data-verdict]")).to_have_attribute("data-verdict", "approved")
    assert axe_violations(page) == []
    expect(request_changes).to_be_enabled()
    request_changes.click()
    dialog = page.get_by_role("dialog", name=re.compile("Are you sure you want to request changes"))
    expect(dialog).to_contain_text("June is too soon")
    dialog.get_by_role("button", name="Request changes").click()
    expect_status(page, "changes_requested")
    log_out(page, pm)

    # The rep edits the flagged promise (which revises the deal) and resubmits in one step.
    login(page, "rep", PASSWORD)
    open_deal(page, "Warehouse rollout")
    expect(commitment(page, timeline)).to_contain_text("June is too soon")
    expect(page.get_by_role("button", name="Revise")).to_have_count(0)
    expect(page.get_by_text("Editing will move this deal back to draft")).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    first = page.get_by_role("group", name="Commitment 1")
    first.get_by_label("Summary").fill("Live in two warehouses by June, the third by September")
    first.get_by_label("Promised date").fill(in_days(90))
    page.get_by_role("button", name="Save and submit").click()
    expect_status(page, "in_review")
    expect(page.get_by_text("Deal saved and submitted for review.")).to_be_visible()
    log_out(page, rep)

    # The PM rules on what changed; the staffing's approval carried over, and signs off.
    login(page, "pm", PASSWORD)
    open_deal(page, "Warehouse rollout")
    staffed = commitment(page, staffing)
    expect(staffed).to_contain_text("Carried from round 1 · approved by Priya Mehta")
    expect(staffed.get_by_text("Earlier rounds (1)")).to_be_visible()
    revised = commitment(page, "Live in two warehouses by June")
    revised.get_by_role("button", name="Approve", exact=True).click()
    expect(revised.locator("p[data-verdict]")).to_have_attribute("data-verdict", "approved")
    page.get_by_role("button", name="Sign off").click()
    page.get_by_role("dialog").get_by_role("button", name="Sign off").click()
    expect_status(page, "signed_off")
    expect(page.get_by_text(re.compile("Signed off by Priya Mehta"))).to_be_visible()
    log_out(page, pm)

    # The rep wins it, once sure: the dialog says the project starts.
    login(page, "rep", PASSWORD)
    open_deal(page, "Warehouse rollout")
    page.get_by_role("button", name="Mark as won").click()
    dialog = page.get_by_role("dialog", name=re.compile("Are you sure you want to mark as won"))
    expect(dialog).to_contain_text("creates its project")
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Mark as won").click()
    expect_status(page, "won")
    assert axe_violations(page) == []


def test_pm_claims_from_the_queue_and_a_manager_overrules_an_escalation(
    page, login, axe_violations
):
    from deals import services
    from deals.models import DealStatus, VerdictKind
    from tests.deals.builders import deal_in, draft_deal

    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    UserFactory(username="manager", role=Role.MANAGER, first_name="Morgan", last_name="Lee")
    waiting = draft_deal(rep, title="Data migration")
    services.deal_submit(deal=waiting, actor=rep)
    contested = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = contested.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    services.verdict_escalate(verdict=flag, actor=rep, argument="The client signed a waiver.")

    login(page, "pm", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Claim review of Data migration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data migration")
    expect(page.get_by_text("Lead reviewer: Priya Mehta")).to_be_visible()
    log_out(page, pm)

    login(page, "manager", PASSWORD)
    assert axe_violations(page) == []
    page.get_by_role("link", name="Open escalations").click()
    expect(page.get_by_text("The client signed a waiver.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Reason").fill("The waiver covers the risk.")
    page.get_by_role("button", name="Overrule").click()
    expect(page.get_by_text("Escalation decided: flag overruled.")).to_be_visible()
    expect(page.get_by_text("No open escalations.")).to_be_visible()


def test_rep_finds_a_client_without_javascript(browser, live_server, axe_violations):
    UserFactory(username="rep", role=Role.SALES)
    ClientFactory(name="Acme Logistics")
    ClientFactory.create_batch(40)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("rep")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto("/deals/new/")
        page.get_by_label("Title").fill("Warehouse rollout")
        page.get_by_label("Find a client").fill("acme")
        page.get_by_role("button", name="Search clients").click()

        expect(page.get_by_text("1 client matching “acme”")).to_be_visible()
        expect(page.get_by_label("Title")).to_have_value("Warehouse rollout")
        page.get_by_label("Client", exact=True).select_option(label="Acme Logistics")
        page.get_by_label("Value").fill("120000")
        page.get_by_label("Expected close date").fill(in_days(30))
        fill_commitment(
            page.get_by_role("group", name="Commitment 1"),
            kind="Timeline",
            summary="Live by June",
            promised=in_days(60),
            effort="40",
        )
        page.get_by_role("button", name="Save", exact=True).click()

        expect_status(page, "draft")
        expect(page.get_by_text("Acme Logistics")).to_be_visible()
    finally:
        context.close()
