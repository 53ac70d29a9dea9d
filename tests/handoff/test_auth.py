"""Sign-in: login, logout, lockout after repeated failures, password change and reset."""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture
def login_url():
    return reverse("login")


def test_login_page_has_the_labelled_fields(client, login_url):
    response = client.get(login_url)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert ">Log in</button>" in html


def test_login_with_the_right_password_goes_home(client, rep, login_url):
    response = client.post(login_url, {"username": "rep", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == rep


def test_login_follows_next(client, rep, login_url):
    response = client.post(
        f"{login_url}?next=/accounts/password/change/",
        {"username": "rep", "password": PASSWORD, "next": "/accounts/password/change/"},
    )

    assert response.url == "/accounts/password/change/"


def test_login_refuses_an_outside_next(client, rep, login_url):
    response = client.post(
        login_url, {"username": "rep", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response.url == reverse("home")


def test_wrong_password_explains_and_keeps_the_username(client, rep, login_url):
    response = client.post(login_url, {"username": "rep", "password": "wrong"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "That username and password do not match" in html
    assert 'value="rep"' in html
    assert "wrong" not in html
    assert "_auth_user_id" not in client.session


def test_signed_in_user_opening_login_goes_home(client_for, rep, login_url):
    response = client_for(rep).get(login_url)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_home_sends_an_anonymous_visitor_to_login(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_logout_is_a_post(client_for, rep):
    http = client_for(rep)

    refused = http.get(reverse("logout"))
    assert refused.status_code == 405
    assert http.get(reverse("home")).status_code == 200

    response = http.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert http.get(reverse("home")).status_code == 302


def test_lockout_after_repeated_failures_shows_a_clear_message(client, rep, login_url):
    limit = settings.AXES_FAILURE_LIMIT
    responses = [
        client.post(login_url, {"username": "rep", "password": f"wrong-{n}"}) for n in range(limit)
    ]

    assert [r.status_code for r in responses[:-1]] == [200] * (limit - 1)
    locked = responses[-1]
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Account temporarily locked" in html
    assert f"There were {limit} failed attempts" in html
    assert "reset your password" in html

    still_locked = client.post(login_url, {"username": "rep", "password": PASSWORD})
    assert still_locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_below_the_limit_are_forgotten_after_a_success(client, rep, login_url):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(login_url, {"username": "rep", "password": f"wrong-{n}"})
    assert client.post(login_url, {"username": "rep", "password": PASSWORD}).status_code == 302
    client.post(reverse("logout"))

    response = client.post(login_url, {"username": "rep", "password": "wrong-again"})

    assert response.status_code == 200


def test_password_change(client_for, rep, client):
    http = client_for(rep)
    url = reverse("password_change")
    assert http.get(url).status_code == 200

    response = http.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("password_change_done")
    assert http.get(response.url).status_code == 200
    rep.refresh_from_db()
    assert rep.check_password(NEW_PASSWORD)


def test_password_change_applies_the_validators(client_for, rep):
    response = client_for(rep).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)


def test_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_password_reset_sends_a_link_that_works_once(
    client, rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": rep.email})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [rep.email]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    rep.refresh_from_db()
    assert rep.check_password(NEW_PASSWORD)

    again = client.get(link.group(1), follow=True)
    assert again.context["validlink"] is False
    assert "This reset link is invalid or was already used" in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, rep):
    response = client.post(reverse("password_reset"), {"email": "nobody@handoff.test"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_is_written_to_the_outbox_not_sent_in_the_request(
    client, rep, django_capture_on_commit_callbacks, monkeypatch
):
    from feedback import outbox
    from feedback.models import EmailOutbox, OutboxStatus

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("password_reset"), {"email": rep.email})
    assert response.status_code == 302
    assert mail.outbox == []  # nothing sent inside the request
    email = EmailOutbox.objects.get(to_address=rep.email)
    assert (email.kind, email.status) == ("password_reset", OutboxStatus.PENDING)
    assert "/accounts/password/reset/" in email.text_body

    def mail_server_down(self, fail_silently=False):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", mail_server_down)
    for callback in callbacks:
        callback()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboxStatus.PENDING, 1)  # kept for a retry
    monkeypatch.undo()
    outbox.sweep(now=timezone.now() + datetime.timedelta(hours=1))
    assert [m.to for m in mail.outbox] == [[rep.email]]


def test_password_reset_for_an_unknown_address_writes_nothing(client, db):
    from feedback.models import EmailOutbox

    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert not EmailOutbox.objects.exists()
