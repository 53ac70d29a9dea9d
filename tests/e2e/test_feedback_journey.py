"""The feedback loop in a real browser: a flag reaches the rep's badge; a rep's note is acknowledged."""

import re

from playwright.sync_api import expect

from deals import services
from handoff.models import Role
from tests.factories import PASSWORD, CommitmentFactory, DealFactory, UserFactory


def nav(page):
    return page.get_by_role("navigation", name="Main")


def bell(page):
    return nav(page).get_by_role("link", name=re.compile(r"^Notifications"))


def test_a_flag_reaches_the_rep_and_a_customer_note_is_acknowledged(
    page, browser, live_server, login, axe_violations
):
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    deal = DealFactory(owner=rep, title="Warehouse rollout")
    CommitmentFactory(deal=deal, kind="timeline", summary="Live in three warehouses by June")
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)

    # The rep is on the home page; the htmx badge polls every 30 s on the browser's clock.
    page.clock.install()
    login(page, "rep", PASSWORD)
    expect(bell(page)).to_have_text(re.compile(r"Notifications\s*1$"))

    # Meanwhile the PM flags the commitment, in another browser.
    pm_context = browser.new_context(base_url=live_server.url)
    pm_page = pm_context.new_page()
    try:
        login(pm_page, "pm", PASSWORD)
        pm_page.goto(deal.get_absolute_url())
        promise = pm_page.get_by_role("article", name="Live in three warehouses by June")
        promise.get_by_text("Flag…").click()
        promise.get_by_label("Reason").fill("June is too soon for three sites.")
        promise.get_by_role("button", name="Flag").click()
        expect(promise.locator("[data-verdict]")).to_have_attribute("data-verdict", "flagged")
    finally:
        pm_context.close()

    # Half a minute later the rep's badge has risen without a reload.
    page.clock.fast_forward("00:31")
    expect(bell(page)).to_have_text(re.compile(r"Notifications\s*2$"))
    bell(page).click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile("flagged “Live in three warehouses by June”")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Warehouse rollout")
    expect(bell(page)).to_have_text(re.compile(r"Notifications\s*1$"))

    # Writing the next deal, the rep sees what history says about timeline promises.
    page.goto("/deals/new/")
    page.get_by_role("group", name="Commitment 1").get_by_label("Kind").select_option(
        label="Timeline"
    )
    expect(page.get_by_text("PMs flagged 1 of 1 ruled (100 %).")).to_be_visible()

    # The rep tells delivery what the customer said.
    nav(page).get_by_role("link", name="Feedback").click()
    page.get_by_role("button", name="New note").click()
    page.get_by_label("Recipient").select_option(label="Priya Mehta (Project manager)")
    page.get_by_label("Topic").select_option(label="Customer insight")
    page.get_by_label("Note").fill("Their CFO, not IT, signs the acceptance.")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send note").click()
    expect(page.get_by_text("Your note was sent.")).to_be_visible()

    # The PM finds it in the inbox and acknowledges it.
    pm_context = browser.new_context(base_url=live_server.url)
    pm_page = pm_context.new_page()
    try:
        login(pm_page, "pm", PASSWORD)
        nav(pm_page).get_by_role("link", name="Feedback").click()
        expect(pm_page.get_by_role("link", name="Customer insight")).to_be_visible()
        assert axe_violations(pm_page) == []
        pm_page.get_by_role("link", name="Customer insight").click()
        expect(pm_page.get_by_text("Their CFO, not IT, signs the acceptance.")).to_be_visible()
        pm_page.get_by_role("button", name="Acknowledge").click()
        expect(pm_page.get_by_text(re.compile("Acknowledged by Priya Mehta"))).to_be_visible()
    finally:
        pm_context.close()

    # The rep hears that the note was acknowledged.
    page.clock.fast_forward("00:31")
    expect(bell(page)).to_have_text(re.compile(r"Notifications\s*2$"))
