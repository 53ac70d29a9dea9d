"""Scoped API tokens: made and revoked through the services, read as `Bearer hnd_…`, held to
their scopes and to what their user may do; managed through the API signed in only."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from handoff.errors import ActionForbidden
from handoff.token_models import ApiToken, ApiTokenEvent, TokenScope
from handoff.tokens import services
from tests.factories import PASSWORD, ClientFactory
from tests.security.world import new_deal

TOKENS = "/api/v1/tokens/"


def make(user, *scopes, name="CRM sync", expires_at=None):
    return services.api_token_create(
        actor=user, name=name, scopes=list(scopes) or ["read"], expires_at=expires_at
    )


def bearer(secret: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def rep_deal(rep):
    return new_deal(rep, ClientFactory(), "Store rollout")


@pytest.fixture
def rep2_deal(rep2):
    return new_deal(rep2, ClientFactory(), "Fleet tracking")


@pytest.mark.django_db
class TestCreate:
    def test_the_secret_is_returned_once_and_only_its_hash_is_stored(self, rep):
        token, secret = make(rep, "read", "write")

        assert secret.startswith("hnd_") and len(secret) == 47
        assert token.prefix == secret[:10]
        assert token.key_hash == services.hash_of(secret) != secret
        assert not ApiToken.objects.filter(key_hash=secret).exists()
        assert token.scopes == ["read", "write"]
        event = ApiTokenEvent.objects.get(token=token)
        assert (event.kind, event.actor) == ("created", rep)

    def test_two_tokens_never_share_a_secret(self, rep):
        assert make(rep, name="a")[1] != make(rep, name="b")[1]

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Name the token"),
            ("   ", "Name the token"),
            ("x" * 101, "100 characters"),
            ("CRM\r\nBcc: x@y", ""),
        ],
    )
    def test_a_name_is_required_bounded_and_plain(self, rep, name, message):
        with pytest.raises(ValidationError) as refused:
            make(rep, name=name)
        assert "name" in refused.value.message_dict
        assert message in " ".join(refused.value.message_dict["name"])
        assert not ApiToken.objects.exists()

    def test_a_name_of_100_characters_is_fine(self, rep):
        assert make(rep, name="x" * 100)[0].name == "x" * 100

    def test_a_live_name_is_unique_per_user_whatever_its_case(self, rep, rep2):
        token, _ = make(rep, name="CRM sync")
        with pytest.raises(ValidationError) as refused:
            make(rep, name="crm SYNC")
        assert "revoke it first" in refused.value.message_dict["name"][0]
        make(rep2, name="CRM sync")  # another user's names are theirs
        services.api_token_revoke(token=token, actor=rep)
        assert make(rep, name="CRM sync")[0].pk != token.pk

    @pytest.mark.parametrize("scopes", [[], ["admin"], ["read", "sudo"], "read", None])
    def test_scopes_are_a_nonempty_subset_of_read_write_import(self, rep, scopes):
        with pytest.raises(ValidationError) as refused:
            services.api_token_create(actor=rep, name="x", scopes=scopes)
        assert "scopes" in refused.value.message_dict

    @pytest.mark.parametrize(
        ("delta", "ok"),
        [
            (datetime.timedelta(seconds=-1), False),
            (datetime.timedelta(0), False),
            (datetime.timedelta(hours=1), True),
            (datetime.timedelta(days=365), True),
            (datetime.timedelta(days=366), False),
            (datetime.timedelta(days=365 * 50), False),
        ],
    )
    def test_expiry_is_in_the_future_and_within_a_year(self, rep, delta, ok):
        at = timezone.now() + delta
        if ok:
            assert make(rep, expires_at=at)[0].expires_at is not None
        else:
            with pytest.raises(ValidationError) as refused:
                make(rep, expires_at=at)
            assert "expires_at" in refused.value.message_dict

    def test_the_number_of_live_tokens_is_bounded(self, rep):
        for n in range(services.MAX_LIVE_TOKENS):
            make(rep, name=f"t{n}")
        with pytest.raises(ValidationError, match="revoke one"):
            make(rep, name="one more")


@pytest.mark.django_db
class TestRevoke:
    def test_revoking_records_who_and_when_and_keeps_the_row(self, rep):
        token, _ = make(rep)
        services.api_token_revoke(token=token, actor=rep)

        token.refresh_from_db()
        assert token.revoked_at is not None
        assert list(ApiTokenEvent.objects.filter(token=token).values_list("kind", flat=True)) == [
            "created",
            "revoked",
        ]

    def test_twice_is_a_clear_refusal(self, rep):
        token, _ = make(rep)
        services.api_token_revoke(token=token, actor=rep)
        with pytest.raises(services.AlreadyRevoked):
            services.api_token_revoke(token=token, actor=rep)

    def test_only_the_owner_revokes(self, rep, rep2, manager):
        token, _ = make(rep)
        for other in (rep2, manager):
            with pytest.raises(ActionForbidden):
                services.api_token_revoke(token=token, actor=other)
        assert ApiToken.objects.get(pk=token.pk).revoked_at is None

    def test_deactivating_the_account_revokes_its_tokens(self, rep):
        token, _secret = make(rep)
        rep.is_active = False
        rep.save()

        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
        event = ApiTokenEvent.objects.filter(token=token).last()
        assert (event.kind, event.actor, event.reason) == (
            "revoked",
            None,
            "The account was deactivated.",
        )

    def test_a_new_password_keeps_integration_tokens(self, rep):
        _token, secret = make(rep)
        rep.set_password("another-password-1")
        rep.save()

        assert bearer(secret).get("/api/v1/deals/").status_code == 200


@pytest.mark.django_db
class TestScopes:
    def test_read_reads_and_may_not_write(self, rep, rep_deal):
        _, secret = make(rep, "read")
        client = bearer(secret)

        assert client.get("/api/v1/deals/").status_code == 200
        assert client.get(f"/api/v1/deals/{rep_deal.pk}/").status_code == 200
        refused = client.post("/api/v1/clients/", {"name": "Initech"}, format="json")
        assert refused.status_code == 403
        assert refused.json()["code"] == "token_scope_missing"
        assert "write scope" in refused.json()["detail"]

    def test_write_writes_and_may_not_read(self, rep):
        _, secret = make(rep, "write")
        client = bearer(secret)

        created = client.post("/api/v1/clients/", {"name": "Initech"}, format="json")
        assert created.status_code == 201
        refused = client.get("/api/v1/deals/")
        assert refused.status_code == 403
        assert "read scope" in refused.json()["detail"]

    def test_writes_need_no_csrf_token_with_a_bearer_token(self, rep):
        _, secret = make(rep, "write")
        response = bearer(secret).post("/api/v1/clients/", {"name": "Initech"}, format="json")
        assert response.status_code == 201

    def test_import_brings_deals_in_and_nothing_else(self, rep):
        from tests.deals.test_intake import body

        _, secret = make(rep, "import")
        client = bearer(secret)

        upsert = client.put("/api/v1/deals/external/hubspot/d-1/", body(), format="json")
        assert upsert.status_code == 201, upsert.json()
        imported = client.post("/api/v1/imports/deals/", {}, format="multipart")
        assert imported.status_code == 400  # no file: past the scope, into the import's checks
        refused = client.post("/api/v1/clients/", {"name": "Initech"}, format="json")
        assert refused.status_code == 403 and "write scope" in refused.json()["detail"]
        assert client.get("/api/v1/deals/").status_code == 403

    def test_write_does_not_bring_deals_in(self, rep):
        from tests.deals.test_intake import body

        _, secret = make(rep, "read", "write")
        client = bearer(secret)

        upsert = client.put("/api/v1/deals/external/hubspot/d-1/", body(), format="json")
        assert upsert.status_code == 403
        assert upsert.json()["code"] == "token_scope_missing"
        assert "import scope" in upsert.json()["detail"]
        imported = client.post("/api/v1/imports/deals/", {}, format="multipart")
        assert imported.status_code == 403 and "import scope" in imported.json()["detail"]
        # Reading the imports is a read.
        assert client.get("/api/v1/imports/deals/").status_code == 200

    def test_a_token_never_widens_its_user(self, rep, rep_deal, rep2_deal):
        _, secret = make(rep, "read", "write", "import")
        client = bearer(secret)

        assert client.get(f"/api/v1/deals/{rep2_deal.pk}/").status_code == 404
        ids = [row["id"] for row in client.get("/api/v1/deals/").json()["results"]]
        assert ids == [rep_deal.pk]
        assert client.get("/api/v1/metrics/alignment/").status_code == 403
        assert client.post(f"/api/v1/deals/{rep2_deal.pk}/submit/").status_code == 404

    def test_a_pm_token_reads_like_the_pm(self, pm, rep_deal, rep2_deal):
        _, secret = make(pm, "read")
        # Neither deal was submitted: a PM sees neither, with the token as signed in.
        signed = signed_in(pm).get("/api/v1/deals/").json()["count"]
        assert bearer(secret).get("/api/v1/deals/").json()["count"] == signed == 0


@pytest.mark.django_db
class TestRefused:
    def test_no_token_is_401(self, db):
        assert APIClient().get("/api/v1/deals/").status_code == 401

    def test_expired(self, rep):
        token, secret = make(rep, expires_at=timezone.now() + datetime.timedelta(hours=1))
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

        response = bearer(secret).get("/api/v1/deals/")
        assert response.status_code == 401
        assert response.json()["code"] == "token_expired"
        assert "expired on" in response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Token")

    def test_revoked(self, rep):
        token, secret = make(rep)
        services.api_token_revoke(token=token, actor=rep)

        response = bearer(secret).get("/api/v1/deals/")
        assert response.status_code == 401
        assert response.json()["code"] == "token_revoked"
        assert "revoked on" in response.json()["detail"]

    def test_a_deactivated_account(self, rep):
        _token, secret = make(rep)
        # Past the signal too (a bulk update): the account's state is read on every request.
        type(rep).objects.filter(pk=rep.pk).update(is_active=False)

        response = bearer(secret).get("/api/v1/deals/")
        assert response.status_code == 401
        assert response.json()["code"] == "user_inactive"

    @pytest.mark.parametrize(
        ("header", "code"),
        [
            ("Bearer", "token_malformed"),
            ("Bearer hnd_a hnd_b", "token_malformed"),
            ("Bearer not-a-token", "token_malformed"),
            ("Bearer hnd_" + "x" * 42, "token_malformed"),
            ("Bearer hnd_" + "é" * 43, "token_malformed"),
            ("Bearer hnd_" + "A" * 43, "token_invalid"),
        ],
    )
    def test_wrong_or_garbled(self, rep, header, code):
        make(rep)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)

        response = client.get("/api/v1/deals/")
        assert response.status_code == 401
        assert response.json()["code"] == code

    def test_a_changed_character_is_another_token(self, rep):
        _, secret = make(rep)
        changed = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        assert bearer(changed).get("/api/v1/deals/").json()["code"] == "token_invalid"


@pytest.mark.django_db
class TestLastUsed:
    def test_written_at_most_once_a_minute(self, rep):
        token, secret = make(rep)
        client = bearer(secret)

        client.get("/api/v1/clients/")
        first = ApiToken.objects.get(pk=token.pk).last_used_at
        assert first is not None
        with CaptureQueriesContext(connection) as queries:
            client.get("/api/v1/clients/")
        assert ApiToken.objects.get(pk=token.pk).last_used_at == first
        assert not [q for q in queries if q["sql"].startswith("UPDATE")]

        earlier = first - datetime.timedelta(seconds=61)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
        client.get("/api/v1/clients/")
        assert ApiToken.objects.get(pk=token.pk).last_used_at > first

    def test_a_refused_request_is_no_use(self, rep):
        token, secret = make(rep, "read")
        bearer(secret).post("/api/v1/clients/", {"name": "x"}, format="json")
        assert ApiToken.objects.get(pk=token.pk).last_used_at is None


@pytest.mark.django_db
class TestLegacyToken:
    def test_the_sign_in_token_works_as_before(self, rep, rep_deal):
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": "rep", "password": PASSWORD}, format="json"
        )
        key = response.json()["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

        assert client.get("/api/v1/deals/").json()["count"] == 1
        assert (
            client.post("/api/v1/clients/", {"name": "Initech"}, format="json").status_code == 201
        )
        assert client.get(TOKENS).status_code == 200

    def test_a_scoped_secret_is_not_a_sign_in_token(self, rep):
        _, secret = make(rep)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        assert client.get("/api/v1/deals/").status_code == 401


@pytest.mark.django_db
class TestManagementApi:
    def test_create_answers_the_secret_once(self, rep):
        client = signed_in(rep)
        soon = (timezone.now() + datetime.timedelta(days=30)).isoformat()
        created = client.post(
            TOKENS,
            {"name": "Warehouse", "scopes": ["write", "read"], "expires_at": soon},
            format="json",
        )

        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["token"].startswith(body["prefix"])
        assert body["scopes"] == ["read", "write"] and body["status"] == "live"
        detail = client.get(f"{TOKENS}{body['id']}/").json()
        assert "token" not in detail and detail["name"] == "Warehouse"
        assert bearer(body["token"]).get("/api/v1/deals/").status_code == 200

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"scopes": ["read"]}, "name"),
            ({"name": "x" * 101, "scopes": ["read"]}, "name"),
            ({"name": 12, "scopes": ["read"]}, "name"),
            ({"name": "x"}, "scopes"),
            ({"name": "x", "scopes": []}, "scopes"),
            ({"name": "x", "scopes": ["admin"]}, "scopes"),
            ({"name": "x", "scopes": ["read", "read", "write", "import"]}, "scopes"),
            ({"name": "x", "scopes": ["read"], "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
            ({"name": "x", "scopes": ["read"], "expires_at": "9999-12-31T00:00:00Z"}, "expires_at"),
            ({"name": "x", "scopes": ["read"], "expires_at": "soon"}, "expires_at"),
        ],
    )
    def test_bad_input_is_400_by_field(self, rep, data, field):
        response = signed_in(rep).post(TOKENS, data, format="json")

        assert response.status_code == 400
        assert field in response.json()
        assert not ApiToken.objects.exists()

    def test_a_duplicate_name_is_400(self, rep):
        make(rep, name="CRM")
        response = signed_in(rep).post(TOKENS, {"name": "crm", "scopes": ["read"]}, format="json")
        assert response.status_code == 400 and "name" in response.json()

    def test_list_is_ones_own_paginated(self, rep, rep2):
        mine, _ = make(rep, name="mine")
        make(rep2, name="theirs")

        body = signed_in(rep).get(TOKENS).json()
        assert body["count"] == 1 and [row["id"] for row in body["results"]] == [mine.pk]
        assert {"next", "previous", "count_exact"} <= body.keys()
        assert "token" not in body["results"][0]
        assert signed_in(rep).get(TOKENS, {"page_size": 0}).status_code == 400

    def test_the_list_filters_by_status(self, rep):
        live, _ = make(rep, name="live")
        revoked, _ = make(rep, name="revoked")
        services.api_token_revoke(token=revoked, actor=rep)
        expired, _ = make(rep, name="expired", expires_at=timezone.now() + datetime.timedelta(1))
        ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
        client = signed_in(rep)

        for status, token in (("live", live), ("revoked", revoked), ("expired", expired)):
            rows = client.get(TOKENS, {"status": status}).json()["results"]
            assert [(row["id"], row["status"]) for row in rows] == [(token.pk, status)]
        assert client.get(TOKENS, {"status": "gone"}).status_code == 400
        assert client.get(TOKENS, {"status": ""}).status_code == 400

    def test_revoke_by_delete(self, rep, rep2):
        token, secret = make(rep)

        assert signed_in(rep2).delete(f"{TOKENS}{token.pk}/").status_code == 404
        assert signed_in(rep2).get(f"{TOKENS}{token.pk}/").status_code == 404
        assert signed_in(rep).delete(f"{TOKENS}{token.pk}/").status_code == 204
        again = signed_in(rep).delete(f"{TOKENS}{token.pk}/")
        assert again.status_code == 409 and again.json()["code"] == "already_revoked"
        assert signed_in(rep).get(f"{TOKENS}{token.pk}/").json()["status"] == "revoked"
        assert bearer(secret).get("/api/v1/deals/").status_code == 401

    def test_a_scoped_token_cannot_manage_tokens_or_the_second_factor(self, rep):
        token, secret = make(rep, "read", "write", "import")
        client = bearer(secret)

        for response in (
            client.get(TOKENS),
            client.post(TOKENS, {"name": "more", "scopes": ["write"]}, format="json"),
            client.delete(f"{TOKENS}{token.pk}/"),
            client.get("/api/v1/auth/two-factor/"),
            client.post("/api/v1/auth/two-factor/setup/"),
        ):
            assert response.status_code == 403
            assert response.json()["code"] == "signed_in_only"
        assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1

    def test_anonymous_is_401(self, db):
        assert APIClient().get(TOKENS).status_code == 401
        assert APIClient().post(TOKENS, {}, format="json").status_code == 401

    def test_the_list_costs_the_same_for_1_and_30_tokens(self, rep, django_assert_num_queries):
        make(rep, name="t0")
        client = signed_in(rep)
        with CaptureQueriesContext(connection) as one:
            assert client.get(TOKENS, {"page_size": 100}).json()["count"] == 1
        for n in range(1, 25):
            make(rep, name=f"t{n}")
        with django_assert_num_queries(len(one)):
            assert client.get(TOKENS, {"page_size": 100}).json()["count"] == 25

    def test_the_schema_documents_the_tokens(self, rep):
        schema = signed_in(rep).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        body = schema.json()
        assert {"/api/v1/tokens/", "/api/v1/tokens/{id}/"} <= body["paths"].keys()
        assert body["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
        assert body["components"]["schemas"]["ApiTokenScopeEnum"]["enum"] == TokenScope.values
        created = body["paths"]["/api/v1/tokens/"]["post"]["responses"]["201"]
        assert created["content"]["application/json"]["schema"]["$ref"].endswith(
            "ApiTokenWithSecret"
        )


@pytest.mark.django_db
def test_the_legacy_token_model_is_untouched(rep):
    make(rep)
    assert not Token.objects.filter(user=rep).exists()
