"""Deals from a CRM: PUT /api/v1/deals/external/{source}/{external_id}/ creates a draft or
updates it through the services, idempotently, and never past the review gate."""

import copy
import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from deals import services
from deals.models import Client, Commitment, Deal, DealEvent, DealStatus
from tests.factories import ClientFactory

URL = "/api/v1/deals/external/hubspot/{}/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(**changes) -> dict:
    soon = timezone.localdate() + datetime.timedelta(days=40)
    data = {
        "title": "Store rollout",
        "client": "Acme Retail",
        "client_external_id": "co-77",
        "value": "125000.00",
        "currency": "EUR",
        "expected_close_date": soon.isoformat(),
        "commitments": [
            {
                "external_id": "li-1",
                "kind": "scope",
                "summary": "Forty stores in the first wave",
                "promised_date": (soon + datetime.timedelta(days=60)).isoformat(),
                "effort_days": "30.0",
            },
            {
                "external_id": "li-2",
                "kind": "timeline",
                "summary": "Live before the holidays",
                "promised_date": (soon + datetime.timedelta(days=90)).isoformat(),
            },
        ],
    }
    data.update(changes)
    return data


def put(user, external_id="d-1", data=None):
    return api(user).put(URL.format(external_id), data or body(), format="json")


@pytest.mark.django_db
class TestCreate:
    def test_a_rep_creates_their_draft_with_its_external_ids(self, rep):
        response = put(rep)
        assert response.status_code == 201, response.content
        assert response.json()["result"] == "created"
        deal = Deal.objects.get(external_source="hubspot", external_id="d-1")
        assert deal.status == DealStatus.DRAFT and deal.owner == rep
        assert deal.client.name == "Acme Retail" and deal.client.external_id == "co-77"
        assert sorted(deal.commitments.values_list("external_id", flat=True)) == ["li-1", "li-2"]
        assert response.json()["deal"]["id"] == deal.pk

    def test_a_manager_brings_in_a_reps_deal_by_username_or_email(self, manager, rep):
        assert put(manager, "d-1", body(owner="rep")).status_code == 201
        response = put(manager, "d-2", body(owner=rep.email.upper()))
        assert response.status_code == 400, "the commitments' ids are the first deal's"
        assert "li-1, li-2" in response.json()["commitments"][0]
        assert put(manager, "d-2", body(owner=rep.email.upper(), commitments=[])).status_code == 201
        assert set(Deal.objects.values_list("owner__username", flat=True)) == {"rep"}

    def test_the_client_is_matched_by_external_id_then_by_name(self, rep):
        named = ClientFactory(name="ACME retail")
        put(rep, "d-1", body(client_external_id="", commitments=[]))
        assert Deal.objects.get(external_id="d-1").client == named
        linked = ClientFactory(name="Globex", external_source="hubspot", external_id="co-9")
        put(
            rep, "d-2", body(client="Globex Corporation", client_external_id="co-9", commitments=[])
        )
        assert Deal.objects.get(external_id="d-2").client == linked
        assert Client.objects.count() == 2

    @pytest.mark.parametrize(
        ("owner", "why"),
        [("nobody", "No active sales rep"), ("pm", "No active sales rep")],
    )
    def test_an_unknown_or_wrong_owner_is_a_400_naming_the_field(self, manager, pm, owner, why):
        response = put(manager, "d-1", body(owner=owner))
        assert response.status_code == 400
        assert why in response.json()["owner"][0]
        assert not Deal.objects.exists() and not Client.objects.exists()

    def test_a_rep_may_not_bring_in_another_reps_deal(self, rep, rep2):
        response = put(rep, "d-1", body(owner="rep2"))
        assert response.status_code == 403
        assert not Deal.objects.exists()

    def test_a_pm_may_not_bring_deals_in(self, pm):
        assert put(pm).status_code == 403
        assert APIClient().put(URL.format("d-1"), body(), format="json").status_code == 401

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"value": "lots"}, "value"),
            ({"expected_close_date": "31/12/2026"}, "expected_close_date"),
            ({"currency": "XYZ"}, "currency"),
            ({"title": "x" * 201}, "title"),
            (
                {"commitments": [{"external_id": "a", "kind": "bogus", "summary": "s"}]},
                "commitments",
            ),
        ],
    )
    def test_bad_input_is_a_400_and_writes_nothing(self, rep, change, field):
        response = put(rep, "d-1", body(**change))
        assert response.status_code == 400
        assert field in response.json()
        assert not Deal.objects.exists() and not Client.objects.exists()

    def test_a_duplicated_commitment_external_id_is_refused(self, rep):
        data = body()
        data["commitments"][1]["external_id"] = "li-1"
        response = put(rep, "d-1", data)
        assert response.status_code == 400
        assert "given twice" in str(response.json()["commitments"])
        assert not Deal.objects.exists()

    def test_a_source_that_is_not_a_slug_is_not_routed(self, rep):
        response = api(rep).put("/api/v1/deals/external/Hub Spot/d-1/", body(), format="json")
        assert response.status_code == 404

    def test_a_control_character_in_the_external_id_is_a_400(self, rep):
        response = api(rep).put("/api/v1/deals/external/hubspot/a%0Ab/", body(), format="json")
        assert response.status_code == 400
        assert "external_id" in response.json()


@pytest.mark.django_db
class TestUpdate:
    def test_the_same_body_twice_changes_nothing_and_writes_no_event(self, rep):
        put(rep)
        deal = Deal.objects.get(external_id="d-1")
        events, version = DealEvent.objects.count(), deal.version
        response = put(rep)
        assert response.status_code == 200
        assert response.json()["result"] == "unchanged"
        deal.refresh_from_db()
        assert DealEvent.objects.count() == events and deal.version == version

    def test_changes_go_through_the_services_keyed_by_external_ids(self, rep):
        put(rep)
        data = body(title="Store rollout, phase one", value="99000")
        data["commitments"][0]["summary"] = "Thirty stores in the first wave"
        data["commitments"][1] = {
            "external_id": "li-3",
            "kind": "staffing",
            "summary": "A named architect",
            "promised_date": data["commitments"][1]["promised_date"],
        }
        response = put(rep, "d-1", data)
        assert response.status_code == 200 and response.json()["result"] == "updated"
        deal = Deal.objects.get(external_id="d-1")
        assert deal.title == "Store rollout, phase one" and str(deal.value) == "99000.00"
        by_id = {c.external_id: c for c in deal.commitments.all()}
        assert set(by_id) == {"li-1", "li-3"}
        assert by_id["li-1"].summary.startswith("Thirty") and by_id["li-1"].version == 2
        kinds = list(DealEvent.objects.filter(deal=deal).values_list("kind", flat=True))
        assert {"updated", "commitment_changed", "commitment_removed"} <= set(kinds)
        assert kinds.count("commitment_added") == 3

    def test_a_commitment_added_in_handoff_is_left_alone(self, rep):
        put(rep)
        deal = Deal.objects.get(external_id="d-1")
        services.commitment_add(
            deal=deal,
            actor=rep,
            data={"kind": "other", "summary": "Ours", "promised_date": timezone.localdate()},
        )
        assert put(rep).json()["result"] == "unchanged"
        assert deal.commitments.filter(summary="Ours").exists()

    def test_a_deal_in_review_answers_409_with_the_workflows_code(self, rep):
        put(rep)
        deal = Deal.objects.get(external_id="d-1")
        services.deal_submit(deal=deal, actor=rep)
        response = put(rep, "d-1", body(title="Changed in the CRM"))
        assert response.status_code == 409
        assert response.json()["code"] == "deal_not_editable"
        deal.refresh_from_db()
        assert deal.title == "Store rollout" and deal.status == DealStatus.IN_REVIEW
        # Nothing to change is no conflict: a CRM may send the same deal again.
        assert put(rep).status_code == 200

    def test_the_owner_is_not_reassigned_by_a_sync(self, manager, rep, rep2):
        put(manager, "d-1", body(owner="rep"))
        response = put(manager, "d-1", body(owner="rep2"))
        assert response.status_code == 400 and "belongs to rep" in response.json()["owner"][0]

    def test_another_rep_cannot_change_a_reps_deal(self, rep, rep2):
        put(rep)
        response = put(rep2, "d-1", body(title="Mine now"))
        assert response.status_code == 403
        assert Deal.objects.get(external_id="d-1").title == "Store rollout"


@pytest.mark.django_db
class TestExternalIds:
    def test_unique_per_source(self, rep):
        client = ClientFactory(external_source="hubspot", external_id="x")
        ClientFactory(external_source="salesforce", external_id="x")
        with pytest.raises(IntegrityError), transaction.atomic():
            ClientFactory(external_source="hubspot", external_id="x")
        assert client.pk

    def test_a_source_and_an_id_go_together(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ClientFactory(external_source="hubspot", external_id="")

    def test_many_rows_without_one(self):
        ClientFactory()
        ClientFactory()
        assert Client.objects.filter(external_id="").count() == 2

    def test_the_schema_documents_the_upsert(self, rep):
        schema = api(rep).get("/api/schema/?format=json").json()
        operation = schema["paths"]["/api/v1/deals/external/{source}/{external_id}/"]["put"]
        assert {"200", "201", "400", "409"} <= set(operation["responses"])


def test_commitment_key_is_stable_and_ignores_spacing_and_case():
    from deals.services.intake import commitment_key

    a = commitment_key("d-1", "scope", "Forty  stores")
    assert a == commitment_key("d-1", "scope", "forty stores")
    assert a != commitment_key("d-2", "scope", "forty stores")
    assert len(a) <= 120


def test_commitments_get_their_ids_in_order(db, rep):
    put(rep)
    pairs = list(Commitment.objects.order_by("id").values_list("external_id", "summary"))
    assert pairs[0] == ("li-1", "Forty stores in the first wave")
    assert copy.deepcopy(pairs[1][0]) == "li-2"
