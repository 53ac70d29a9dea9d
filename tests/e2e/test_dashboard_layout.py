"""The alignment dashboard on the demo data fits three laptop screens and never scrolls sideways
on a phone; its headline figures say how they moved, and the heat map scrolls in its own box."""

import datetime
import io
import re

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Three screens of a laptop.
MAX_HEIGHT = 2700
TREND = re.compile(r"(up|down) \d+ points? on the previous 30 days|level with the previous 30 days")


def seed_demo(settings) -> None:
    """The demo data of `manage.py seed_demo`, which runs only with DEBUG on."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False


def charts_drawn(page) -> None:
    page.wait_for_function(
        "() => window.Chart && [...document.querySelectorAll('canvas[data-chart]')]"
        ".every((canvas) => Chart.getChart(canvas))"
    )


def document_size(page) -> tuple[int, int]:
    return page.evaluate(
        "() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
    )


def test_the_dashboard_fits_a_laptop_and_a_phone(page, login, settings, axe_violations):
    seed_demo(settings)
    page.set_viewport_size(LAPTOP)
    login(page, "manager", "demo")
    page.goto("/dashboard/")
    charts_drawn(page)
    height, width = document_size(page)
    print(f"Dashboard at 1366x900: {height} px tall, {width} px wide")
    assert height <= MAX_HEIGHT
    assert width <= LAPTOP["width"]

    # The heat map's 12 weeks fit beside the names, each week labelled by its Monday.
    heat_map = page.get_by_role("region", name=re.compile("^Load against capacity per project"))
    box = heat_map.get_by_role("group", name=re.compile("per project manager and week"))
    assert box.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    first_week = heat_map.get_by_role("columnheader").nth(1)
    expect(first_week).to_have_text(f"Week of {monday.day} {monday:%b}")

    # A headline figure says in words how it moved on the previous period of the same length.
    today = timezone.localdate()
    page.goto(f"/dashboard/?from={today - datetime.timedelta(days=29)}&to={today}")
    flag_rate = page.locator('[data-figure="flag_rate"]')
    expect(flag_rate.get_by_text(TREND)).to_be_visible()
    expect(flag_rate.locator('.trend [aria-hidden="true"]')).to_have_text(re.compile("^[▲▼▶]$"))

    page.set_viewport_size(PHONE)
    page.goto("/dashboard/")
    charts_drawn(page)
    height, width = document_size(page)
    print(f"Dashboard at 390x844: {height} px tall, {width} px wide")
    assert width <= PHONE["width"]  # nothing scrolls the page sideways

    # On a phone the heat map scrolls inside its own box, and the names stay in view.
    heat_map = page.get_by_role("region", name=re.compile("^Load against capacity per project"))
    box = heat_map.get_by_role("group", name=re.compile("per project manager and week"))
    assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    name = heat_map.get_by_role("rowheader").first
    before = name.bounding_box()
    box.evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
    after = name.bounding_box()
    assert after["x"] == before["x"]
    assert axe_violations(page) == []
