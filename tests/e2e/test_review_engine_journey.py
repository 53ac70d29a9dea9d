"""The second-generation review in a real browser, by labels: a counter-proposal accepted in one
click, a resubmission whose unchanged approvals carry over, a sign-off after ruling only on what
changed; the deal page at 1366x900 (two screens at most) and on a phone (nothing sideways)."""

import datetime
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from deals import services
from deals.models import Client, Deal, DealStatus, VerdictKind
from handoff.models import Role, TeamKind
from tests.factories import PASSWORD, TeamFactory, UserFactory

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Two screens of 900 px: a deal in review with four commitments must fit in them.
MAX_DEAL_PAGE_HEIGHT = 1800

SYNC, SITES, STAFF, PRICE = (
    "Two-way sync with the client's ERP",
    "Live in three warehouses",
    "Two senior engineers on site",
    "Fixed price for phase one",
)


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def people() -> dict:
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    pm2 = UserFactory(username="pm2", role=Role.PM, first_name="Tom", last_name="Berg")
    manager = UserFactory(
        username="manager", role=Role.MANAGER, first_name="Morgan", last_name="Lee"
    )
    integration = TeamFactory(name="Integration", kind=TeamKind.DELIVERY, lead=pm2)
    integration.members.add(pm2)
    services.review_rule_create(
        actor=manager,
        data={
            "name": "Integration commitments need a PM of Integration",
            "kinds": ["integration"],
            "approver": "pm",
            "team": integration,
            "approvals_required": 1,
        },
    )
    return {"rep": rep, "pm": pm, "pm2": pm2, "manager": manager}


def four_promises(rep) -> Deal:
    """A draft of four commitments: an integration one (a PM of Integration approves it)."""
    promises = [
        ("integration", SYNC, in_days(120), "12"),
        ("timeline", SITES, in_days(60), "40"),
        ("staffing", STAFF, in_days(45), "60"),
        ("pricing", PRICE, in_days(90), "5"),
    ]
    return services.deal_create(
        actor=rep,
        data={
            "title": "Warehouse rollout",
            "client": Client.objects.get_or_create(name="Acme Logistics")[0],
            "value": Decimal("120000"),
            "expected_close_date": in_days(30),
            "description": "Three sites, one ERP.",
        },
        commitments=[
            {"kind": k, "summary": s, "promised_date": d, "effort_days": Decimal(e), "detail": ""}
            for k, s, d, e in promises
        ],
    )


def first_round_sent_back(users: dict) -> Deal:
    """Round 1, led by Priya: Tom approves the sync, Priya approves the price, flags the sites with a
    counter-proposal and the staffing without one, and requests changes."""
    rep, pm, pm2 = users["rep"], users["pm"], users["pm2"]
    deal = four_promises(rep)
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    by_summary = {c.summary: c for c in deal.commitments.all()}
    services.commitment_rule(commitment=by_summary[SYNC], actor=pm2, verdict=VerdictKind.APPROVED)
    services.commitment_rule(commitment=by_summary[PRICE], actor=pm, verdict=VerdictKind.APPROVED)
    services.commitment_rule(
        commitment=by_summary[SITES],
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="Three sites by then is too soon; two, and the third a month later.",
        counter_date=in_days(90),
        counter_effort_days=Decimal("45"),
    )
    services.commitment_rule(
        commitment=by_summary[STAFF],
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="Only one senior engineer is free.",
    )
    services.deal_request_changes(deal=deal, actor=pm)
    return Deal.objects.get(pk=deal.pk)


def log_out(page, user) -> None:
    page.get_by_role("navigation", name="Main").get_by_text(user.display_name).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def expect_status(page, status: str) -> None:
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", status)


def row(page, summary: str):
    return page.get_by_role("article", name=summary)


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_counter_proposal_accepted_resubmitted_and_signed_off_on_what_changed(
    page, login, axe_violations
):
    users = people()
    deal = first_round_sent_back(users)
    page.set_viewport_size(DESKTOP)

    # The rep takes the counter-proposal as it stands and fixes the staffing by hand.
    login(page, "rep", PASSWORD)
    page.goto(deal.get_absolute_url())
    expect_status(page, "changes_requested")
    sites = row(page, SITES)
    expect(sites).to_contain_text("counter-proposal")
    expect(sites).to_contain_text(re.compile(r"Promised date .+ → .+, effort 40 → 45 person-days"))
    assert axe_violations(page) == []
    sites.get_by_role("button", name="Accept counter-proposal").click()
    expect_status(page, "draft")
    expect(page.get_by_text(re.compile("Counter-proposal accepted"))).to_be_visible()
    expect(row(page, SITES)).to_contain_text("45 person-days")
    expect(page.get_by_role("button", name="Submit for review")).to_be_visible()

    page.get_by_role("link", name="Edit", exact=True).click()
    staffing = page.get_by_role("group", name="Commitment 3")
    expect(staffing.get_by_label("Summary")).to_have_value(STAFF)
    staffing.get_by_label("Summary").fill("One senior engineer on site, a second from May")
    page.get_by_role("button", name="Save", exact=True).click()
    expect_status(page, "draft")
    page.get_by_role("button", name="Submit for review").click()
    expect_status(page, "in_review")
    log_out(page, users["rep"])

    # The lead reviewer rules only on what changed: the rest carried over from round 1.
    login(page, "pm", PASSWORD)
    page.goto(deal.get_absolute_url())
    expect(page.get_by_role("heading", name="Review round 2")).to_be_visible()
    expect(row(page, PRICE)).to_contain_text("Carried from round 1 · approved by Priya Mehta")
    expect(row(page, SITES)).to_contain_text("Carried from round 1 · approved by Priya Mehta")
    expect(row(page, SYNC)).to_contain_text("Carried from round 1 · approved by Tom Berg")
    expect(row(page, SYNC)).to_contain_text("Approval by a PM of Integration — Tom Berg ✓")
    changed = row(page, "One senior engineer on site, a second from May")
    expect(changed).to_contain_text("Needs your ruling")
    expect(page.get_by_text("3 of 4 approvals given")).to_be_visible()
    sign_off = page.get_by_role("button", name="Sign off")
    expect(sign_off).to_be_disabled()
    expect(page.locator("#sign-off-why")).to_contain_text("Rule on every commitment first")
    for carried in (PRICE, SITES, SYNC):
        expect(row(page, carried).get_by_role("button", name="Approve", exact=True)).to_have_count(
            0
        )

    height = page_height(page)
    print(f"Deal page at 1366x900, four commitments, lead reviewer in round 2: {height} px")
    assert height <= MAX_DEAL_PAGE_HEIGHT
    assert axe_violations(page) == []

    # By keyboard: "?" lists the keys, j walks down to the changed commitment, a approves it.
    page.locator("body").press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Approve the commitment in focus")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    summaries = page.locator("[data-commitment] h3").all_inner_texts()
    for _ in range(summaries.index(changed.locator("h3").inner_text()) + 1):
        page.keyboard.press("j")
    expect(changed).to_be_focused()
    page.keyboard.press("a")
    expect(changed.locator("p[data-verdict]")).to_have_attribute("data-verdict", "approved")
    expect(changed).to_be_focused()
    expect(page.get_by_text("4 of 4 approvals given")).to_be_visible()

    # Sign off asks first; the dialog's button signs.
    expect(sign_off).to_be_enabled()
    sign_off.click()
    dialog = page.get_by_role("dialog", name=re.compile("Are you sure you want to sign off"))
    expect(dialog).to_be_visible()
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Sign off").click()
    expect_status(page, "signed_off")
    expect(page.get_by_text(re.compile("Signed off by Priya Mehta"))).to_be_visible()

    timeline = page.get_by_role("tab", name="Timeline")
    timeline.click()
    panel = page.get_by_role("tabpanel", name="Timeline")
    expect(panel).to_contain_text("Rita Reyes accepted the counter-proposal on “Live in three")
    expect(panel).to_contain_text(re.compile(r"Approvals carried from round 1: .*Tom Berg"))
    expect(panel).to_contain_text("Priya Mehta signed the deal off")


def test_the_deal_page_fits_two_screens_and_a_phone_for_each_role(page, login):
    users = people()
    deal = first_round_sent_back(users)
    services.deal_submit(deal=deal, actor=users["rep"])
    heights = {}
    for who in ("pm", "pm2", "rep", "manager"):
        login(page, who, PASSWORD)
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.goto(deal.get_absolute_url())
            expect(row(page, SYNC)).to_be_visible()
            if name == "desktop":
                heights[who] = page_height(page)
            else:
                assert page_width(page) <= PHONE["width"], f"{who} scrolls sideways on a phone"
        page.context.clear_cookies()
    print(f"Deal page heights at 1366x900, four commitments in review: {heights}")
    assert max(heights.values()) <= MAX_DEAL_PAGE_HEIGHT


def test_tabs_work_by_keyboard_and_a_dialog_opens_and_cancels(page, login, axe_violations):
    users = people()
    deal = four_promises(users["rep"])
    page.set_viewport_size(PHONE)
    login(page, "rep", PASSWORD)
    page.goto(deal.get_absolute_url())

    tab = page.get_by_role("tab", name="Timeline")
    tab.focus()
    page.keyboard.press("ArrowRight")
    comments = page.get_by_role("tab", name=re.compile("Comments"))
    expect(comments).to_be_focused()
    expect(comments).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name=re.compile("Comments"))).to_be_visible()
    expect(page.get_by_role("tabpanel", name="Timeline")).to_be_hidden()
    page.keyboard.press("Home")
    expect(tab).to_be_focused()

    page.get_by_role("button", name="Mark as lost").click()
    dialog = page.get_by_role("dialog", name=re.compile("Are you sure you want to mark as lost"))
    expect(dialog.get_by_label("Reason")).to_be_focused()
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert page_width(page) <= PHONE["width"]

    page.get_by_role("button", name="Mark as lost").click()
    dialog.get_by_label("Reason").fill("The client chose to build it in-house.")
    dialog.get_by_role("button", name="Mark as lost").click()
    expect_status(page, DealStatus.LOST)


def test_without_javascript_the_confirmation_is_a_page(browser, live_server):
    users = people()
    deal = four_promises(users["rep"])
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("rep")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(deal.get_absolute_url())
        # Every tab's content is on the page, one after the other.
        expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
        expect(page.get_by_role("heading", name="Comments")).to_be_visible()
        page.get_by_role("button", name="Mark as lost").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Are you sure")
        expect(page.get_by_label("Reason")).to_have_attribute("required", "")
        page.get_by_label("Reason").fill("Budget cut")
        page.get_by_role("button", name="Mark as lost").click()
        expect_status(page, DealStatus.LOST)
    finally:
        context.close()


def test_a_double_click_sends_once_and_the_row_shows_it_is_busy(page, login):
    users = people()
    deal = four_promises(users["rep"])
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    login(page, "rep", PASSWORD)
    page.goto(deal.get_absolute_url())
    posts.clear()
    page.get_by_role("button", name="Submit for review").dblclick()
    expect_status(page, "in_review")
    assert len([u for u in posts if u.endswith("/submit/")]) == 1, posts
    page.context.clear_cookies()

    login(page, "pm", PASSWORD)
    page.goto(deal.get_absolute_url())
    price = row(page, PRICE)
    # Hold the answer back a moment, to see the busy row and its disabled button.
    page.route("**/rule/", lambda route: (page.wait_for_timeout(1500), route.continue_()))
    posts.clear()
    price.get_by_role("button", name="Approve", exact=True).dblclick()
    expect(price).to_have_class(re.compile("htmx-request"))
    expect(price.get_by_text("Saving…")).to_have_css("opacity", "1")
    expect(price.get_by_role("button", name="Approve", exact=True)).to_be_disabled()
    expect(price.locator("p[data-verdict]")).to_have_attribute("data-verdict", "approved")
    assert len([u for u in posts if u.endswith("/rule/")]) == 1, posts
