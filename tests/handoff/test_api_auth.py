"""Token sign-in for the API."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def api():
    return APIClient()


def test_token_url(db):
    assert reverse("api:token") == TOKEN_URL


def test_token_for_the_right_password(api, rep):
    response = api.post(TOKEN_URL, {"username": "rep", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=rep).key}


def test_the_same_token_twice(api, rep):
    first = api.post(TOKEN_URL, {"username": "rep", "password": PASSWORD}, format="json")
    second = api.post(TOKEN_URL, {"username": "rep", "password": PASSWORD}, format="json")

    assert first.json() == second.json()


def test_wrong_password_is_a_400_with_the_reason(api, rep):
    response = api.post(TOKEN_URL, {"username": "rep", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not Token.objects.filter(user=rep).exists()


def test_missing_fields_are_400_field_errors(api, db):
    response = api.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


@pytest.mark.urls("tests.handoff.urls")
def test_token_authenticates_api_requests(api, rep):
    token = api.post(TOKEN_URL, {"username": "rep", "password": PASSWORD}, format="json").json()

    api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    response = api.get("/test/api/whoami/")

    assert response.status_code == 200
    assert response.json() == {"username": "rep"}


@pytest.mark.urls("tests.handoff.urls")
def test_api_without_credentials_is_401(api, db):
    assert api.get("/test/api/whoami/").status_code == 401


@pytest.mark.urls("tests.handoff.urls")
def test_api_with_a_wrong_token_is_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert api.get("/test/api/whoami/").status_code == 401


def test_token_requests_are_throttled(api, rep):
    statuses = [
        api.post(TOKEN_URL, {"username": "rep", "password": PASSWORD}, format="json").status_code
        for _ in range(21)
    ]

    assert statuses == [200] * 20 + [429]


# A token lives no longer than the password it was issued for, or than the account.


def _token_works(api, key: str) -> bool:
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    status = api.get(reverse("api:deal-list")).status_code
    api.credentials()
    return status == 200


def test_changing_the_password_on_the_page_revokes_api_tokens(api, client_for, rep):
    key = Token.objects.create(user=rep).key
    assert _token_works(api, key)
    new = "a-new-and-long-pass-phrase-42"
    response = client_for(rep).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=rep).exists()
    assert not _token_works(api, key)
    fresh = api.post(TOKEN_URL, {"username": "rep", "password": new}, format="json")
    assert fresh.status_code == 200 and _token_works(api, fresh.json()["token"])


def test_set_password_anywhere_revokes_them_too(api, rep):
    key = Token.objects.create(user=rep).key
    rep.set_password("another-long-pass-phrase-7")
    rep.save()
    assert not _token_works(api, key)


def test_deactivating_the_account_revokes_api_tokens(api, rep):
    key = Token.objects.create(user=rep).key
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    assert not Token.objects.filter(user=rep).exists()
    assert not _token_works(api, key)


def test_other_saves_keep_the_token_and_cost_no_extra_query(api, rep, django_assert_num_queries):
    key = Token.objects.create(user=rep).key
    rep.first_name = "Rita"
    rep.save()
    with django_assert_num_queries(1):
        rep.save(update_fields=["last_login"])
    assert _token_works(api, key)


def test_deeply_nested_json_to_the_token_endpoint_is_a_400(api, db):
    response = api.post(TOKEN_URL, "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_deep"
