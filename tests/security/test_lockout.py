"""Login lockout: by the username and address together, the address read through trusted
proxies only, and the same message on the login page and the token endpoint."""

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD

PROXY = "10.0.0.2"  # the TLS proxy every request comes through


def _log_in(http, username, password, **meta):
    return http.post(reverse("login"), {"username": username, "password": password}, **meta)


def _fail_until_locked(http, username, **meta):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _log_in(http, username, f"wrong-{n}", **meta)


@pytest.mark.django_db
class TestLockedByUsernameAndAddress:
    def test_one_persons_typos_lock_out_no_one_else_behind_the_same_address(self, rep, pm):
        http = HttpClient(REMOTE_ADDR=PROXY)
        _fail_until_locked(http, "rep")
        assert _log_in(http, "rep", PASSWORD).status_code == 429
        colleague = HttpClient(REMOTE_ADDR=PROXY)
        assert _log_in(colleague, "pm", PASSWORD).status_code == 302

    def test_the_locked_pair_stays_locked_whatever_the_password(self, rep):
        http = HttpClient(REMOTE_ADDR="192.0.2.7")
        _fail_until_locked(http, "rep")
        locked = _log_in(http, "rep", PASSWORD)
        assert locked.status_code == 429
        assert "_auth_user_id" not in http.session


@pytest.mark.django_db
class TestClientAddressBehindProxies:
    def test_without_a_trusted_proxy_a_forged_header_changes_nothing(self, rep):
        http = HttpClient(REMOTE_ADDR=PROXY)
        for n in range(settings.AXES_FAILURE_LIMIT):
            _log_in(http, "rep", f"wrong-{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        response = _log_in(http, "rep", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")
        assert response.status_code == 429

    def test_behind_one_trusted_proxy_each_client_is_told_apart(self, settings, rep):
        settings.TRUSTED_PROXY_COUNT = 1
        office = HttpClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
        _fail_until_locked(office, "rep")
        assert _log_in(office, "rep", PASSWORD).status_code == 429
        # A forged left-most hop does not help: the proxy's own entry is the last one.
        forged = HttpClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
        assert _log_in(forged, "rep", PASSWORD).status_code == 429
        home = HttpClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")
        assert _log_in(home, "rep", PASSWORD).status_code == 302

    def test_client_ip_reads_the_address_the_outermost_trusted_proxy_saw(self, settings, rf):
        from handoff.security import client_ip

        request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2, 3.3.3.3")
        settings.TRUSTED_PROXY_COUNT = 0
        assert client_ip(request) == PROXY
        settings.TRUSTED_PROXY_COUNT = 1
        assert client_ip(request) == "3.3.3.3"
        settings.TRUSTED_PROXY_COUNT = 2
        assert client_ip(request) == "2.2.2.2"
        settings.TRUSTED_PROXY_COUNT = 9
        assert client_ip(request) == "1.1.1.1"


@pytest.mark.django_db
class TestTokenEndpoint:
    def test_the_token_endpoint_locks_out_with_the_login_pages_message(self, rep):
        api = APIClient(REMOTE_ADDR="192.0.2.8")
        url = reverse("api:token")
        for n in range(settings.AXES_FAILURE_LIMIT):
            assert api.post(url, {"username": "rep", "password": f"wrong-{n}"}).status_code in (
                400,
                429,
            )
        locked = api.post(url, {"username": "rep", "password": PASSWORD})
        assert locked.status_code == 429
        body = locked.json()
        limit = settings.AXES_FAILURE_LIMIT
        expected = (
            f"There were {limit} failed attempts to log in as rep, so this account is locked "
            "for 1 hour."
        )
        assert body == {
            "detail": f"{expected} Try again later, or reset your password.",
            "code": "locked_out",
        }
        page = _log_in(HttpClient(REMOTE_ADDR="192.0.2.8"), "rep", PASSWORD)
        assert page.status_code == 429
        assert expected in page.content.decode()
