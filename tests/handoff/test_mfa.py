"""Two-factor authentication: setting up an app, the code after the password, recovery codes,
wrong codes under the login lockout, turning it off, mandatory for managers, and the API."""

import re
from binascii import unhexlify

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client as HttpClient
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from handoff.auth import mfa
from handoff.models import Role
from tests.factories import PASSWORD, UserFactory


def code_for(key: str, ahead: int = 0) -> str:
    """The code an app shows now for this key (or `ahead` steps later)."""
    return f"{TOTP(unhexlify(key), drift=ahead).token():06d}"


def with_app(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    mfa.regenerate_recovery_codes(user=user)
    return device


def log_in(http, username, password=PASSWORD, next_url=""):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    return http.post(url, {"username": username, "password": password, "next": next_url})


def signed_in(http) -> bool:
    return "_auth_user_id" in http.session


@pytest.fixture
def no_throttle(settings):
    """django-otp's own back-off (1 s, 2 s, 4 s… after wrong codes) off, to count attempts."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# Setting up an app


@pytest.mark.django_db
def test_setup_shows_a_qr_code_and_the_secret_and_a_right_code_turns_it_on(client_for, rep):
    http = client_for(rep)
    page = http.get(reverse("mfa_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<path" in html
    token = re.search(r'name="setup" value="([^"]+)"', html).group(1)
    key = mfa.setup_key(rep, token)
    assert mfa.format_secret(mfa.secret_of(key)) in html
    assert not TOTPDevice.objects.exists()  # nothing written until it is confirmed

    done = http.post(reverse("mfa_setup"), {"setup": token, "code": code_for(key)})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        assert code in done.content.decode()
    assert "no-store" in done["Cache-Control"]
    device = TOTPDevice.objects.get(user=rep)
    assert device.confirmed and device.key == key
    assert StaticToken.objects.filter(device__user=rep).count() == 10
    assert mfa.session_verified(http)
    assert "<strong>On.</strong>" in http.get(reverse("settings")).content.decode()


@pytest.mark.django_db
def test_a_wrong_code_at_setup_says_so_and_turns_nothing_on(client_for, rep):
    http = client_for(rep)
    key = mfa.new_key()
    token = mfa.setup_token(rep, key)
    wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"

    response = http.post(reverse("mfa_setup"), {"setup": token, "code": wrong})

    assert response.status_code == 400
    assert "That code does not match" in response.content.decode()
    assert mfa.setup_key(rep, response.context["setup_token"]) == key  # the same QR code again
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ["not-signed", "other-user", "expired"])
def test_a_setup_token_that_is_not_this_users_or_has_expired_is_refused(
    client_for, rep, rep2, settings, forged
):
    key = mfa.new_key()
    if forged == "not-signed":
        token = "eyJ1c2VyIjoxfQ:forged:signature"
    elif forged == "other-user":
        token = mfa.setup_token(rep2, key)
    else:
        token = mfa.setup_token(rep, key)
        settings.MFA_SETUP_MAX_AGE = -1
    response = client_for(rep).post(reverse("mfa_setup"), {"setup": token, "code": code_for(key)})
    assert response.status_code == 400
    assert "This setup expired" in response.content.decode()
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_setup_with_an_app_already_on_goes_back_to_settings(client_for, rep):
    with_app(rep)
    response = client_for(rep).get(reverse("mfa_setup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("settings")


# The code after the password


@pytest.mark.django_db
def test_the_password_alone_does_not_sign_in_an_account_with_an_app(rep):
    device = with_app(rep)
    http = HttpClient()

    response = log_in(http, "rep", next_url="/deals/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_verify")
    assert not signed_in(http)
    assert http.get(reverse("home")).status_code == 302  # still the login page

    done = http.post(reverse("mfa_verify"), {"code": code_for(device.key)})
    assert done.status_code == 302
    assert done["Location"] == "/deals/"
    assert signed_in(http) and mfa.session_verified(http)


@pytest.mark.django_db
def test_a_wrong_code_is_refused_with_a_reason(rep):
    device = with_app(rep)
    http = HttpClient()
    log_in(http, "rep")
    wrong = f"{(int(code_for(device.key)) + 1) % 1_000_000:06d}"

    response = http.post(reverse("mfa_verify"), {"code": wrong})

    assert response.status_code == 400
    assert "That code does not match" in response.content.decode()
    assert not signed_in(http)


@pytest.mark.django_db
def test_wrong_codes_in_a_row_wait_before_the_next_try(rep):
    device = with_app(rep)
    http = HttpClient()
    log_in(http, "rep")
    http.post(reverse("mfa_verify"), {"code": "000000"})
    response = http.post(reverse("mfa_verify"), {"code": code_for(device.key)})
    assert response.status_code == 400
    assert "Too many wrong codes in a row: wait" in response.content.decode()
    assert not signed_in(http)


@pytest.mark.django_db
def test_wrong_codes_count_towards_the_login_lockout(rep, settings, no_throttle):
    device = with_app(rep)
    http = HttpClient(REMOTE_ADDR="192.0.2.9")
    log_in(http, "rep")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert http.post(reverse("mfa_verify"), {"code": "000000"}).status_code == 400

    locked = http.post(reverse("mfa_verify"), {"code": "000000"})

    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    # Locked: the password again, and then the right code, are refused.
    assert log_in(http, "rep").status_code == 429
    assert http.post(reverse("mfa_verify"), {"code": code_for(device.key)}).status_code == 302
    assert not signed_in(http)


@pytest.mark.django_db
def test_a_recovery_code_signs_in_once(rep):
    with_app(rep)
    code = StaticToken.objects.filter(device__user=rep).first().token
    http = HttpClient()
    log_in(http, "rep")

    done = http.post(reverse("mfa_verify"), {"code": code.upper()[:4] + " " + code[4:]})

    assert done.status_code == 302
    assert signed_in(http)
    assert not StaticToken.objects.filter(token=code).exists()
    home = http.get(done["Location"])
    assert "You signed in with a recovery code; 9 left." in home.content.decode()

    again = HttpClient()
    log_in(again, "rep")
    reused = again.post(reverse("mfa_verify"), {"code": code})
    assert reused.status_code == 400
    assert "already used" in reused.content.decode()


@pytest.mark.django_db
def test_a_sign_in_waiting_too_long_for_its_code_starts_again(rep, settings):
    device = with_app(rep)
    http = HttpClient()
    log_in(http, "rep")
    settings.MFA_LOGIN_MAX_AGE = -1
    response = http.post(reverse("mfa_verify"), {"code": code_for(device.key)})
    assert response["Location"] == reverse("login")
    assert not signed_in(http)


@pytest.mark.django_db
def test_an_outside_next_page_is_not_followed(rep):
    device = with_app(rep)
    http = HttpClient()
    log_in(http, "rep", next_url="https://evil.example.com/")
    response = http.post(reverse("mfa_verify"), {"code": code_for(device.key)})
    assert response["Location"] == reverse("home")


# Recovery codes and turning it off


@pytest.mark.django_db
def test_new_recovery_codes_need_the_password_and_replace_the_old(client_for, rep):
    with_app(rep)
    old = set(StaticToken.objects.values_list("token", flat=True))
    http = client_for(rep)

    wrong = http.post(reverse("mfa_recovery_codes"), {"password": "nope"})
    assert wrong.status_code == 400
    assert "That is not your password." in wrong.content.decode()
    assert set(StaticToken.objects.values_list("token", flat=True)) == old

    done = http.post(reverse("mfa_recovery_codes"), {"password": PASSWORD})
    assert done.status_code == 200
    new = set(done.context["codes"])
    assert len(new) == 10 and not new & old
    assert set(StaticToken.objects.values_list("token", flat=True)) == new


@pytest.mark.django_db
def test_turning_it_off_needs_the_password(client_for, rep):
    with_app(rep)
    http = client_for(rep)
    assert http.get(reverse("mfa_disable")).status_code == 200

    assert http.post(reverse("mfa_disable"), {"password": "nope"}).status_code == 400
    assert TOTPDevice.objects.filter(user=rep).exists()

    done = http.post(reverse("mfa_disable"), {"password": PASSWORD})
    assert done["Location"] == reverse("settings")
    assert not TOTPDevice.objects.filter(user=rep).exists()
    assert not StaticDevice.objects.filter(user=rep).exists()
    assert log_in(HttpClient(), "rep")["Location"] == reverse("home")


# Mandatory for managers and admins


@pytest.mark.django_db
def test_when_required_a_manager_sets_up_an_app_before_anything_else(manager, settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = True
    http = HttpClient()
    assert log_in(http, manager.username)["Location"] == reverse("home")

    held = http.get("/deals/?status=draft")
    assert held.status_code == 302
    assert held["Location"] == reverse("mfa_setup") + "?next=%2Fdeals%2F%3Fstatus%3Ddraft"
    api = http.get("/api/v1/deals/")
    assert api.status_code == 403
    assert api.json()["code"] == "mfa_setup_required"

    page = http.get(held["Location"])
    assert page.status_code == 200
    assert "Managers and admins must use two-factor authentication" in page.content.decode()
    token = page.context["setup_token"]
    key = mfa.setup_key(manager, token)
    done = http.post(
        reverse("mfa_setup"), {"setup": token, "code": code_for(key), "next": "/deals/"}
    )
    assert done.status_code == 200
    assert done.context["next"] == "/deals/"
    assert http.get("/deals/").status_code == 200


@pytest.mark.django_db
def test_when_required_a_session_from_before_the_app_asks_for_its_code(manager, settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = True
    device = with_app(manager)
    http = HttpClient()
    http.force_login(manager)

    held = http.get("/deals/")
    assert held["Location"] == reverse("mfa_verify") + "?next=%2Fdeals%2F"
    done = http.post(held["Location"], {"code": code_for(device.key)})
    assert done["Location"] == "/deals/"
    assert http.get("/deals/").status_code == 200


@pytest.mark.django_db
def test_when_required_it_cannot_be_turned_off_by_a_manager(client_for, manager, settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = True
    device = with_app(manager)
    http = client_for(manager)
    mfa_session = http.session
    mfa_session["otp_device_id"] = device.persistent_id
    mfa_session.save()

    response = http.post(reverse("mfa_disable"), {"password": PASSWORD})

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=manager).exists()


@pytest.mark.django_db
def test_when_required_reps_and_single_sign_on_sessions_go_on(client_for, rep, manager, settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = True
    assert client_for(rep).get("/deals/").status_code == 200
    http = client_for(manager)
    session = http.session
    session[BACKEND_SESSION_KEY] = mfa.OIDC_BACKEND
    session.save()
    assert http.get("/deals/").status_code == 200


@pytest.mark.django_db
def test_while_not_required_the_middleware_costs_no_query(client_for, manager, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        http = client_for(manager)
        with CaptureQueriesContext(connection) as captured:
            assert http.get("/deals/").status_code == 200
        return len(captured)

    with_middleware = queries()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("handoff.auth.")]
    assert with_middleware == queries()


# The API


@pytest.mark.django_db
def test_the_token_endpoint_asks_an_account_with_an_app_for_its_code(rep, no_throttle):
    device = with_app(rep)
    api = APIClient()
    url = reverse("api:token")

    missing = api.post(url, {"username": "rep", "password": PASSWORD})
    assert missing.status_code == 400
    assert "send its code as otp" in missing.json()["otp"][0]

    wrong = api.post(url, {"username": "rep", "password": PASSWORD, "otp": "000000"})
    assert wrong.status_code == 400
    assert "does not match" in str(wrong.json())

    right = api.post(url, {"username": "rep", "password": PASSWORD, "otp": code_for(device.key)})
    assert right.status_code == 200
    assert right.json()["token"]


@pytest.mark.django_db
def test_wrong_codes_on_the_token_endpoint_lock_it_like_the_login_page(rep, settings, no_throttle):
    device = with_app(rep)
    api = APIClient(REMOTE_ADDR="192.0.2.10")
    url = reverse("api:token")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = api.post(url, {"username": "rep", "password": PASSWORD, "otp": "000000"})
    assert last.status_code == 429
    assert last.json()["code"] == "locked_out"
    right = api.post(url, {"username": "rep", "password": PASSWORD, "otp": code_for(device.key)})
    assert right.status_code == 429


@pytest.mark.django_db
def test_a_manager_without_an_app_gets_no_token_when_it_is_required(manager, settings):
    settings.MFA_REQUIRED_FOR_MANAGERS = True
    response = APIClient().post(
        reverse("api:token"), {"username": manager.username, "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "Set up two-factor authentication" in response.json()["detail"]


@pytest.mark.django_db
def test_the_api_sets_up_renews_and_turns_off_two_factor(rep):
    api = APIClient()
    api.force_authenticate(rep)
    assert api.get("/api/v1/auth/two-factor/").json() == {
        "enabled": False,
        "recovery_codes_left": 0,
        "required": False,
    }
    started = api.post("/api/v1/auth/two-factor/setup/").json()
    key = mfa.setup_key(rep, started["setup"])
    assert started["otpauth_url"].startswith("otpauth://totp/Handoff%3Arep?secret=")
    assert started["secret"] == mfa.secret_of(key)

    bad = api.post("/api/v1/auth/two-factor/confirm/", {"setup": started["setup"], "code": "12"})
    assert bad.status_code == 400
    assert not TOTPDevice.objects.exists()
    confirmed = api.post(
        "/api/v1/auth/two-factor/confirm/", {"setup": started["setup"], "code": code_for(key)}
    )
    assert confirmed.status_code == 201
    assert len(confirmed.json()["recovery_codes"]) == 10
    assert api.get("/api/v1/auth/two-factor/").json()["recovery_codes_left"] == 10
    assert api.post("/api/v1/auth/two-factor/setup/").status_code == 403

    renewed = api.post("/api/v1/auth/two-factor/recovery-codes/", {"password": PASSWORD})
    assert renewed.status_code == 201
    assert set(renewed.json()["recovery_codes"]).isdisjoint(confirmed.json()["recovery_codes"])

    assert api.post("/api/v1/auth/two-factor/disable/", {"password": "nope"}).status_code == 400
    assert api.post("/api/v1/auth/two-factor/disable/", {"password": PASSWORD}).status_code == 204
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_the_settings_page_says_whether_two_factor_is_on(client_for, rep):
    http = client_for(rep)
    assert "Set up two-factor authentication" in http.get(reverse("settings")).content.decode()
    with_app(rep)
    page = http.get(reverse("settings")).content.decode()
    assert "You have 10 unused recovery codes." in page
    assert "Turn off two-factor authentication" in page


@pytest.mark.django_db
def test_an_account_of_single_sign_on_is_told_its_provider_asks(client_for):
    user = UserFactory(username="sso-only", role=Role.SALES)
    user.set_unusable_password()
    user.save()
    http = client_for(user)
    assert (
        "your identity provider asks for the second factor"
        in http.get(reverse("settings")).content.decode()
    )
    assert http.get(reverse("mfa_setup"))["Location"] == reverse("settings")


@pytest.mark.django_db
def test_the_admin_login_page_is_no_way_round_the_code():
    staff = UserFactory(username="op", role=Role.ADMIN, is_staff=True, is_superuser=True)
    with_app(staff)
    http = HttpClient()
    response = http.post(reverse("admin:login"), {"username": "op", "password": PASSWORD})
    assert response.status_code == 200
    assert "log in on the main login page" in response.content.decode()
    assert not signed_in(http)


@pytest.mark.django_db
def test_the_admin_login_page_keeps_password_login_off(settings):
    settings.PASSWORD_LOGIN = False
    UserFactory(username="staffer", role=Role.MANAGER, is_staff=True)
    http = HttpClient()
    response = http.post(reverse("admin:login"), {"username": "staffer", "password": PASSWORD})
    assert "Signing in with a password is turned off" in response.content.decode()
    assert not signed_in(http)
