"""The handoff in a real browser: capacity at review, then delivery scored against the promise."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from deals import services as deal_services
from handoff.models import Role
from tests.factories import PASSWORD, UserFactory
from tests.projects.builders import make_deal, review


def log_out(page, user) -> None:
    page.get_by_role("navigation", name="Main").get_by_text(user.display_name).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_pm_checks_capacity_accepts_the_handoff_and_the_rep_sees_the_promise_kept(
    page, login, axe_violations
):
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    deal = make_deal(rep, title="Warehouse rollout")
    deal_services.deal_submit(deal=deal, actor=rep)

    # During review the PM sees the capacity check: in words, as a table and as a chart.
    login(page, "pm", PASSWORD)
    page.goto(deal.get_absolute_url())
    check = page.get_by_role("region", name="Capacity check")
    expect(check).to_be_visible()
    expect(check.get_by_text(re.compile(r"^(Fits: |Over capacity in week)")).first).to_be_visible()
    check.get_by_text("Week by week: you").click()
    expect(check.get_by_role("table").first).to_contain_text("Load with this deal")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-capacity-chart]'))"
    )
    expect(check.get_by_role("img", name=re.compile("Chart: You"))).to_be_visible()
    assert axe_violations(page) == []

    # The PM signs off and the rep wins it (through the workflow services).
    review(deal, rep, pm)
    deal_services.deal_win(deal=deal, actor=rep)

    # The PM accepts the handoff and marks the first promise delivered, in place.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_role("link", name="Warehouse rollout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Warehouse rollout")
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", "kickoff")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Accept handoff").click()
    page.get_by_role("dialog", name="Accept the handoff?").get_by_role(
        "button", name="Accept handoff"
    ).click()
    expect(page.locator(".page-head [data-status]")).to_have_attribute("data-status", "active")
    expect(page.get_by_text("Handoff accepted: the project is active.")).to_be_visible()

    page.get_by_role("link", name="Update status of Data warehouse").click()
    form = page.get_by_role("form", name="Status of Data warehouse")
    form.get_by_label("Status").select_option(label="At risk")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text("Say why.")
    form.get_by_label("Status").select_option(label="Delivered")
    form.get_by_label("Delivered on").fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="Save").click()
    row = page.get_by_role("row").filter(has_text="Data warehouse")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("Kept")
    expect(page.get_by_role("form", name="Status of Data warehouse")).to_have_count(0)
    assert axe_violations(page) == []

    # The team's load for the next weeks, as a heat map with its figures in words.
    page.get_by_role("link", name="Projects").first.click()
    page.get_by_role("link", name="Team capacity").click()
    heat_map = page.get_by_role("table", name=re.compile("per project manager and ISO week"))
    expect(heat_map.get_by_role("rowheader", name="Priya Mehta")).to_be_visible()
    assert axe_violations(page) == []
    log_out(page, pm)

    # The rep sees, on the won deal, that the promise was kept.
    login(page, "rep", PASSWORD)
    page.goto(deal.get_absolute_url())
    promises = page.get_by_role("region", name="How the promises are delivered")
    expect(promises).to_be_visible()
    expect(promises.get_by_role("row").filter(has_text="Data warehouse")).to_contain_text("Kept")
    expect(promises).to_contain_text("1 of 1")
    assert axe_violations(page) == []
