"""The project page as a record in a real browser, at 1366 by 900 and 390 by 844.

Nothing scrolls sideways, the side column stands beside the deliverables on a laptop and under
them on a phone, where each deliverable stacks its cells; a deliverable updated in place brings
the promises and the history up to date; Complete project asks in a dialog, and without script
on its own page.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals import services as deal_services
from handoff.models import Role
from projects import services
from tests.factories import PASSWORD, UserFactory
from tests.projects.builders import make_deal, review

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
LONG = "Datenübernahmeschnittstellenkonfigurationsprüfung"


def sideways(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def won_project(pm_status="active", deliverables=6):
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    today = timezone.localdate()
    commitments = [
        {
            "kind": "scope",
            "summary": LONG if i == 0 else f"Deliverable number {i}",
            "effort_days": Decimal(12 + i),
            "promised_date": today + datetime.timedelta(days=30 + i),
        }
        for i in range(deliverables)
    ]
    deal = make_deal(rep, commitments=commitments, title="Warehouse rollout")
    review(deal, rep, pm)
    deal_services.deal_win(deal=deal, actor=rep)
    deal.refresh_from_db()
    project = deal.project
    if pm_status == "active":
        services.project_accept_handoff(project=project, actor=pm)
    return project, pm


def status_of(page) -> str:
    return page.locator(".project-head [data-status]").get_attribute("data-status")


def test_the_record_fits_a_laptop_and_a_phone(page, login, axe_violations):
    project, _ = won_project()
    login(page, "pm", PASSWORD)
    page.set_viewport_size(LAPTOP)
    page.goto(project.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Warehouse rollout")
    assert sideways(page) == 0
    main = page.locator(".project-main").bounding_box()
    side = page.get_by_role("complementary", name="Project facts and actions").bounding_box()
    assert side["x"] > main["x"] + main["width"] - 1, "the side column stands beside the main one"
    table = page.get_by_role("table")
    box = table.bounding_box()
    assert box["x"] + box["width"] <= main["x"] + main["width"] + 1, "the rows fit their column"
    expect(table.get_by_role("columnheader", name=re.compile("^Effort"))).to_be_visible()
    expect(table.get_by_role("row").filter(has_text=LONG)).to_contain_text("12 person-days")
    promises = page.get_by_role("region", name="Promises")
    expect(promises.locator('[data-count="open"]')).to_have_text("6")
    assert axe_violations(page) == []

    page.set_viewport_size(PHONE)
    page.goto(project.get_absolute_url())
    assert sideways(page) == 0
    main = page.locator(".project-main").bounding_box()
    side = page.get_by_role("complementary", name="Project facts and actions").bounding_box()
    assert side["y"] >= main["y"] + main["height"] - 1, "on a phone the side column comes after"
    cell = page.locator(".deliverables-table td[data-label='Promised']").first
    assert cell.evaluate("el => getComputedStyle(el).display") == "inline-block"
    label = cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert label == '"Promised: "'
    expect(page.get_by_role("link", name=f"Update status of {LONG}")).to_be_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_an_update_in_place_brings_the_promises_and_history_along(page, login, viewport):
    project, _ = won_project(deliverables=2)
    login(page, "pm", PASSWORD)
    page.set_viewport_size(viewport)
    page.goto(project.get_absolute_url())
    promises = page.get_by_role("region", name="Promises")
    history = page.get_by_role("region", name="History")
    expect(promises.locator('[data-count="kept"]')).to_have_text("0")

    page.get_by_role("link", name=f"Update status of {LONG}").click()
    form = page.get_by_role("form", name=f"Status of {LONG}")
    form.get_by_label("Status").select_option(label="Delivered")
    form.get_by_label("Delivered on").fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row").filter(has_text=LONG)).to_contain_text("Kept")
    expect(promises.locator('[data-count="kept"]')).to_have_text("1")
    expect(promises.locator('[data-count="open"]')).to_have_text("1")
    expect(promises).to_contain_text("1 of 1")
    expect(history.get_by_role("listitem").first).to_contain_text(f"{LONG} → Delivered")
    assert sideways(page) == 0


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_complete_project_asks_in_a_dialog_then_completes(page, login, axe_violations, viewport):
    project, pm = won_project(deliverables=2)
    for deliverable in project.deliverables.all():
        services.deliverable_update_status(
            deliverable=deliverable, actor=pm, status="missed", reason=""
        )
    login(page, "pm", PASSWORD)
    page.set_viewport_size(viewport)
    page.goto(project.get_absolute_url())
    assert status_of(page) == "active"

    opener = page.get_by_role("button", name="Complete project")
    opener.click()
    dialog = page.get_by_role("dialog", name="Complete this project?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("closes the project for good")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    assert axe_violations(page) == []
    assert sideways(page) == 0
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    assert status_of(page) == "active"

    opener.click()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    opener.click()
    dialog.get_by_role("button", name="Complete project").click()
    expect(page.get_by_text("The project is completed.")).to_be_visible()
    assert status_of(page) == "completed"
    expect(page.get_by_role("button", name="Complete project")).to_have_count(0)


def test_without_javascript_complete_project_asks_on_its_own_page(browser, live_server):
    project, pm = won_project(deliverables=1)
    services.deliverable_update_status(
        deliverable=project.deliverables.get(), actor=pm, status="missed"
    )
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("pm")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(project.get_absolute_url())
        page.get_by_role("button", name="Complete project").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Complete this project?")
        assert sideways(page) == 0
        page.get_by_role("link", name="Cancel").click()
        assert status_of(page) == "active"
        page.get_by_role("button", name="Complete project").click()
        page.get_by_role("button", name="Complete project").click()
        expect(page.get_by_text("The project is completed.")).to_be_visible()
        assert status_of(page) == "completed"
    finally:
        context.close()
