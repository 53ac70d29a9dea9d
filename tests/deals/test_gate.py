"""The close gate: no path but the workflow sets a deal's status."""

import pgtrigger
import pytest
from django.contrib import admin
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from rest_framework.test import APIClient

from deals import services
from deals.models import (
    CLOSE_GATE_TRIGGER,
    Commitment,
    Deal,
    DealEvent,
    DealStatus,
    SignOff,
    StatusWriteRefused,
    workflow_write,
)
from deals.models.workflow import _allowed_status_changes
from handoff.errors import DomainError
from handoff.models import Role
from tests.deals.builders import deal_in, draft_deal
from tests.factories import ClientFactory, UserFactory


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", role=Role.ADMIN, is_staff=True, is_superuser=True)


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


# API


@pytest.mark.parametrize("method", ["patch", "put"])
def test_api_cannot_set_status(method, rep):
    deal = draft_deal(rep)
    body = {
        "title": deal.title,
        "client": deal.client_id,
        "expected_close_date": deal.expected_close_date.isoformat(),
        "status": "won",
    }
    response = getattr(api_for(rep), method)(f"/api/v1/deals/{deal.pk}/", body, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT


def test_api_create_cannot_set_status(rep):
    body = {
        "title": "Sneaky",
        "client": ClientFactory().pk,
        "expected_close_date": "2030-01-01",
        "status": "signed_off",
    }
    response = api_for(rep).post("/api/v1/deals/", body, format="json")
    assert response.status_code == 400
    assert not Deal.objects.filter(title="Sneaky").exists()


# Admin


def _change_form_data(response) -> dict:
    """What the browser would post back from the admin change form, unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "pk"):
            value = value.pk
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            data[f"{formset.prefix}-{name}"] = formset.management_form.initial.get(
                name, field.initial
            )
        for index, inline_form in enumerate(formset.forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                if name == "id" or name == formset.fk.name:
                    value = getattr(inline_form.instance, name + "_id", inline_form.instance.pk)
                if hasattr(value, "pk"):
                    value = value.pk
                data[f"{formset.prefix}-{index}-{name}"] = "" if value is None else value
    return data


@pytest.mark.parametrize("status", [DealStatus.DRAFT, DealStatus.SIGNED_OFF])
def test_admin_change_form_ignores_status(status, client, operator, rep, pm):
    deal = deal_in(status, owner=rep, pm=pm)
    client.force_login(operator)
    url = f"/admin/deals/deal/{deal.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields
    data = _change_form_data(page)
    data.update({"status": "won", "lost_reason": "x", "version": 99})
    if status == DealStatus.DRAFT:
        data["title"] = "Corrected title"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    deal.refresh_from_db()
    assert deal.status == status
    assert deal.lost_reason == ""
    if status == DealStatus.DRAFT:
        assert deal.title == "Corrected title"
        assert DealEvent.objects.filter(deal=deal, kind="updated", actor=operator).exists()


def test_admin_deal_fields_and_commitments_read_only_outside_draft(client, operator, rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    client.force_login(operator)
    page = client.get(f"/admin/deals/deal/{deal.pk}/change/")
    assert page.context["adminform"].form.fields == {}
    commitments = next(
        i for i in page.context["inline_admin_formsets"] if i.formset.model is Commitment
    )
    assert not commitments.has_change_permission
    assert not commitments.has_add_permission


def test_admin_has_no_bulk_actions_on_deals(client, operator, rep):
    draft_deal(rep)
    client.force_login(operator)
    response = client.get("/admin/deals/deal/")
    assert response.status_code == 200
    request = RequestFactory().get("/admin/deals/deal/")
    request.user = operator
    actions = admin.site._registry[Deal].get_actions(request)
    assert actions == {}
    assert b'name="action"' not in response.content


@pytest.mark.parametrize(
    "model", ["commitment", "reviewround", "verdict", "signoff", "dealevent", "escalation"]
)
def test_admin_records_are_read_only(model, client, operator):
    client.force_login(operator)
    assert client.get(f"/admin/deals/{model}/").status_code == 200
    assert client.get(f"/admin/deals/{model}/add/").status_code == 403


def test_admin_cannot_delete_a_submitted_deal(client, operator, rep, pm):
    deal = deal_in(DealStatus.LOST, owner=rep, pm=pm)
    client.force_login(operator)
    assert client.post(f"/admin/deals/deal/{deal.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Deal.objects.filter(pk=deal.pk).exists()


# ORM


def test_queryset_update_of_status_raises(rep):
    deal = draft_deal(rep)
    with pytest.raises(StatusWriteRefused):
        Deal.objects.filter(pk=deal.pk).update(status=DealStatus.WON)
    with pytest.raises(StatusWriteRefused):
        Deal.objects.filter(pk=deal.pk).update(lost_reason="x")
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT
    # Other fields still update in bulk.
    assert Deal.objects.filter(pk=deal.pk).update(title="Renamed") == 1


def test_bulk_update_and_bulk_create_of_status_raise(rep):
    deal = draft_deal(rep)
    deal.status = DealStatus.WON
    with pytest.raises(StatusWriteRefused):
        Deal.objects.bulk_update([deal], ["status"])
    fresh = Deal(
        title="x", client=deal.client, owner=rep, expected_close_date=deal.expected_close_date
    )
    fresh.status = DealStatus.SIGNED_OFF
    with pytest.raises(StatusWriteRefused):
        Deal.objects.bulk_create([fresh])


def test_save_with_a_changed_status_raises(rep):
    deal = draft_deal(rep)
    deal.status = DealStatus.WON
    with pytest.raises(StatusWriteRefused):
        deal.save()
    with pytest.raises(StatusWriteRefused):
        deal.save(update_fields=["status"])
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.DRAFT


def test_create_with_a_status_raises(rep):
    deal = draft_deal(rep)
    with pytest.raises(StatusWriteRefused):
        Deal.objects.create(
            title="x",
            client=deal.client,
            owner=rep,
            expected_close_date=deal.expected_close_date,
            status=DealStatus.WON,
        )


def test_a_stale_copy_cannot_put_an_old_status_back(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    stale = Deal.objects.get(pk=deal.pk)
    services.deal_sign_off(deal=deal, actor=pm)
    with pytest.raises(StatusWriteRefused):
        stale.save()
    stale.refresh_from_db()
    stale.title = "Renamed"
    stale.save()
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.SIGNED_OFF


def test_the_workflow_marker_is_what_services_use(rep):
    deal = draft_deal(rep)
    with workflow_write():
        Deal.objects.filter(pk=deal.pk).update(status=DealStatus.LOST, lost_reason="test")
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.LOST
    with pytest.raises(StatusWriteRefused):
        Deal.objects.filter(pk=deal.pk).update(status=DealStatus.DRAFT)


# The sign-off fingerprint


def test_win_refused_when_a_commitment_changed_after_sign_off(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    commitment = deal.commitments.first()
    # A change behind the workflow's back, straight in the table.
    Commitment.objects.filter(pk=commitment.pk).update(effort_days=commitment.effort_days + 20)
    response = api_for(rep).post(f"/api/v1/deals/{deal.pk}/win/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "sign_off_mismatch"
    deal.refresh_from_db()
    assert deal.status == DealStatus.SIGNED_OFF
    assert SignOff.objects.filter(deal=deal).count() == 1


def test_win_refused_when_a_commitment_was_added_after_sign_off(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    extra = Commitment.objects.get(pk=deal.commitments.first().pk)
    extra.pk = None
    extra._state.adding = True
    extra.save()
    with pytest.raises(DomainError):
        services.deal_win(deal=deal, actor=rep)


@pytest.mark.parametrize(
    "model",
    [
        "client",
        "deal",
        "commitment",
        "reviewround",
        "verdict",
        "signoff",
        "dealevent",
        "escalation",
        "comment",
    ],
)
def test_admin_pages_render_with_data(model, client, operator, rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = deal.rounds.get().verdicts.get(verdict="flagged")
    services.verdict_escalate(verdict=flag, actor=rep, argument="We can")
    services.comment_add(deal=deal, actor=pm, body="@rep see the flag")
    signed = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    assert signed.sign_offs.exists()
    client.force_login(operator)
    assert client.get(f"/admin/deals/{model}/?q=a").status_code == 200
    changelist = client.get(f"/admin/deals/{model}/")
    assert changelist.status_code == 200
    row = changelist.context["cl"].result_list[0]
    assert client.get(f"/admin/deals/{model}/{row.pk}/change/").status_code == 200


# The close gate in PostgreSQL: raw SQL goes around every guard above; the trigger does not.

# The workflow of the design, written out here, not read from deals.models: (from, to).
ALLOWED_STATUS_CHANGES = {
    (DealStatus.DRAFT, DealStatus.IN_REVIEW),
    (DealStatus.CHANGES_REQUESTED, DealStatus.IN_REVIEW),
    (DealStatus.IN_REVIEW, DealStatus.CHANGES_REQUESTED),
    (DealStatus.IN_REVIEW, DealStatus.SIGNED_OFF),
    (DealStatus.CHANGES_REQUESTED, DealStatus.DRAFT),
    (DealStatus.SIGNED_OFF, DealStatus.DRAFT),
    (DealStatus.SIGNED_OFF, DealStatus.WON),
    (DealStatus.DRAFT, DealStatus.LOST),
    (DealStatus.IN_REVIEW, DealStatus.LOST),
    (DealStatus.CHANGES_REQUESTED, DealStatus.LOST),
    (DealStatus.SIGNED_OFF, DealStatus.LOST),
}
STATUS_CHANGES = [(a, b) for a in DealStatus.values for b in DealStatus.values if a != b]


def test_the_trigger_allows_exactly_the_changes_of_the_transition_table():
    assert set(_allowed_status_changes()) == ALLOWED_STATUS_CHANGES
    assert pgtrigger.registered(f"deals.Deal:{CLOSE_GATE_TRIGGER}")


def _raw_status(deal: Deal, status: str) -> None:
    """UPDATE deals_deal by hand, as a script or a psql session would."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE deals_deal SET status = %s, lost_reason = %s WHERE id = %s",
            [status, "By hand" if status == DealStatus.LOST else "", deal.pk],
        )


def _stored_status(deal: Deal) -> str:
    return Deal.objects.values_list("status", flat=True).get(pk=deal.pk)


@pytest.mark.postgres
@pytest.mark.parametrize(("origin", "target"), STATUS_CHANGES)
def test_raw_sql_makes_only_the_allowed_status_changes(origin, target, rep, pm):
    deal = deal_in(origin, owner=rep, pm=pm)
    if (origin, target) in ALLOWED_STATUS_CHANGES:
        _raw_status(deal, target)
        assert _stored_status(deal) == target
    else:
        with pytest.raises(IntegrityError, match=f"cannot go from {origin} to {target}"):
            _raw_status(deal, target)
        assert _stored_status(deal) == origin


@pytest.mark.postgres
def test_raw_sql_cannot_win_a_deal_that_was_never_signed_off(rep):
    deal = draft_deal(rep)
    # Each step is an allowed change, so only the missing sign-off stops the last one.
    _raw_status(deal, DealStatus.IN_REVIEW)
    _raw_status(deal, DealStatus.SIGNED_OFF)
    with pytest.raises(IntegrityError, match="has no current sign-off"):
        _raw_status(deal, DealStatus.WON)
    assert _stored_status(deal) == DealStatus.SIGNED_OFF


@pytest.mark.postgres
def test_raw_sql_cannot_win_on_a_sign_off_that_a_revision_voided(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    services.deal_revise(deal=deal, actor=rep, reason="Client asked for more")
    _raw_status(deal, DealStatus.IN_REVIEW)
    _raw_status(deal, DealStatus.SIGNED_OFF)
    with pytest.raises(IntegrityError, match="has no current sign-off"):
        _raw_status(deal, DealStatus.WON)


def _changed_after_sign_off(how: str, deal: Deal) -> None:
    commitment = deal.commitments.order_by("id").first()
    with connection.cursor() as cursor:
        if how == "edited":
            cursor.execute(
                "UPDATE deals_commitment SET effort_days = effort_days + 1 WHERE id = %s",
                [commitment.pk],
            )
        elif how == "renamed_same_version":
            cursor.execute(
                "UPDATE deals_commitment SET summary = 'Something else' WHERE id = %s",
                [commitment.pk],
            )
        elif how == "removed":
            Commitment.objects.filter(pk=commitment.pk).delete()
        else:
            extra = Commitment.objects.get(pk=commitment.pk)
            extra.pk = None
            extra._state.adding = True
            extra.save()


@pytest.mark.postgres
@pytest.mark.parametrize("how", ["edited", "renamed_same_version", "removed", "added"])
def test_raw_sql_cannot_win_when_the_commitments_differ_from_the_sign_off(how, rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    _changed_after_sign_off(how, deal)
    with pytest.raises(IntegrityError, match="differ from its sign-off"):
        _raw_status(deal, DealStatus.WON)
    assert _stored_status(deal) == DealStatus.SIGNED_OFF


@pytest.mark.postgres
def test_the_gate_reads_a_sign_off_with_conditions_as_deal_win_does(rep, pm):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    for commitment in deal.commitments.all():
        services.commitment_rule(
            commitment=commitment,
            actor=pm,
            verdict="approved_with_condition",
            condition="Access by week 2\nand a named contact",
        )
    services.deal_sign_off(deal=deal, actor=pm)
    services.deal_win(deal=deal, actor=rep)
    assert _stored_status(deal) == DealStatus.WON
    assert deal.project.deliverables.filter(condition__startswith="Access").count() == 2


@pytest.mark.postgres
def test_the_gate_is_the_database_s_not_the_orm_s(rep, pm):
    """Even the workflow's own marker cannot take a deal where the table does not go."""
    deal = deal_in(DealStatus.LOST, owner=rep, pm=pm)
    refused = pytest.raises(IntegrityError, match="cannot go from lost to draft")
    with refused, workflow_write(), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(status=DealStatus.DRAFT)
    assert _stored_status(deal) == DealStatus.LOST
