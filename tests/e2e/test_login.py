"""Signing in through the form (and its two-factor step), the navigation each role sees, and
accessibility of the shell."""

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from handoff.models import Role
from handoff.roles import navigation_for
from tests.factories import PASSWORD, UserFactory

EVERY_NAV_LABEL = {"Deals", "Review queue", "Projects", "Feedback", "Meetings", "Dashboard"}


def reachable_navigation(user) -> list[str]:
    """The labels of the role's navigation whose page exists in this build."""
    labels = []
    for label, url_name in navigation_for(user):
        try:
            reverse(url_name)
        except NoReverseMatch:
            continue
        labels.append(label)
    return labels


def main_navigation(page):
    return page.get_by_role("navigation", name="Main")


@pytest.mark.parametrize("role", [Role.SALES, Role.PM, Role.MANAGER])
def test_each_role_sees_its_own_navigation(page, login, role):
    user = UserFactory(username=f"user-{role}", role=role)

    login(page, user.username, PASSWORD)

    expect(page).to_have_url(reverse("home"))
    nav = main_navigation(page)
    shown = reachable_navigation(user)
    for label in shown:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in EVERY_NAV_LABEL - set(shown):
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)


def test_rep_logs_in_and_sees_rep_navigation_without_dashboard(page, login):
    rep = UserFactory(username="rep", first_name="Rita", role=Role.SALES)

    login(page, "rep", PASSWORD)

    expect(page.get_by_role("heading", level=1)).to_contain_text("Rita")
    nav = main_navigation(page)
    assert "Dashboard" not in [label for label, _ in navigation_for(rep)]
    expect(nav.get_by_role("link", name="Dashboard", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Review queue", exact=True)).to_have_count(0)
    if "Deals" in reachable_navigation(rep):
        expect(nav.get_by_role("link", name="Deals", exact=True)).to_be_visible()


def test_wrong_password_keeps_the_username_and_says_why(page, login):
    UserFactory(username="rep", role=Role.SALES)

    login(page, "rep", "not-the-password")

    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.get_by_label("Username")).to_have_value("rep")
    expect(page.get_by_label("Password")).to_have_value("")


def test_log_out_from_the_user_menu(page, login):
    UserFactory(username="rep", first_name="Rita", last_name="Reyes", role=Role.SALES)
    login(page, "rep", PASSWORD)

    page.get_by_text("Rita Reyes").click()
    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(reverse("login"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(reverse("home"))
    expect(page).to_have_url(f"{reverse('login')}?next=/")


def test_login_and_home_pages_have_no_serious_accessibility_violations(page, login, axe_violations):
    rep = UserFactory(username="rep", role=Role.SALES)

    page.goto(reverse("login"))
    assert axe_violations(page) == []

    login(page, "rep", PASSWORD)
    expect(page).to_have_url(reverse("home"))
    assert axe_violations(page) == []

    page.get_by_text(rep.display_name).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert axe_violations(page) == []

    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert axe_violations(page) == []


def test_axe_reports_a_serious_violation_when_there_is_one(page, axe_violations):
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')

    assert [v["id"] for v in axe_violations(page)] == ["image-alt"]


def _code(key: str) -> str:
    from binascii import unhexlify

    from django_otp.oath import TOTP

    return f"{TOTP(unhexlify(key)).token():06d}"


def test_two_factor_set_up_then_asked_after_the_password(page, login):
    from handoff.auth import mfa

    rep = UserFactory(username="rep", first_name="Rita", last_name="Reyes", role=Role.SALES)
    login(page, "rep", PASSWORD)
    page.goto(reverse("settings"))
    page.get_by_role("button", name="Set up two-factor authentication").click()

    expect(page.get_by_label("QR code for your authenticator app")).to_be_visible()
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    key = mfa.setup_key(rep, page.locator("input[name=setup]").input_value())
    assert mfa.secret_of(key) == secret
    page.get_by_label("Code from the app").fill(_code(key))
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    page.get_by_role("button", name="I have saved them").click()
    page.get_by_text("Rita Reyes").click()
    page.get_by_role("button", name="Log out").click()

    login(page, "rep", PASSWORD)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(reverse("home"))
    expect(page.get_by_role("status")).to_contain_text("recovery code; 9 left")
