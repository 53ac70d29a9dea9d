"""Review rules in a real browser, by labels: a manager asks two PMs for integration promises,
and the lead reviewer can sign off only once a second PM has approved."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals import services
from deals.models import ReviewRule
from handoff.models import Role
from tests.factories import PASSWORD, ClientFactory, UserFactory

SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}
SYNC, PORTAL = "Two-way sync with their ERP", "Order tracking portal"


def as_user(page, login, username: str) -> None:
    """Sign out whoever is signed in, then sign in as `username`."""
    page.context.clear_cookies()
    login(page, username, PASSWORD)


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def expect_status(page, status: str) -> None:
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", status)


def commitment(page, summary: str):
    return page.get_by_role("article", name=summary)


def people():
    UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    UserFactory(username="pm2", role=Role.PM, first_name="Tom", last_name="Berg")
    return UserFactory(username="manager", role=Role.MANAGER, first_name="Morgan", last_name="Lee")


def draft(owner_username: str):
    from handoff.models import User

    today = timezone.localdate()
    return services.deal_create(
        actor=User.objects.get(username=owner_username),
        data={
            "title": "ERP rollout",
            "client": ClientFactory(name="Contoso Logistics"),
            "value": Decimal("80000"),
            "expected_close_date": today + datetime.timedelta(days=30),
        },
        commitments=[
            {
                "kind": kind,
                "summary": summary,
                "promised_date": today + datetime.timedelta(days=days),
                "effort_days": Decimal("10"),
            }
            for kind, summary, days in (("scope", PORTAL, 90), ("integration", SYNC, 60))
        ],
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_a_rule_for_two_pms_holds_the_sign_off_until_the_second_approves(
    page, login, axe_violations, screen
):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    people()
    deal = draft("rep")

    # The manager finds the rules from the settings page and adds one.
    as_user(page, login, "manager")
    page.goto("/settings/")
    page.get_by_role("link", name="Manage review rules").click()
    expect(page.get_by_role("heading", name="Review rules", level=1)).to_be_visible()
    expect(page.get_by_text("No review rules yet.")).to_be_visible()
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    page.get_by_role("button", name="New rule").click()
    expect(page.get_by_role("heading", name="New review rule", level=1)).to_be_visible()
    page.get_by_label("Name").fill("Integration needs two PMs")
    page.get_by_label("Integration", exact=True).check()
    page.get_by_label("A project manager").check()
    page.get_by_label("2 approvals, by different people").check()
    no_sideways_scroll(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Add rule").click()

    expect(page.get_by_text("Rule “Integration needs two PMs” added")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Integration needs two PMs"))
    expect(row).to_contain_text("Integration commitments")
    expect(row).to_contain_text("2 approvals by a project manager")
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    # The rep submits a deal with an integration promise.
    as_user(page, login, "rep")
    page.goto(deal.get_absolute_url())
    page.get_by_role("button", name="Submit for review").click()
    expect_status(page, "in_review")

    # The lead PM approves everything, and the sign-off waits for a second PM.
    as_user(page, login, "pm")
    page.goto(deal.get_absolute_url())
    portal = commitment(page, PORTAL)
    portal.get_by_role("button", name="Approve", exact=True).click()
    expect(portal.locator("[data-verdict]")).to_have_attribute("data-verdict", "approved")
    sync = commitment(page, SYNC)
    sync.get_by_role("button", name="Approve", exact=True).click()
    expect(sync.locator("[data-verdict]")).to_have_attribute("data-verdict", "approved")
    sign_off = page.get_by_role("button", name="Sign off")
    expect(sign_off).to_be_disabled()
    expect(page.get_by_text(re.compile(r"Approvals are missing: .*Two-way sync"))).to_be_visible()

    # A second PM finds it in the queue and approves that promise.
    as_user(page, login, "pm2")
    page.goto("/deals/queue/")
    queued = page.get_by_role("row", name=re.compile("ERP rollout"))
    expect(queued.get_by_text("Awaiting your approval")).to_be_visible()
    queued.get_by_role("link", name="ERP rollout").click()
    sync = commitment(page, SYNC)
    sync.get_by_role("button", name="Approve", exact=True).click()
    expect(
        sync.get_by_text(re.compile("2 approvals by a project manager .*Priya Mehta.*Tom Berg"))
    ).to_be_visible()

    # Now the lead PM signs off.
    as_user(page, login, "pm")
    page.goto(deal.get_absolute_url())
    expect(page.get_by_role("button", name="Sign off")).to_be_enabled()
    page.get_by_role("button", name="Sign off").click()
    page.get_by_role("dialog").get_by_role("button", name="Sign off").click()
    expect_status(page, "signed_off")


def _rule(manager) -> ReviewRule:
    return services.review_rule_create(
        actor=manager,
        data={"name": "Pricing needs a manager", "kinds": ["pricing"], "approver": "manager"},
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_a_manager_retires_a_rule_after_confirming_in_a_dialog(page, login, axe_violations, screen):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    rule = _rule(people())

    as_user(page, login, "manager")
    page.goto("/deals/review-rules/")
    page.get_by_role("link", name="Retire Pricing needs a manager").click()
    dialog = page.get_by_role("dialog", name="Retire “Pricing needs a manager”?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Rounds already submitted keep version 1")
    assert axe_violations(page) == []
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    rule.refresh_from_db()
    assert rule.is_live

    page.get_by_role("link", name="Retire Pricing needs a manager").click()
    dialog.get_by_role("button", name="Retire rule").click()
    expect(page.get_by_text("Rule “Pricing needs a manager” retired")).to_be_visible()
    expect(page.get_by_text("No review rules yet.")).to_be_visible()
    page.get_by_role("link", name="Show history").click()
    expect(page.get_by_role("row", name=re.compile("Pricing needs a manager"))).to_contain_text(
        "Retired by Morgan Lee"
    )
    no_sideways_scroll(page)


def test_without_javascript_retire_confirms_on_its_own_page_and_edit_makes_a_version(
    browser, live_server
):
    rule = _rule(people())
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("manager")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto("/deals/review-rules/")

        page.get_by_role("link", name="Edit Pricing needs a manager").click()
        expect(page.get_by_text("Rounds already submitted keep version 1.")).to_be_visible()
        page.get_by_label("Name").fill("")
        page.get_by_label("Effort at least (days)").fill("4")
        page.get_by_role("button", name="Save as version 2").click()
        expect(page.get_by_text("This field is required.", exact=True)).to_be_visible()
        expect(page.get_by_label("Effort at least (days)")).to_have_value("4")
        no_sideways_scroll(page)
        page.get_by_label("Name").fill("Pricing needs a manager")
        page.get_by_role("button", name="Save as version 2").click()
        expect(
            page.get_by_text("as version 2. Rounds already submitted keep version 1.")
        ).to_be_visible()

        page.get_by_role("link", name="Retire Pricing needs a manager").click()
        expect(
            page.get_by_role("heading", name="Retire “Pricing needs a manager”?")
        ).to_be_visible()
        no_sideways_scroll(page)
        page.get_by_role("button", name="Retire rule").click()
        expect(page.get_by_text("No review rules yet.")).to_be_visible()
        assert not ReviewRule.objects.filter(key=rule.key, retired_at__isnull=True).exists()
    finally:
        context.close()
