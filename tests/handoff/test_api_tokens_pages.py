"""The API tokens page under Settings: the list, a new token's secret shown once, revoke."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from handoff.token_models import ApiToken
from handoff.tokens import services

URL = "/settings/api-tokens/"


def make(user, name="CRM sync", scopes=("read",)):
    return services.api_token_create(actor=user, name=name, scopes=list(scopes))


def form(**changes):
    data = {
        "name": "CRM sync",
        "scopes": ["read", "write"],
        "expires_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


@pytest.mark.django_db
class TestPage:
    def test_settings_links_to_it(self, client_for, rep):
        make(rep)
        body = client_for(rep).get("/settings/").content.decode()
        assert "API tokens" in body and URL in body and "1 live token" in body

    def test_the_anonymous_go_to_the_login_page(self, client):
        assert client.get(URL).status_code == 302

    def test_empty_state(self, client_for, rep):
        body = client_for(rep).get(URL).content.decode()
        assert "No API tokens yet." in body
        assert "Make token" in body

    def test_make_a_token_and_see_its_secret_once(self, client_for, rep):
        http = client_for(rep)
        response = http.post(URL, form())
        assert response.status_code == 302

        token = ApiToken.objects.get(user=rep)
        shown = http.get(URL).content.decode()
        assert "shown once" in shown
        secret = shown.split('id="api-token-secret">')[1].split("<")[0]
        assert services.hash_of(secret) == token.key_hash
        assert token.scopes == ["read", "write"]
        assert token.expires_at.date() == timezone.localdate() + datetime.timedelta(days=30)
        again = http.get(URL).content.decode()
        assert secret not in again and token.prefix in again

    def test_no_expiry(self, client_for, rep):
        client_for(rep).post(URL, form(expires_on=""))
        assert ApiToken.objects.get(user=rep).expires_at is None

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"name": ""}, "This field is required."),
            ({"name": "x" * 101}, "at most 100 characters"),
            ({"scopes": []}, "Choose at least one scope."),
            ({"scopes": ["sudo"]}, "Select a valid choice"),
            ({"expires_on": timezone.localdate().isoformat()}, "Choose a day after today."),
            ({"expires_on": "2000-01-01"}, "Choose a day after today."),
            ({"expires_on": "9999-12-31"}, "expires within a year"),
            ({"expires_on": "soon"}, "Enter a valid date."),
        ],
    )
    def test_errors_are_shown_and_the_input_kept(self, client_for, rep, changes, message):
        response = client_for(rep).post(URL, form(**({"name": "Warehouse feed"} | changes)))

        assert response.status_code == 400
        body = response.content.decode()
        assert message in body
        if "name" not in changes:
            assert 'value="Warehouse feed"' in body
        assert not ApiToken.objects.exists()

    def test_a_duplicate_name_is_an_error_on_the_field(self, client_for, rep):
        make(rep, name="CRM sync")
        response = client_for(rep).post(URL, form())
        assert response.status_code == 400
        assert "revoke it first" in response.content.decode()

    def test_one_sees_only_ones_own_tokens(self, client_for, rep, rep2):
        make(rep2, name="Their secret feed")
        assert "Their secret feed" not in client_for(rep).get(URL).content.decode()

    def test_the_list_costs_the_same_for_1_and_20_tokens(
        self, client_for, rep, django_assert_num_queries
    ):
        make(rep, name="t0")
        http = client_for(rep)
        with CaptureQueriesContext(connection) as one:
            http.get(URL)
        for n in range(1, 20):
            make(rep, name=f"t{n}")
        with django_assert_num_queries(len(one)):
            body = http.get(URL).content.decode()
        assert body.count('data-status="live"') == 20

    def test_pages_of_25(self, client_for, rep):
        revoked, _ = make(rep, name="old")
        services.api_token_revoke(token=revoked, actor=rep)
        for n in range(25):
            make(rep, name=f"t{n}")
        http = client_for(rep)
        first = http.get(URL).content.decode()
        assert first.count("<tr id=") == 25 and "Page 1 of 2" in first
        second = http.get(URL, {"page": 2}).content.decode()
        assert 'data-status="revoked"' in second and second.count("<tr id=") == 1


@pytest.mark.django_db
class TestRevoke:
    def test_asks_first_then_revokes(self, client_for, rep):
        token, _ = make(rep)
        http = client_for(rep)
        url = f"{URL}{token.pk}/revoke/"

        asked = http.get(url)
        assert asked.status_code == 200 and "Revoke the token “CRM sync”?" in asked.content.decode()
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None
        done = http.post(url)
        assert done.status_code == 302
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
        page = http.get(URL).content.decode()
        assert "revoked: it no longer works" in page and 'data-status="revoked"' in page

    def test_twice_is_a_message(self, client_for, rep):
        token, _ = make(rep)
        http = client_for(rep)
        http.post(f"{URL}{token.pk}/revoke/")
        again = http.post(f"{URL}{token.pk}/revoke/", follow=True)
        assert "already revoked" in again.content.decode()
        asked = http.get(f"{URL}{token.pk}/revoke/", follow=True)
        assert asked.redirect_chain[-1][0] == URL
        assert "already revoked" in asked.content.decode()

    def test_another_users_token_is_not_found(self, client_for, rep, rep2, manager):
        token, _ = make(rep)
        for other in (rep2, manager):
            assert client_for(other).get(f"{URL}{token.pk}/revoke/").status_code == 404
            assert client_for(other).post(f"{URL}{token.pk}/revoke/").status_code == 404
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None
