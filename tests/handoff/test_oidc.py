"""Single sign-on: claims to roles, verified emails, the whole code flow against a real
OpenID Connect provider on 127.0.0.1, refusals that say why, and password sign-in switched off."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from handoff.auth.claims import email_verified, parse_role_map, role_from_claims
from handoff.auth.discovery import forget_provider_configuration
from handoff.models import Role, User
from tests.factories import PASSWORD, UserFactory
from tests.handoff.oidc_provider import configure, running_provider

SSO_BUTTON = "Sign in with single sign-on"


@pytest.fixture(scope="module")
def provider():
    with running_provider() as running:
        yield running


@pytest.fixture
def sso(settings, provider):
    configure(settings, provider)
    yield provider
    forget_provider_configuration()


def sign_in(client, provider, sub: str):
    """The redirect dance: start here, sign in at the provider as `sub`, come back."""
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    callback = provider.authorize(start["Location"], sub)
    parts = urlsplit(callback)
    return client.get(parts.path, parse_qs(parts.query))


def verified(email: str, **claims) -> dict:
    return {"email": email, "email_verified": True, **claims}


# Claims


def test_the_role_map_reads_group_role_pairs():
    assert parse_role_map(" a-managers = manager , pms=pm,,") == {
        "a-managers": "manager",
        "pms": "pm",
    }
    assert parse_role_map("") == {}


@pytest.mark.parametrize("text", ["managers", "managers=admin", "=pm", "x=boss"])
def test_the_role_map_refuses_what_is_not_a_mappable_role(text):
    with pytest.raises(ValueError, match="OIDC_ROLE_MAP"):
        parse_role_map(text)


def test_the_strongest_mapped_group_wins_and_a_single_group_may_be_a_string():
    role_map = {"m": "manager", "p": "pm", "s": "sales"}
    strongest = role_from_claims(
        {"groups": ["s", "p", "m"]}, claim="groups", role_map=role_map, default="sales"
    )
    assert strongest == "manager"
    assert (
        role_from_claims({"groups": "p"}, claim="groups", role_map=role_map, default="sales")
        == "pm"
    )
    assert (
        role_from_claims({"groups": ["x"]}, claim="groups", role_map=role_map, default="sales")
        == "sales"
    )
    assert role_from_claims({}, claim="groups", role_map=role_map, default="") is None
    assert (
        role_from_claims({"roles": ["m"]}, claim="roles", role_map=role_map, default="")
        == "manager"
    )


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, True),
        ({"email_verified": False}, False),
        ({"email_verified": "false"}, False),
        ({"email_verified": 1}, False),
        ({}, False),
    ],
)
def test_only_a_verified_email_counts(claims, expected):
    assert email_verified(claims) is expected


# The login page


@pytest.mark.django_db
def test_without_an_issuer_there_is_no_button_and_no_flow(client):
    assert SSO_BUTTON not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404


@pytest.mark.django_db
def test_with_an_issuer_the_login_page_offers_single_sign_on(client, settings):
    settings.OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = "https://idp.example.com", "handoff"
    page = client.get(reverse("login") + "?next=/deals/").content.decode()
    assert SSO_BUTTON in page
    assert f"{reverse('oidc_authentication_init')}?next=/deals/" in page


# The code flow against the provider


@pytest.mark.django_db
def test_first_sign_in_creates_the_user_with_the_mapped_role(client, sso):
    sso.set_user(
        "ann",
        **verified(
            "ann@corp.test",
            groups=["handoff-managers"],
            preferred_username="ann.lee",
            given_name="Ann",
            family_name="Lee",
        ),
    )

    response = sign_in(client, sso, "ann")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="ann@corp.test")
    assert (user.username, user.role, user.first_name, user.last_name) == (
        "ann.lee",
        Role.MANAGER,
        "Ann",
        "Lee",
    )
    assert not user.has_usable_password()
    assert client.get(reverse("home")).context["user"] == user


@pytest.mark.django_db
def test_the_next_page_is_kept_through_the_dance(client, sso):
    sso.set_user("bo", **verified("bo@corp.test", groups=["handoff-sales"]))
    start = client.get(reverse("oidc_authentication_init") + "?next=/deals/")
    parts = urlsplit(sso.authorize(start["Location"], "bo"))
    assert client.get(parts.path, parse_qs(parts.query))["Location"] == "/deals/"


@pytest.mark.django_db
def test_an_existing_user_is_matched_by_email_and_the_role_follows_the_groups(client, sso):
    pat = UserFactory(username="pat", email="Pat@Corp.test", role=Role.PM)
    sso.set_user("pat-sub", **verified("pat@corp.test", groups=["handoff-sales"]))

    assert sign_in(client, sso, "pat-sub").status_code == 302

    pat.refresh_from_db()
    assert pat.role == Role.SALES
    assert User.objects.count() == 1

    client.logout()
    sso.set_user("pat-sub", **verified("pat@corp.test", groups=["handoff-pms", "handoff-sales"]))
    sign_in(client, sso, "pat-sub")
    pat.refresh_from_db()
    assert pat.role == Role.PM


@pytest.mark.django_db
def test_an_admin_keeps_the_admin_role_whatever_the_groups(client, sso):
    admin = UserFactory(username="op", email="op@corp.test", role=Role.ADMIN)
    sso.set_user("op", **verified("op@corp.test", groups=["handoff-sales"]))

    assert sign_in(client, sso, "op").status_code == 302

    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


@pytest.mark.django_db
@pytest.mark.parametrize("claims", [{"email_verified": False}, {}, {"email_verified": "no"}])
def test_an_unverified_email_is_refused_and_creates_nobody(client, sso, claims):
    UserFactory(username="eve", email="eve@corp.test", role=Role.PM)
    sso.set_user("eve", email="eve@corp.test", groups=["handoff-managers"], **claims)

    response = sign_in(client, sso, "eve")

    assert response.status_code == 403
    assert "has not verified the email address eve@corp.test" in response.content.decode()
    assert User.objects.get(username="eve").role == Role.PM
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_no_email_is_refused(client, sso):
    sso.set_user("nomail", groups=["handoff-sales"], email_verified=True, email="")
    response = sign_in(client, sso, "nomail")
    assert response.status_code == 403
    assert "did not send an email address" in response.content.decode()


@pytest.mark.django_db
def test_a_user_in_no_mapped_group_is_refused_when_there_is_no_default_role(client, sso, settings):
    settings.OIDC_DEFAULT_ROLE = ""
    sso.set_user("stranger", **verified("stranger@corp.test", groups=["accounting"]))

    response = sign_in(client, sso, "stranger")

    assert response.status_code == 403
    assert "none of the groups" in response.content.decode()
    assert not User.objects.filter(email="stranger@corp.test").exists()


@pytest.mark.django_db
def test_two_accounts_with_one_email_are_refused(client, sso):
    UserFactory(username="a1", email="twin@corp.test")
    UserFactory(username="a2", email="TWIN@corp.test")
    sso.set_user("twin", **verified("twin@corp.test"))
    response = sign_in(client, sso, "twin")
    assert response.status_code == 403
    assert "More than one account" in response.content.decode()


@pytest.mark.django_db
def test_a_deactivated_account_is_refused(client, sso):
    UserFactory(username="gone", email="gone@corp.test", is_active=False)
    sso.set_user("gone", **verified("gone@corp.test"))
    response = sign_in(client, sso, "gone")
    assert response.status_code == 403
    assert "deactivated" in response.content.decode()


@pytest.mark.django_db
def test_without_just_in_time_accounts_an_unknown_email_is_refused(client, sso, settings):
    settings.OIDC_CREATE_USER = False
    sso.set_user("new", **verified("new@corp.test"))
    response = sign_in(client, sso, "new")
    assert response.status_code == 403
    assert "No account has the email address new@corp.test" in response.content.decode()
    assert not User.objects.filter(email="new@corp.test").exists()


@pytest.mark.django_db
def test_a_state_this_session_did_not_start_is_refused(client, sso):
    sso.set_user("mallory", **verified("mallory@corp.test"))
    start = client.get(reverse("oidc_authentication_init"))
    parts = urlsplit(sso.authorize(start["Location"], "mallory"))
    query = parse_qs(parts.query)
    query["state"] = ["forged-state"]

    response = client.get(parts.path, query)

    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="mallory@corp.test").exists()


@pytest.mark.django_db
def test_a_callback_in_another_browser_is_refused(client, sso, django_user_model):
    from django.test import Client

    sso.set_user("victim", **verified("victim@corp.test"))
    start = client.get(reverse("oidc_authentication_init"))
    parts = urlsplit(sso.authorize(start["Location"], "victim"))

    response = Client().get(parts.path, parse_qs(parts.query))

    assert response.status_code == 400
    assert not django_user_model.objects.filter(email="victim@corp.test").exists()


@pytest.mark.django_db
def test_an_id_token_with_another_nonce_is_refused(client, sso):
    sso.set_user("replay", **verified("replay@corp.test"))
    start = client.get(reverse("oidc_authentication_init"))
    parts = urlsplit(sso.authorize(start["Location"], "replay"))
    state = parse_qs(parts.query)["state"][0]
    session = client.session
    session["oidc_states"][state]["nonce"] = "not-the-nonce-sent"
    session.save()

    response = client.get(parts.path, parse_qs(parts.query))

    assert response.status_code == 400
    assert "could not be verified" in response.content.decode()
    assert not User.objects.filter(email="replay@corp.test").exists()


@pytest.mark.django_db
def test_a_code_used_twice_is_refused(client, sso):
    sso.set_user("twice", **verified("twice@corp.test"))
    start = client.get(reverse("oidc_authentication_init"))
    parts = urlsplit(sso.authorize(start["Location"], "twice"))
    assert client.get(parts.path, parse_qs(parts.query)).status_code == 302
    client.logout()
    assert client.get(parts.path, parse_qs(parts.query)).status_code == 400


@pytest.mark.django_db
def test_the_provider_refusing_says_so(client, sso):
    start = client.get(reverse("oidc_authentication_init"))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(
        reverse("oidc_authentication_callback"),
        {"error": "access_denied", "error_description": "The user said no", "state": state},
    )
    assert response.status_code == 403
    assert "did not sign you in: The user said no." in response.content.decode()


@pytest.mark.django_db
def test_an_unreachable_provider_is_a_clear_error_not_a_500(client, settings):
    configure(settings, type("Gone", (), {"url": "http://127.0.0.1:9"})())
    settings.OIDC_TIMEOUT = 1
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 503
    assert "did not answer" in response.content.decode()
    forget_provider_configuration()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "document",
    [
        {"issuer": "https://evil.example.com"},
        {"issuer": "https://idp.example.com", "token_endpoint": "https://idp.example.com/t"},
        ["not", "an", "object"],
    ],
)
def test_a_discovery_document_that_is_not_usable_is_not_used(
    client, settings, monkeypatch, document
):
    import requests

    class Answer:
        def raise_for_status(self):
            pass

        def json(self):
            return document

    monkeypatch.setattr(requests, "get", lambda *args, **kwargs: Answer())
    settings.OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = "https://idp.example.com", "handoff"
    forget_provider_configuration()
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 503
    assert "did not answer" in response.content.decode()
    forget_provider_configuration()


@pytest.mark.django_db
def test_a_password_sign_in_never_calls_the_provider(client, sso, monkeypatch):
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("a password sign-in called the identity provider")

    monkeypatch.setattr(requests, "post", no_network)
    UserFactory(username="rita")
    response = client.post(
        reverse("login") + "?code=x&state=y", {"username": "rita", "password": "wrong"}
    )
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


# Password sign-in switched off


@pytest.mark.django_db
def test_with_password_login_off_only_admins_may_use_the_password(client, settings):
    settings.PASSWORD_LOGIN = False
    UserFactory(username="rita", role=Role.SALES)
    UserFactory(username="op", role=Role.ADMIN)

    refused = client.post(reverse("login"), {"username": "rita", "password": PASSWORD})
    assert refused.status_code == 200
    assert "Signing in with a password is turned off" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    allowed = client.post(reverse("login"), {"username": "op", "password": PASSWORD})
    assert allowed.status_code == 302


@pytest.mark.django_db
def test_with_password_login_off_the_token_endpoint_refuses_all_but_admins(client, settings):
    settings.PASSWORD_LOGIN = False
    UserFactory(username="rita", role=Role.SALES)
    UserFactory(username="op", role=Role.ADMIN)
    url = reverse("api:token")

    refused = client.post(
        url, {"username": "rita", "password": PASSWORD}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert "turned off" in str(refused.json())

    allowed = client.post(
        url, {"username": "op", "password": PASSWORD}, content_type="application/json"
    )
    assert allowed.status_code == 200
    assert "token" in allowed.json()


@pytest.mark.django_db
def test_the_claim_saying_the_email_is_verified_can_be_another(client, sso, settings):
    settings.OIDC_EMAIL_VERIFIED_CLAIM = "xms_edov"
    sso.set_user("entra", email="entra@corp.test", email_verified=True, groups=["handoff-pms"])
    assert sign_in(client, sso, "entra").status_code == 403
    client.logout()
    sso.set_user("entra", email="entra@corp.test", xms_edov=True, groups=["handoff-pms"])
    assert sign_in(client, sso, "entra").status_code == 302
    assert User.objects.get(email="entra@corp.test").role == Role.PM


@pytest.mark.django_db
def test_refused_single_sign_ons_lock_no_one_out(client, sso, settings):
    from axes.models import AccessAttempt

    sso.set_user("eve", email="eve@corp.test", email_verified=False)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert sign_in(client, sso, "eve").status_code == 403
    assert not AccessAttempt.objects.exists()
    sso.set_user("ann", **verified("ann@corp.test"))
    assert sign_in(client, sso, "ann").status_code == 302
