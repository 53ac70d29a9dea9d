"""Import deals in a real browser, by labels: upload a CSV, read every row's fate, confirm,
and find the deals on the deal list; at desktop and phone width."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.import_rows import COLUMNS
from handoff.models import Role
from tests.factories import PASSWORD, UserFactory

SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


def csv_text() -> str:
    close = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    promised = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    rows = [
        ("crm-1", "Kiosk rollout", "scope", "Twenty kiosks", "12000"),
        ("crm-1", "Kiosk rollout", "timeline", "Live in March", "12000"),
        ("crm-2", "Loyalty app", "scope", "Points and rewards", "not a number"),
    ]
    lines = [",".join(COLUMNS)]
    for external_id, title, kind, summary, value in rows:
        cells = {
            "external_id": external_id,
            "title": title,
            "client": "Acme Retail",
            "value": value,
            "expected_close_date": close,
            "kind": kind,
            "summary": summary,
            "promised_date": promised,
        }
        lines.append(",".join(cells.get(c, "") for c in COLUMNS))
    return "\n".join(lines) + "\n"


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("screen", SCREENS)
def test_upload_preview_confirm_and_see_the_deals(page, login, screen, tmp_path):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    path = tmp_path / "deals.csv"
    path.write_text(csv_text(), encoding="utf-8")

    login(page, "rep", PASSWORD)
    page.goto("/deals/")
    page.get_by_role("link", name="Import deals").click()
    expect(page.get_by_role("heading", name="Import deals", level=1)).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()

    # Every row's fate before anything is written.
    expect(page.get_by_text("Preview:")).to_be_visible()
    rows = page.locator("table.import-rows tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-fate", "create")
    expect(rows.nth(2)).to_have_attribute("data-fate", "error")
    expect(rows.nth(2)).to_contain_text("value")
    no_sideways_scroll(page)

    page.get_by_role("button", name=re.compile(r"Import 2 valid rows")).click()
    expect(page.get_by_text("Imported:")).to_be_visible()
    page.get_by_role("link", name="See the deals").click()
    expect(page.get_by_role("link", name="Kiosk rollout")).to_be_visible()
    expect(page.get_by_role("link", name="Loyalty app")).to_have_count(0)
    no_sideways_scroll(page)
