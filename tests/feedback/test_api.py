"""The feedback and notifications API: each role, 404 for the invisible, constant queries."""

import pytest
from rest_framework.test import APIClient

from feedback import services
from feedback.models import FeedbackNote, Notification
from tests.feedback.conftest import CaptureCount, submitted

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def note(author, direction="to_delivery", **kwargs):
    return services.note_create(
        author=author, direction=direction, topic="customer_insight", body="Weekly demos", **kwargs
    )


def test_anonymous_is_401():
    assert APIClient().get("/api/v1/feedback/").status_code in (401, 403)
    assert APIClient().get("/api/v1/notifications/").status_code in (401, 403)


def test_create_a_note(rep, pm):
    deal = submitted(rep)
    response = api(rep).post(
        "/api/v1/feedback/",
        {
            "direction": "to_delivery",
            "topic": "competitor",
            "body": "Acme cut prices",
            "recipient": pm.pk,
            "deal": deal.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["author"] == rep.pk and body["deal"] == deal.pk
    assert Notification.objects.filter(recipient=pm, kind="feedback_note").exists()


def test_create_refuses_bad_input_with_field_errors(rep, rep2):
    other = submitted(rep2)
    response = api(rep).post(
        "/api/v1/feedback/",
        {"direction": "to_sales", "topic": "nope", "body": "", "deal": other.pk},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"topic", "body", "deal"}
    response = api(rep).post(
        "/api/v1/feedback/",
        {"direction": "to_sales", "topic": "praise", "body": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "direction" in response.json()


def test_a_note_is_text_as_sent(rep):
    body = {"direction": "to_delivery", "topic": "praise"}

    as_number = api(rep).post("/api/v1/feedback/", {**body, "body": 42}, format="json")
    padded = api(rep).post(
        "/api/v1/feedback/", {**body, "body": "x" * 4999 + "\n\n"}, format="json"
    )

    assert as_number.status_code == padded.status_code == 400
    assert as_number.json() == {"body": ["Give text, not a number or a list."]}
    assert not FeedbackNote.objects.exists()


def test_list_and_read_are_scoped(rep, rep2, pm, manager):
    written = note(rep, recipient=pm)
    assert [n["id"] for n in api(pm).get("/api/v1/feedback/").json()["results"]] == [written.pk]
    assert api(manager).get(f"/api/v1/feedback/{written.pk}/").status_code == 200
    assert api(rep2).get("/api/v1/feedback/").json()["results"] == []
    assert api(rep2).get(f"/api/v1/feedback/{written.pk}/").status_code == 404


def test_acknowledge(rep, pm, pm2):
    written = note(rep, recipient=pm)
    url = f"/api/v1/feedback/{written.pk}/acknowledge/"
    assert api(rep).post(url).status_code == 403
    assert api(pm2).post(url).status_code == 403
    response = api(pm).post(url)
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == pm.pk


def test_notifications_are_the_users_own(rep, pm):
    submitted(rep, pm)
    mine = api(rep).get("/api/v1/notifications/").json()["results"]
    assert [n["kind"] for n in mine] == ["claimed"]
    other = Notification.objects.filter(recipient=pm).first()
    assert api(rep).get(f"/api/v1/notifications/{other.pk}/").status_code == 404
    assert api(rep).post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404


def test_mark_read_and_read_all(rep, pm):
    submitted(rep, pm)
    submitted(rep, pm)
    first = Notification.objects.filter(recipient=rep).first()
    response = api(rep).post(f"/api/v1/notifications/{first.pk}/read/")
    assert response.status_code == 200 and response.json()["is_unread"] is False
    response = api(rep).post("/api/v1/notifications/read-all/")
    assert response.json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()


@pytest.mark.parametrize("endpoint", ["/api/v1/feedback/", "/api/v1/notifications/"])
def test_list_queries_do_not_grow(endpoint, rep, pm):
    client = api(pm)

    def make(n):
        for _ in range(n):
            note(rep, recipient=pm, deal=submitted(rep))

    make(1)
    with CaptureCount() as one:
        assert client.get(endpoint).status_code == 200
    make(24)
    assert FeedbackNote.objects.count() == 25
    with CaptureCount() as many:
        assert len(client.get(endpoint).json()["results"]) >= 25
    assert one.count == many.count


def test_schema_documents_the_feedback_endpoints(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    body = response.content.decode()
    for path in (
        "/api/v1/feedback/{id}/acknowledge/",
        "/api/v1/notifications/read-all/",
        "/api/v1/notifications/{id}/read/",
    ):
        assert path in body
