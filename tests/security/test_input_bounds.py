"""Far-off dates, out-of-range numbers and control characters: 400 on the API, a form error on
the page with what was typed kept, and nothing stored."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from deals.models import Client, Commitment, Deal, DealStatus, Verdict
from handoff.models import SharedGoal
from projects.models import CapacityException, DeliverableStatus, KickoffItem
from tests.deals.builders import deal_in, draft_deal
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

FAR_FUTURE = "9999-12-31"
HEADER_INJECTION = "Hdr\r\nBcc: x@y"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def soon(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def deal_body(**overrides) -> dict:
    return {
        "title": "Warehouse rollout",
        "client": ClientFactory().pk,
        "value": "120000.00",
        "expected_close_date": soon(30),
        "commitments": [{"kind": "scope", "summary": "Migrate data", "promised_date": soon(90)}],
        **overrides,
    }


def assert_field_error(response, field: str, words: str) -> None:
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert words in " ".join(errors[field])


# The API


def test_a_commitment_promised_on_9999_12_31_is_a_400_with_the_field_error(rep):
    deal = draft_deal(rep, commitments=0)
    body = {"deal": deal.pk, "kind": "timeline", "summary": "Live", "promised_date": FAR_FUTURE}
    response = api(rep).post("/api/v1/commitments/", body, format="json")
    assert_field_error(response, "promised_date", "Enter a date between")
    assert not Commitment.objects.filter(deal=deal).exists()


def test_a_commitment_cannot_be_moved_to_9999_12_31(rep):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    response = api(rep).patch(
        f"/api/v1/commitments/{commitment.pk}/", {"promised_date": FAR_FUTURE}, format="json"
    )
    assert_field_error(response, "promised_date", "Enter a date between")
    commitment.refresh_from_db()
    assert commitment.promised_date.year < 9999


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expected_close_date", FAR_FUTURE),
        ("expected_start_date", FAR_FUTURE),
        ("expected_close_date", "1900-01-01"),
    ],
)
def test_a_deal_with_a_far_off_date_is_a_400(field, value, rep):
    response = api(rep).post("/api/v1/deals/", deal_body(**{field: value}), format="json")
    assert_field_error(response, field, "Enter a date between")
    assert not Deal.objects.exists()


def test_a_new_deal_with_a_far_off_promise_is_a_400_and_stores_nothing(rep):
    body = deal_body(
        commitments=[{"kind": "scope", "summary": "Migrate data", "promised_date": FAR_FUTURE}]
    )
    response = api(rep).post("/api/v1/deals/", body, format="json")
    assert_field_error(response, "promised_date", "Enter a date between")
    assert not Deal.objects.exists()


def test_an_edit_to_a_far_off_close_date_is_a_400(rep):
    deal = draft_deal(rep)
    response = api(rep).patch(
        f"/api/v1/deals/{deal.pk}/", {"expected_close_date": FAR_FUTURE}, format="json"
    )
    assert_field_error(response, "expected_close_date", "Enter a date between")


def test_out_of_range_numbers_are_a_400(rep):
    response = api(rep).post("/api/v1/deals/", deal_body(value="2000000000.00"), format="json")
    assert_field_error(response, "value", "less than or equal to")
    body = deal_body(
        commitments=[
            {
                "kind": "scope",
                "summary": "Everything",
                "promised_date": soon(90),
                "effort_days": "99999.0",
            }
        ]
    )
    response = api(rep).post("/api/v1/deals/", body, format="json")
    assert_field_error(response, "effort_days", "less than or equal to")
    assert not Deal.objects.exists()


def test_a_title_with_a_line_break_is_a_400(rep):
    response = api(rep).post("/api/v1/deals/", deal_body(title=HEADER_INJECTION), format="json")
    assert_field_error(response, "title", "one line")
    assert not Deal.objects.exists()


def test_a_title_cannot_be_edited_into_a_header(rep):
    deal = draft_deal(rep)
    response = api(rep).patch(
        f"/api/v1/deals/{deal.pk}/", {"title": HEADER_INJECTION}, format="json"
    )
    assert_field_error(response, "title", "one line")
    assert "\n" not in Deal.objects.get(pk=deal.pk).title


def test_a_commitment_summary_with_control_characters_is_a_400(rep):
    deal = draft_deal(rep, commitments=0)
    body = {"deal": deal.pk, "kind": "scope", "summary": "Bell\x07", "promised_date": soon(60)}
    response = api(rep).post("/api/v1/commitments/", body, format="json")
    assert_field_error(response, "summary", "U+0007")


def test_a_client_name_with_a_line_break_is_a_400(rep):
    response = api(rep).post(
        "/api/v1/clients/", {"name": "Acme\r\nBcc: x@y", "industry": ""}, format="json"
    )
    assert_field_error(response, "name", "one line")
    assert not Client.objects.exists()


def test_a_counter_proposal_on_9999_12_31_is_a_400_and_records_no_verdict(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()
    response = api(pm).post(
        f"/api/v1/commitments/{commitment.pk}/verdict/",
        {"verdict": "flagged", "reason": "Too soon", "counter_date": FAR_FUTURE},
        format="json",
    )
    assert_field_error(response, "counter_date", "Enter a date between")
    assert not Verdict.objects.filter(commitment=commitment).exists()


def test_a_delivery_dated_1900_is_a_400(rep, pm):
    deal = deal_in(DealStatus.WON, owner=rep, pm=pm)
    deliverable = deal.project.deliverables.first()
    response = api(pm).patch(
        f"/api/v1/deliverables/{deliverable.pk}/",
        {"status": DeliverableStatus.DELIVERED, "delivered_on": "1900-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "delivered_on" in response.json()
    deliverable.refresh_from_db()
    assert deliverable.delivered_on is None


# The pages


def deal_form(client: Client, *, title: str, promised_date: str) -> dict:
    return {
        "title": title,
        "client": str(client.pk),
        "new_client": "",
        "value": "120000",
        "currency": "EUR",
        "expected_close_date": soon(30),
        "expected_start_date": soon(45),
        "description": "Typed description",
        "expected_version": "",
        "commitments-TOTAL_FORMS": "1",
        "commitments-INITIAL_FORMS": "0",
        "commitments-MIN_NUM_FORMS": "0",
        "commitments-MAX_NUM_FORMS": "1000",
        "commitments-0-kind": "timeline",
        "commitments-0-summary": "Typed promise",
        "commitments-0-detail": "",
        "commitments-0-promised_date": promised_date,
        "commitments-0-effort_days": "12",
    }


def test_the_deal_form_refuses_a_far_off_promise_and_keeps_what_was_typed(rep, client_for):
    data = deal_form(ClientFactory(), title="Warehouse rollout", promised_date=FAR_FUTURE)
    response = client_for(rep).post(reverse("deals:create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_commitments-0-promised_date_error"' in html
    assert "Enter a date between" in html
    assert FAR_FUTURE in html
    assert "Typed promise" in html
    assert "Warehouse rollout" in html
    assert not Deal.objects.exists()


def test_the_deal_form_refuses_a_title_with_a_line_break_and_keeps_what_was_typed(rep, client_for):
    data = deal_form(ClientFactory(), title=HEADER_INJECTION, promised_date=soon(90))
    response = client_for(rep).post(reverse("deals:create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_title_error"' in html
    assert "one line" in html
    assert "Typed promise" in html
    assert "Typed description" in html
    assert not Deal.objects.exists()


def test_the_time_off_form_refuses_a_week_in_the_year_9999(pm, client_for):
    response = client_for(pm).post(
        reverse("projects:time_off_add"), {"week_start": "9999-W52", "days": "0", "note": ""}
    )
    assert "Enter a date between" in response.content.decode()
    assert not CapacityException.objects.exists()


def test_a_kickoff_item_with_control_characters_is_refused(rep, pm, client_for):
    project = deal_in(DealStatus.WON, owner=rep, pm=pm).project
    before = KickoffItem.objects.filter(project=project).count()
    response = client_for(pm).post(
        reverse("projects:kickoff_add", args=[project.pk]), {"text": "Call \x1b[31m now"}
    )
    assert response.status_code == 400
    assert "U+001B" in response.content.decode()
    assert KickoffItem.objects.filter(project=project).count() == before


def test_a_goal_for_the_year_0_is_a_form_error(manager, client_for):
    response = client_for(manager).post(
        reverse("dashboard-goal-create"),
        {"quarter": "0000-Q1", "metric": "kept_rate", "comparison": "gte", "target": "90"},
    )
    assert response.status_code == 200
    assert "Choose a quarter between" in response.content.decode()
    assert not SharedGoal.objects.exists()
    assert client_for(manager).get(reverse("dashboard-goals")).status_code == 200


def test_demo_sized_values_still_pass(rep):
    """The bounds leave room for real deals: a large one, a long promise, a big effort."""
    body = deal_body(
        value="950000000.00",
        expected_close_date=soon(365 * 9),
        commitments=[
            {
                "kind": "scope",
                "summary": "Multi-year programme",
                "promised_date": soon(365 * 9),
                "effort_days": str(Decimal("4999.5")),
            }
        ],
    )
    assert api(rep).post("/api/v1/deals/", body, format="json").status_code == 201


# Bodies written through services that build their rows themselves


def test_comments_notes_and_replies_refuse_control_characters(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    comment = api(rep).post(
        f"/api/v1/deals/{deal.pk}/comments/", {"body": "Ping\x1b[2J the team"}, format="json"
    )
    assert_field_error(comment, "body", "Remove the control character U+001B")
    assert not deal.comments.exists()
    note = api(pm).post(
        "/api/v1/feedback/",
        {"direction": "to_sales", "topic": "praise", "body": "Great\x07 work", "deal": deal.pk},
        format="json",
    )
    assert_field_error(note, "body", "Remove the control character U+0007")
    fine = api(rep).post(
        f"/api/v1/deals/{deal.pk}/comments/", {"body": "Line one\nLine two\tend"}, format="json"
    )
    assert fine.status_code == 201, fine.content


def test_a_reply_with_control_characters_is_refused(rep, pm):
    from django.core.exceptions import ValidationError

    from feedback import services as feedback_services

    note = feedback_services.note_create(
        author=pm, direction="to_sales", topic="praise", body="Well sold", recipient=rep
    )
    with pytest.raises(ValidationError) as error:
        feedback_services.note_reply(note=note, actor=rep, reply="Thanks\x1b")
    assert "reply" in error.value.message_dict
    note.refresh_from_db()
    assert note.reply == ""
