"""Calendar feeds in a real browser, by labels: make the address in Settings, read it once,
fetch it as a calendar app would, then revoke it through its confirmation; at desktop and
phone width. A manager makes a team's address the same way."""

import datetime

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from handoff.models import Role
from tests.factories import PASSWORD, CommitmentFactory, DealFactory, TeamFactory, UserFactory

SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def calendar_section(page):
    return page.get_by_role("region", name="Calendar")


@pytest.mark.parametrize("screen", SCREENS)
def test_make_the_address_fetch_it_and_revoke_it(page, login, axe_violations, screen):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    promised = timezone.localdate() + datetime.timedelta(days=21)
    deal = DealFactory(owner=rep, title="Kiosk rollout")
    CommitmentFactory(deal=deal, summary="Twenty kiosks live", promised_date=promised)

    login(page, "rep", PASSWORD)
    page.goto("/settings/")
    section = calendar_section(page)
    section.get_by_role("button", name="Make my calendar address").click()
    expect(page.get_by_text("Calendar address made")).to_be_visible()

    address = calendar_section(page).locator("[data-calendar-url]")
    expect(address).to_be_visible()
    expect(calendar_section(page).get_by_role("button", name="Copy address")).to_be_visible()
    url = address.inner_text().strip()
    assert url.startswith(page.url.split("/settings/")[0] + "/calendar/")
    assert url.endswith(".ics")
    expect(calendar_section(page).get_by_text("Google Calendar", exact=True)).to_be_visible()
    expect(
        calendar_section(page).get_by_role("link", name="Open in my calendar app")
    ).to_have_attribute("href", "webcal://" + url.split("://", 1)[1])
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    # What a calendar app gets: no cookies, only the address.
    fetched = page.context.request.get(url, headers={"Cookie": ""})
    assert fetched.status == 200
    assert fetched.headers["content-type"] == "text/calendar; charset=utf-8"
    events = list(icalendar.Calendar.from_ical(fetched.body()).walk("VEVENT"))
    (event,) = events
    assert "Twenty kiosks live" in event["SUMMARY"]
    assert event.decoded("DTSTART") == promised

    # Shown once: a second visit shows only how the address starts.
    page.reload()
    expect(calendar_section(page).locator("[data-calendar-url]")).to_have_count(0)
    expect(calendar_section(page).get_by_text("Address starting")).to_be_visible()

    calendar_section(page).get_by_role("button", name="Revoke address of your calendar").click()
    dialog = page.get_by_role("dialog", name="Revoke the address of your calendar?")
    expect(dialog).to_be_visible()
    no_sideways_scroll(page)
    dialog.get_by_role("button", name="Revoke address").click()
    expect(page.get_by_text("Calendar address revoked")).to_be_visible()
    expect(
        calendar_section(page).get_by_role("button", name="Make my calendar address")
    ).to_be_visible()

    gone = page.context.request.get(url, headers={"Cookie": ""})
    assert gone.status == 410
    assert "revoked" in gone.text()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_manager_makes_a_teams_address(page, login, screen):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    UserFactory(username="manager", role=Role.MANAGER, first_name="Morgan", last_name="Lee")
    TeamFactory(name="Field sales", kind="sales")

    login(page, "manager", PASSWORD)
    page.goto("/settings/")
    section = calendar_section(page)
    expect(section.get_by_text("No team calendars yet.")).to_be_visible()
    section.get_by_label("Team").select_option(label="Field sales")
    section.get_by_role("button", name="Make team calendar address").click()
    expect(page.get_by_text("Calendar address made")).to_be_visible()
    section = calendar_section(page)
    expect(section.get_by_role("heading", name="Field sales")).to_be_visible()
    url = section.locator("[data-calendar-url]").inner_text().strip()
    fetched = page.context.request.get(url, headers={"Cookie": ""})
    assert fetched.status == 200
    assert b"X-WR-CALNAME:Handoff: Field sales" in fetched.body()
    no_sideways_scroll(page)
