"""Sessions, forms and headers: CSRF on every POST, cookies, login and logout, lockout, reset."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from tests.factories import PASSWORD
from tests.security.route_expectations import EXPECTATIONS
from tests.security.routes import all_routes

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "HTTPS": "true",
    "DEBUG": "false",
    "SECRET_KEY": "production-like-" + "k" * 60,
    "ALLOWED_HOSTS": "handoff.example.com",
}


def production_settings(*names: str) -> dict:
    """Settings as production loads them: a fresh interpreter with production's environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "HTTPS")},
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_httponly_and_same_site():
    found = production_settings(
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["SESSION_COOKIE_HTTPONLY"] is True
    assert found["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] >= 31536000
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_production_refuses_the_development_secret():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_check_deploy_is_clean_under_production_settings():
    env = {**os.environ, **PRODUCTION_ENV}
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.django_db
class TestSecurityHeaders:
    def test_a_page_carries_csp_frame_referrer_and_nosniff(self, client_for, rep):
        response = client_for(rep).get(reverse("home"))
        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        for sources in directives.values():
            assert all(s in ("'self'", "'none'", "data:") for s in sources), csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_the_login_page_too(self, client):
        response = client.get(reverse("login"))
        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"

    def test_hsts_on_https_in_production(self, settings, client_for, rep):
        settings.SECURE_HSTS_SECONDS = 31536000
        settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        response = client_for(rep).get(reverse("home"), secure=True)
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "includeSubDomains" in response["Strict-Transport-Security"]

    def test_no_page_has_inline_script_style_or_handlers(self, world):
        """The CSP forbids them; a page that used one would break in the browser."""
        from tests.security.test_route_matrix import _resolve_params

        checked = []
        for role in ("rep", "pm", "manager"):
            http = HttpClient()
            http.force_login(world.users[role])
            for route in all_routes():
                expect = EXPECTATIONS.get(route.key)
                if route.is_api or not expect or expect.methods.get("GET", {}).get(role) != 200:
                    continue
                url = reverse(route.key, kwargs=_resolve_params(route, expect.params, world))
                response = http.get(url)
                if "html" not in response.get("Content-Type", ""):
                    continue
                body = response.content.decode()
                # json_script data blocks are not executed, so the CSP lets them be.
                inline = r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>"
                assert not re.search(inline, body), f"inline script: {url}"
                assert not re.search(r"\sstyle=", body), f"style attribute: {url}"
                assert not re.search(r"<[^>]+\son[a-z]+=", body), f"on* handler: {url}"
                checked.append(url)
        assert len(checked) > 20


def _post_routes():
    """Every route the matrix expects to take a POST."""
    return [r for r in all_routes() if "POST" in getattr(EXPECTATIONS.get(r.key), "methods", {})]


@pytest.mark.django_db
class TestCsrf:
    def _signed_in(self, user) -> HttpClient:
        http = HttpClient(enforce_csrf_checks=True)
        http.force_login(user)
        return http

    def test_every_post_without_a_token_is_refused(self, world):
        from tests.security.test_route_matrix import _resolve_params

        manager = world.users["manager"]
        refused, passed = 0, []
        for route in _post_routes():
            expect = EXPECTATIONS[route.key]
            url = reverse(route.key, kwargs=_resolve_params(route, expect.params, world))
            http = self._signed_in(manager)
            for headers in ({}, {"HX-Request": "true"}):
                response = http.post(url, {}, headers=headers)
                if response.status_code == 403:
                    refused += 1
                else:
                    passed.append(f"{route.key} {headers}: {response.status_code}")
        assert not passed, "POST without a CSRF token was not refused:\n" + "\n".join(passed)
        assert refused >= 2

    def test_htmx_post_with_the_header_token_goes_through(self, world):
        rep = world.users["rep"]
        deal = world.deals["in_review"]
        http = self._signed_in(rep)
        page = http.get(deal.get_absolute_url())
        token = page.cookies[settings.CSRF_COOKIE_NAME].value
        url = reverse("deals:comment", kwargs={"pk": deal.pk})
        refused = http.post(url, {"comment-body": "No token"}, headers={"HX-Request": "true"})
        assert refused.status_code == 403
        accepted = http.post(
            url,
            {"comment-body": "With the token htmx sends"},
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        assert accepted.status_code in (200, 204, 302)
        assert deal.comments.filter(body="With the token htmx sends").exists()
        assert not deal.comments.filter(body="No token").exists()

    def test_api_with_session_needs_the_token_and_api_with_a_token_does_not(self, world):
        from rest_framework.authtoken.models import Token

        rep = world.users["rep"]
        http = self._signed_in(rep)
        url = reverse("api:deal-lose", kwargs={"pk": world.deals["in_review"].pk})
        refused = http.post(url, {"reason": "x"}, content_type="application/json")
        assert refused.status_code == 403
        token = Token.objects.create(user=rep)
        bare = HttpClient(enforce_csrf_checks=True)
        done = bare.post(
            url,
            {"reason": "Budget cut"},
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )
        assert done.status_code == 200, done.content


@pytest.mark.django_db
class TestLoginAndLogout:
    def _log_in(self, http: HttpClient, username: str, password: str = PASSWORD):
        return http.post(reverse("login"), {"username": username, "password": password})

    def test_the_session_key_rotates_at_login(self, rep):
        http = HttpClient()
        session = http.session
        session["visited"] = True
        session.save()
        http.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        before = session.session_key
        response = self._log_in(http, "rep")
        assert response.status_code == 302
        after = http.cookies[settings.SESSION_COOKIE_NAME].value
        assert after and after != before
        # The pre-login key no longer exists: a fixated session cannot ride the login.
        fixated = HttpClient()
        fixated.cookies[settings.SESSION_COOKIE_NAME] = before
        assert fixated.get(reverse("home")).status_code == 302

    def test_logout_invalidates_the_old_session_cookie(self, rep):
        http = HttpClient()
        self._log_in(http, "rep")
        old = http.cookies[settings.SESSION_COOKIE_NAME].value
        assert http.get(reverse("home")).status_code == 200
        assert http.post(reverse("logout")).status_code == 302
        replay = HttpClient()
        replay.cookies[settings.SESSION_COOKIE_NAME] = old
        response = replay.get(reverse("home"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_logout_by_get_is_refused(self, client_for, rep):
        assert client_for(rep).get(reverse("logout")).status_code == 405

    def test_repeated_failures_lock_the_account_out(self, rep):
        http = HttpClient()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = self._log_in(http, "rep", "wrong-password")
            assert response.status_code in (200, 429)
        locked = self._log_in(http, "rep")
        assert locked.status_code in (403, 429)
        assert "_auth_user_id" not in http.session
        assert http.get(reverse("home")).status_code == 302

    def test_a_success_before_the_limit_resets_the_count(self, rep):
        http = HttpClient()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            self._log_in(http, "rep", "wrong-password")
        assert self._log_in(http, "rep").status_code == 302

    def test_password_reset_by_email_works_once(self, rep, django_capture_on_commit_callbacks):
        http = HttpClient()
        with django_capture_on_commit_callbacks(execute=True):
            response = http.post(reverse("password_reset"), {"email": rep.email})
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
        assert link, mail.outbox[0].body
        form = http.get(link.group(1), follow=True)
        assert form.context["validlink"] is True
        new_password = "a-new-and-long-pass-phrase-42"
        done = http.post(
            form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
            {"new_password1": new_password, "new_password2": new_password},
        )
        assert done.status_code == 302
        assert self._log_in(HttpClient(), "rep", new_password).status_code == 302
        again = HttpClient().get(link.group(1), follow=True)
        assert again.context["validlink"] is False

    def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(self, db):
        response = HttpClient().post(reverse("password_reset"), {"email": "nobody@example.com"})
        assert response.status_code == 302
        assert mail.outbox == []
