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
