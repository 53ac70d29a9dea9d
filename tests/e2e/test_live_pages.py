"""Live pages in a real browser: what others change shows without a reload, on the browser's
clock. A PM watching a deal sees "This deal changed — Reload" when another PM rules through the
API, never for their own ruling; a rep's badge rises; the review queue's table fills itself in;
a hidden tab asks nothing and asks at once when it is back."""

import re

from playwright.sync_api import expect

from deals import services
from handoff.models import Role
from tests.factories import PASSWORD, CommitmentFactory, DealFactory, UserFactory


def people() -> dict:
    make = UserFactory
    return {
        "rep": make(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes"),
        "pm": make(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta"),
        "pm2": make(username="pm2", role=Role.PM, first_name="Tom", last_name="Berg"),
    }


def deal_in_review(rep, title: str = "Warehouse rollout"):
    deal = DealFactory(owner=rep, title=title)
    CommitmentFactory(deal=deal, kind="timeline", summary="Live in three warehouses by June")
    CommitmentFactory(deal=deal, kind="scope", summary="Barcode scanners in every aisle")
    services.deal_submit(deal=deal, actor=rep)
    return deal


def api_for(browser, live_server, username: str):
    """Another person's API client, signed in with a token as an integration would be."""
    context = browser.new_context(base_url=live_server.url)
    answer = context.request.post(
        "/api/v1/auth/token/", data={"username": username, "password": PASSWORD}
    )
    assert answer.ok, answer.text()
    token = answer.json()["token"]
    return context, {"Authorization": f"Token {token}"}


def rule_by_api(browser, live_server, username: str, commitment, verdict: str, reason=""):
    context, headers = api_for(browser, live_server, username)
    try:
        body = {"verdict": verdict, **({"reason": reason} if reason else {})}
        answer = context.request.post(
            f"/api/v1/commitments/{commitment.pk}/verdict/", data=body, headers=headers
        )
        assert answer.ok, answer.text()
    finally:
        context.close()


def banner(page):
    return page.get_by_role("status").filter(has_text="This deal changed")


def bell(page):
    nav = page.get_by_role("navigation", name="Main")
    return nav.get_by_role("link", name=re.compile(r"^Notifications"))


def set_visibility(page, state: str) -> None:
    page.evaluate(
        """(state) => {
            Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def test_a_pm_sees_another_pms_ruling_as_a_banner_and_reloads(
    page, browser, live_server, login, axe_violations
):
    users = people()
    own = deal_in_review(users["rep"], "Store kiosks")
    deal = deal_in_review(users["rep"])
    first = deal.commitments.order_by("id").first()
    page.clock.install()
    login(page, "pm", PASSWORD)

    # Priya rules on a deal herself: the page updates in place, and no banner follows.
    page.goto(own.get_absolute_url())
    promise = page.get_by_role("article", name="Barcode scanners in every aisle")
    promise.get_by_role("button", name="Approve").click()
    expect(promise.locator("[data-verdict]")).to_have_attribute("data-verdict", "approved")
    page.clock.fast_forward("00:16")
    page.wait_for_timeout(300)
    expect(banner(page)).to_have_count(0)

    # On another, Tom approves a promise through the API: the page says so, and waits.
    page.goto(deal.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Warehouse rollout")
    page.get_by_label("Reason").first.evaluate("(field) => { field.value = 'half typed'; }")
    rule_by_api(browser, live_server, "pm2", first, "approved")
    page.clock.fast_forward("00:16")
    expect(banner(page)).to_be_visible()
    expect(banner(page)).to_have_text(re.compile(r"This deal changed —\s*Reload"))
    assert page.get_by_label("Reason").first.input_value() == "half typed"
    assert axe_violations(page) == []

    banner(page).get_by_role("link", name="Reload").click()
    ruled = page.get_by_role("article", name="Live in three warehouses by June")
    expect(ruled.locator("[data-verdict]")).to_have_attribute("data-verdict", "approved")
    expect(banner(page)).to_have_count(0)


def test_a_reps_badge_rises_and_a_hidden_tab_asks_nothing_until_it_is_back(
    page, browser, live_server, login
):
    users = people()
    deal = deal_in_review(users["rep"])
    services.review_claim(deal=deal, actor=users["pm"])
    first = deal.commitments.order_by("id").first()
    page.clock.install()
    login(page, "rep", PASSWORD)
    page.goto(deal.get_absolute_url())
    expect(bell(page)).to_have_text(re.compile(r"Notifications\s*1$"))
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/version/" in r.url else None)

    set_visibility(page, "hidden")
    rule_by_api(browser, live_server, "pm", first, "flagged", reason="June is too soon.")
    page.clock.fast_forward("01:00")
    page.wait_for_timeout(300)
    assert polls == []
    expect(banner(page)).to_have_count(0)

    # Back in view, the page asks at once, without waiting for the next tick.
    set_visibility(page, "visible")
    expect(banner(page)).to_be_visible()
    expect(bell(page)).to_have_text(re.compile(r"Notifications\s*2$"))
    assert len(polls) == 2


def test_the_review_queue_fills_in_a_new_submission(page, live_server, login):
    users = people()
    deal_in_review(users["rep"], "Warehouse rollout")
    page.clock.install()
    login(page, "pm", PASSWORD)
    page.goto("/deals/queue/")
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="Warehouse rollout")).to_be_visible()
    page.get_by_role("searchbox", name="Search the queue").fill("half typed")

    deal_in_review(users["rep"], "Store kiosks")
    page.clock.fast_forward("00:16")

    expect(table.get_by_role("link", name="Store kiosks")).to_be_visible()
    expect(table.get_by_role("link", name="Warehouse rollout")).to_be_visible()
    assert page.get_by_role("searchbox", name="Search the queue").input_value() == "half typed"
    page.clock.fast_forward("00:16")
    expect(table.get_by_role("row")).to_have_count(3)
