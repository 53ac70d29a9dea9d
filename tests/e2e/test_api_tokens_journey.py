"""API tokens in a real browser, by labels: make a token from Settings, copy its secret (shown
once), call the API with it, revoke it after confirming; at desktop and phone width."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from handoff.models import Role
from tests.factories import PASSWORD, UserFactory

SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def api_status(base_url: str, secret: str) -> tuple[int, dict]:
    url = f"{base_url}/api/v1/deals/"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("screen", SCREENS)
def test_make_copy_use_and_revoke_a_token(page, login, live_server, axe_violations, screen):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")

    login(page, "rep", PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="Manage API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_text("No API tokens yet.")).to_be_visible()
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    # Without a name the form comes back with the error, the scopes as they were ticked.
    page.get_by_label("Write").check()
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_text("This field is required.", exact=True)).to_be_visible()
    expect(page.get_by_label("Write")).to_be_checked()
    expect(page.get_by_label("Read")).to_be_checked()

    page.get_by_label("Name").fill("CRM sync")
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_text("Copy it now: it is shown once.")).to_be_visible()
    secret = page.locator("#api-token-secret").inner_text().strip()
    assert secret.startswith("hnd_")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    row = page.get_by_role("row", name="CRM sync")
    expect(row).to_contain_text(secret[:10])
    expect(row).to_contain_text("Live")
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    status, body = api_status(live_server.url, secret)
    assert status == 200 and body["count"] == 0

    # Shown once: the next view of the page has the prefix only.
    page.reload()
    expect(page.locator("#api-token-secret")).to_have_count(0)
    expect(page.get_by_role("row", name="CRM sync")).to_contain_text("Just now", ignore_case=True)

    page.get_by_role("button", name="Revoke CRM sync").click()
    dialog = page.get_by_role("dialog", name="Revoke the token “CRM sync”?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("revoked: it no longer works")).to_be_visible()
    expect(page.get_by_role("row", name="CRM sync")).to_contain_text("Revoked")
    expect(page.get_by_role("button", name="Revoke CRM sync")).to_have_count(0)
    no_sideways_scroll(page)

    status, body = api_status(live_server.url, secret)
    assert status == 401 and body["code"] == "token_revoked"
