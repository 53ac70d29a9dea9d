"""Every main page on a phone (390 by 844) and a laptop (1366 by 900), as each role that opens it.

Nothing scrolls sideways, the menu button opens the navigation and the user menu, and axe-core
finds no serious or critical problem. The menu also works with JavaScript off, and from the
keyboard: a visible focus ring, and "/" to reach the search box.
"""

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from handoff.models import Role
from tests.factories import PASSWORD, ClientFactory, UserFactory
from tests.security.world import World, build_world, new_deal

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
# A client name with a word longer than a phone is wide: it must wrap, not widen the page.
LONG_NAME = "Donaudampfschifffahrtsgesellschaftskapitänsmützenmanufaktur"


@dataclass(frozen=True)
class Main:
    name: str
    url: str
    roles: tuple[str, ...]


def people() -> dict:
    make = UserFactory
    return {
        "rep": make(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes"),
        "rep2": make(username="rep2", role=Role.SALES, first_name="Sam", last_name="Osei"),
        "pm": make(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta"),
        "pm2": make(username="pm2", role=Role.PM, first_name="Tom", last_name="Berg"),
        "manager": make(
            username="manager", role=Role.MANAGER, first_name="Morgan", last_name="Lee"
        ),
    }


def main_pages(world: World) -> list[Main]:
    everyone = ("rep", "pm", "manager")
    long_deal = new_deal(world.users["rep"], ClientFactory(name=f"{LONG_NAME} AG"), LONG_NAME)
    assert long_deal.pk
    return [
        Main("home", reverse("home"), everyone),
        Main("deal list", reverse("deals:list"), everyone),
        Main("deal in review", world.deals["in_review"].get_absolute_url(), everyone),
        Main("new deal", reverse("deals:create"), ("rep", "manager")),
        Main("review queue", reverse("deals:queue"), ("pm", "manager")),
        Main("projects", reverse("projects:list"), everyone),
        Main("project", world.get("project").get_absolute_url(), everyone),
        Main("feedback inbox", reverse("feedback:inbox"), everyone),
        Main("notifications", reverse("feedback:notifications"), everyone),
        Main("settings", reverse("settings"), everyone),
        Main("dashboard", reverse("dashboard"), ("manager",)),
        Main("sync agenda", reverse("dashboard-agenda"), ("manager",)),
        Main("search results", reverse("search") + "?q=a", everyone),
    ]


def sideways(page) -> int:
    """How far the page scrolls sideways: 0 when nothing is wider than the window."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def nav(page):
    return page.get_by_role("navigation", name="Main")


def menu_button(page):
    return nav(page).get_by_text("Menu", exact=True)


def open_the_menus(page, user) -> None:
    """On a phone: the menu button shows the navigation, and the user menu opens from it."""
    expect(nav(page).get_by_role("link", name="Deals", exact=True)).to_be_hidden()
    expect(menu_button(page)).to_be_visible()
    menu_button(page).click()
    expect(nav(page).get_by_role("link", name="Deals", exact=True)).to_be_visible()
    expect(nav(page).get_by_role("link", name=re.compile(r"^Notifications"))).to_be_visible()
    nav(page).get_by_text(user.display_name).click()
    expect(nav(page).get_by_role("button", name="Log out")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Settings")).to_be_visible()


@pytest.mark.parametrize("role", ["rep", "pm", "manager"])
def test_every_main_page_fits_a_phone_and_a_laptop(page, login, axe_violations, role):
    world = build_world(people())
    user = world.users[role]
    login(page, user.username, PASSWORD)
    problems = []
    for main in main_pages(world):
        if role not in main.roles:
            continue
        page.set_viewport_size(PHONE)
        response = page.goto(main.url)
        assert response.ok, f"{main.name}: {response.status}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        if sideways(page) > 0:
            problems.append(f"{main.name} at 390 px scrolls sideways by {sideways(page)} px")
        open_the_menus(page, user)
        if sideways(page) > 0:
            problems.append(f"{main.name} at 390 px with the menu open scrolls sideways")
        if violations := axe_violations(page):
            problems.append(f"{main.name} at 390 px: {violations!r}")

        page.set_viewport_size(LAPTOP)
        page.goto(main.url)
        expect(menu_button(page)).to_be_hidden()
        expect(nav(page).get_by_role("link", name="Deals", exact=True)).to_be_visible()
        if sideways(page) > 0:
            problems.append(f"{main.name} at 1366 px scrolls sideways by {sideways(page)} px")
        if violations := axe_violations(page):
            problems.append(f"{main.name} at 1366 px: {violations!r}")
    assert not problems, "\n".join(problems)


def test_the_menu_and_search_work_from_the_keyboard(page, login):
    world = build_world(people())
    login(page, "rep", PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(reverse("deals:list"))

    # Tab from the top: the skip link, the brand, then the menu button, each with a ring.
    for expected in ("Skip to content", "Handoff", "Menu"):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent.trim()")
        assert expected in focused
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert ring != "none", f"{expected} has no visible focus ring"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    deals = nav(page).get_by_role("link", name="Deals", exact=True)
    expect(deals).to_be_focused()
    assert deals.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    page.keyboard.press("Escape")
    expect(deals).to_be_hidden()
    expect(menu_button(page)).to_be_focused()

    # "/" opens the menu and goes to the search box, but not while typing in a field.
    page.get_by_role("heading", name="Deals", level=1).click()
    page.keyboard.press("/")
    box = page.get_by_label("Search deals, clients, projects and people")
    expect(box).to_be_focused()
    box.fill("warehouse")
    box.press("Enter")
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    results = page.get_by_role("region", name=re.compile(r"^Deals"))
    expect(results.get_by_role("link", name="Warehouse scanners")).to_be_visible()
    field = page.get_by_role("main").get_by_label("Search deals, clients, projects and people")
    field.fill("")
    field.press("/")
    expect(field).to_have_value("/")
    expect(field).to_be_focused()
    assert world.deals["in_review"].title == "Warehouse scanners"


def test_without_javascript_the_menu_opens_and_headers_sort(browser, live_server):
    build_world(people())
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(reverse("login"))
        page.get_by_label("Username").fill("rep")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        menu_button(page).click()
        nav(page).get_by_role("link", name="Deals", exact=True).click()
        expect(page.get_by_role("heading", name="Deals", level=1)).to_be_visible()
        assert sideways(page) == 0

        page.get_by_role("columnheader", name="Title").get_by_role("link").click()
        expect(page.get_by_role("columnheader", name="Title")).to_have_attribute(
            "aria-sort", "ascending"
        )
        titles = page.locator("#deal-results tbody tr td:first-child").all_inner_texts()
        assert titles == sorted(titles)
        page.get_by_role("columnheader", name="Title").get_by_role("link").click()
        expect(page.get_by_role("columnheader", name="Title")).to_have_attribute(
            "aria-sort", "descending"
        )

        menu_button(page).click()
        page.get_by_label("Search deals, clients, projects and people").fill("loyalty")
        nav(page).get_by_role("button", name="Search").click()
        expect(page.get_by_role("link", name="Loyalty app")).to_be_visible()
    finally:
        context.close()
