"""Single sign-on in Chromium against a real OpenID Connect provider on 127.0.0.1: the login
page, the provider's form, back signed in with the mapped role; a changed group changes the
role; a state or a nonce tampered with on the way is refused."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from handoff.auth.discovery import forget_provider_configuration
from handoff.models import Role, User
from tests.handoff.oidc_provider import configure, running_provider

SSO_BUTTON = "Sign in with single sign-on"


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


@pytest.fixture
def sso(settings, provider, page):
    configure(settings, provider)
    # The provider's pages link a stylesheet on a CDN: nothing leaves this machine.
    page.context.route(
        lambda url: urlsplit(url).hostname not in {"127.0.0.1", "localhost"},
        lambda route: route.abort(),
    )
    yield provider
    forget_provider_configuration()


def start_sso(page):
    page.goto(reverse("login"))
    page.get_by_role("button", name=SSO_BUTTON).click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()


def authorize_as(page, sub: str) -> None:
    """The provider's own sign-in form: a subject, then Authorize."""
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_load_state()


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def nav_link(page, label):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True)


def log_out(page, name: str) -> None:
    page.get_by_text(name).first.click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(reverse("login"))


def test_first_sign_in_creates_the_user_and_a_changed_group_changes_the_role(page, sso):
    sso.set_user(
        "ann",
        email="ann@corp.test",
        email_verified=True,
        given_name="Ann",
        family_name="Lee",
        preferred_username="ann",
        groups=["handoff-managers"],
    )

    start_sso(page)
    authorize_as(page, "ann")

    expect(page).to_have_url(reverse("home"))
    expect(nav_link(page, "Dashboard")).to_be_visible()
    ann = User.objects.get(email="ann@corp.test")
    assert (ann.username, ann.role) == ("ann", Role.MANAGER)

    log_out(page, "Ann Lee")
    sso.set_user(
        "ann",
        email="ann@corp.test",
        email_verified=True,
        given_name="Ann",
        family_name="Lee",
        groups=["handoff-sales"],
    )
    start_sso(page)
    authorize_as(page, "ann")

    expect(page).to_have_url(reverse("home"))
    expect(nav_link(page, "Deals")).to_be_visible()
    expect(nav_link(page, "Dashboard")).to_have_count(0)
    ann.refresh_from_db()
    assert ann.role == Role.SALES
    assert User.objects.filter(email="ann@corp.test").count() == 1


def test_a_tampered_state_is_refused(page, sso):
    sso.set_user("mallory", email="mallory@corp.test", email_verified=True)
    start_sso(page)

    page.goto(with_query(page.url, state="forged-state"))
    authorize_as(page, "mallory")

    expect(page.get_by_role("alert")).to_contain_text("could not be verified")
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    assert not User.objects.filter(email="mallory@corp.test").exists()
    page.goto(reverse("home"))
    expect(page).to_have_url(f"{reverse('login')}?next=/")


def test_a_tampered_nonce_is_refused(page, sso):
    sso.set_user("replay", email="replay@corp.test", email_verified=True)
    start_sso(page)

    page.goto(with_query(page.url, nonce="a-nonce-from-another-sign-in"))
    authorize_as(page, "replay")

    expect(page.get_by_role("alert")).to_contain_text("could not be verified")
    assert not User.objects.filter(email="replay@corp.test").exists()


def test_an_unverified_email_is_told_why(page, sso):
    sso.set_user("eve", email="eve@corp.test", email_verified=False, groups=["handoff-managers"])
    start_sso(page)
    authorize_as(page, "eve")

    expect(page.get_by_role("alert")).to_contain_text("has not verified the email address")
    assert not User.objects.filter(email="eve@corp.test").exists()


def test_the_login_page_and_its_refusal_have_no_serious_accessibility_violations(
    page, sso, axe_violations
):
    page.goto(reverse("login"))
    expect(page.get_by_role("button", name=SSO_BUTTON)).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert axe_violations(page) == []

    page.goto(reverse("oidc_authentication_callback") + "?code=x&state=y")
    expect(page.get_by_role("alert")).to_contain_text("could not be verified")
    assert axe_violations(page) == []
