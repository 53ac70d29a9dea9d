"""/api/v1/time-entries/ and /api/v1/change-requests/: reads scoped like the projects, writes
through the services, bad input 400, refusals 403, foreign rows 404, conflicts 409."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from projects import services, services_changes, services_time
from tests.projects.builders import win

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
ENTRIES = "/api/v1/time-entries/"
CHANGES = "/api/v1/change-requests/"


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def deliverable(rep, pm):
    project = win(rep, pm)
    services.project_accept_handoff(project=project, actor=pm)
    return project.deliverables.order_by("promised_date").first()


class TestTimeEntries:
    def test_create_in_hours_or_days_and_list_with_filters(self, deliverable, pm, api):
        client = api(pm)
        one = client.post(
            ENTRIES, {"deliverable": deliverable.pk, "day": TODAY().isoformat(), "hours": "3"}
        )
        assert one.status_code == 201, one.json()
        assert one.json()["days"] == "0.375" and one.json()["person"] == pm.pk
        two = client.post(
            ENTRIES, {"deliverable": deliverable.pk, "day": TODAY().isoformat(), "days": "0.5"}
        )
        assert two.status_code == 201 and two.json()["hours"] == "4.00"
        assert client.get(ENTRIES, {"deliverable": deliverable.pk}).json()["count"] == 2
        assert client.get(ENTRIES, {"project": deliverable.project_id}).json()["count"] == 2
        assert client.get(ENTRIES, {"person": 99999}).json()["count"] == 0
        yesterday = (TODAY() - datetime.timedelta(days=1)).isoformat()
        assert client.get(ENTRIES, {"day_to": yesterday}).json()["count"] == 0
        assert client.get(ENTRIES, {"day_from": "not-a-date"}).status_code == 400

    @pytest.mark.parametrize(
        "body",
        [
            {"hours": "-1"},
            {"hours": "25"},
            {"days": "4"},
            {"hours": "1", "days": "1"},
            {},
            {"hours": "1", "day": "2999-01-01"},
            {"hours": "1", "day": "1999-01-01"},
            {"hours": "1", "note": "x" * 201},
            {"hours": "NaN"},
        ],
    )
    def test_bad_input_is_400(self, deliverable, pm, api, body):
        data = {"deliverable": deliverable.pk, "day": TODAY().isoformat(), **body}
        response = api(pm).post(ENTRIES, data)
        assert response.status_code == 400, response.json()

    def test_a_full_day_is_400_on_hours(self, deliverable, pm, api):
        services_time.time_entry_add(deliverable=deliverable, actor=pm, day=TODAY(), hours="23")
        response = api(pm).post(
            ENTRIES, {"deliverable": deliverable.pk, "day": TODAY().isoformat(), "hours": "2"}
        )
        assert response.status_code == 400 and "hours" in response.json()

    def test_who_may_write(self, deliverable, rep, rep2, pm2, manager, api):
        data = {"deliverable": deliverable.pk, "day": TODAY().isoformat(), "hours": "1"}
        assert api(rep).post(ENTRIES, data).status_code == 403
        assert api(manager).post(ENTRIES, data).status_code == 403
        assert api(rep2).post(ENTRIES, data).status_code == 404  # a foreign deliverable
        assert api(pm2).post(ENTRIES, {**data, "deliverable": 999999}).status_code == 404
        assert api(pm2).post(ENTRIES, data).status_code == 201

    def test_update_and_delete_own_only(self, deliverable, pm, pm2, api):
        entry = services_time.time_entry_add(
            deliverable=deliverable, actor=pm, day=TODAY(), hours="2"
        )
        url = f"{ENTRIES}{entry.pk}/"
        body = {"day": TODAY().isoformat(), "hours": "3", "note": "More"}
        assert api(pm2).put(url, body).status_code == 403
        assert api(pm2).delete(url).status_code == 403
        response = api(pm).put(url, body)
        assert response.status_code == 200 and response.json()["hours"] == "3.00"
        assert api(pm).put(url, {**body, "hours": "30"}).status_code == 400
        assert api(pm).patch(url, body).status_code == 405
        assert api(pm).delete(url).status_code == 204
        assert api(pm).get(url).status_code == 404

    def test_a_completed_project_is_409(self, deliverable, pm, api):
        from projects.models import Project

        Project.objects.filter(pk=deliverable.project_id).update(status="completed")
        response = api(pm).post(
            ENTRIES, {"deliverable": deliverable.pk, "day": TODAY().isoformat(), "hours": "1"}
        )
        assert response.status_code == 409 and response.json()["code"] == "project_completed"

    def test_rep2_sees_none_of_reps_entries(self, deliverable, rep, rep2, pm, api):
        entry = services_time.time_entry_add(
            deliverable=deliverable, actor=pm, day=TODAY(), hours="2"
        )
        assert api(rep).get(ENTRIES).json()["count"] == 1
        assert api(rep2).get(ENTRIES).json()["count"] == 0
        assert api(rep2).get(ENTRIES, {"project": deliverable.project_id}).json()["count"] == 0
        assert api(rep2).get(f"{ENTRIES}{entry.pk}/").status_code == 404
        assert api(rep2).put(f"{ENTRIES}{entry.pk}/", {"day": "x"}).status_code == 404

    def test_anonymous_is_401(self):
        assert APIClient().get(ENTRIES).status_code == 401


class TestChangeRequests:
    def test_raise_approve_and_the_promise_stays_as_sold(self, deliverable, rep, pm, api):
        new_date = (deliverable.promised_date + datetime.timedelta(days=10)).isoformat()
        response = api(pm).post(
            CHANGES,
            {"deliverable": deliverable.pk, "proposed_date": new_date, "reason": "Late data"},
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "open" and body["side"] == "delivery"
        assert body["requirements"][0]["key"] == "owner"
        assert body["requirements"][0]["met"] is False
        url = f"{CHANGES}{body['id']}/approve/"
        own = api(pm).post(url)
        assert own.status_code == 403 and "own" in own.json()["detail"]
        approved = api(rep).post(url)
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert approved.json()["decided_by"] == rep.pk
        assert approved.json()["approvals"][0]["approver"] == rep.pk
        twice = api(rep).post(url)
        assert twice.status_code == 409 and twice.json()["code"] == "change_decided"
        d = api(pm).get(f"/api/v1/deliverables/{deliverable.pk}/").json()
        assert d["promised_date"] == deliverable.promised_date.isoformat()

    def test_reject_needs_a_reason_and_twice_is_409(self, deliverable, rep, pm, api):
        change = services_changes.change_request_raise(
            deliverable=deliverable, actor=rep, reason="Client asks", descope=True
        )
        url = f"{CHANGES}{change.pk}/reject/"
        assert api(pm).post(url, {}).status_code == 400
        assert api(pm).post(url, {"reason": "x" * 2001}).status_code == 400
        assert api(rep).post(url, {"reason": "no"}).status_code == 403
        response = api(pm).post(url, {"reason": "Still needed"})
        assert response.status_code == 200 and response.json()["status"] == "rejected"
        assert api(pm).post(url, {"reason": "again"}).status_code == 409

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"proposed_effort_days": "-1"},
            {"proposed_effort_days": "5001"},
            {"proposed_effort_days": "1.25"},
            {"proposed_date": "1999-01-01"},
            {"proposed_date": "not-a-date"},
            {"descope": True, "proposed_effort_days": "2"},
            {"proposed_effort_days": "3", "reason": ""},
            {"proposed_effort_days": "3", "reason": "x" * 2001},
        ],
    )
    def test_bad_input_is_400(self, deliverable, pm, api, body):
        data = {"deliverable": deliverable.pk, "reason": "Because", **body}
        response = api(pm).post(CHANGES, data, format="json")
        assert response.status_code == 400, response.json()

    def test_refusals_and_conflicts(self, deliverable, rep, rep2, pm, pm2, manager, api):
        data = {"deliverable": deliverable.pk, "proposed_effort_days": "3", "reason": "Smaller"}
        assert api(rep2).post(CHANGES, data).status_code == 404
        assert api(pm2).post(CHANGES, data).status_code == 403
        assert api(manager).post(CHANGES, data).status_code == 403
        assert api(pm).post(CHANGES, data).status_code == 201
        again = api(rep).post(CHANGES, data)
        assert again.status_code == 409 and again.json()["code"] == "change_open"

    def test_a_closed_project_is_409(self, deliverable, pm, api):
        from projects.models import Project

        Project.objects.filter(pk=deliverable.project_id).update(status="completed")
        data = {"deliverable": deliverable.pk, "proposed_effort_days": "3", "reason": "Smaller"}
        response = api(pm).post(CHANGES, data)
        assert response.status_code == 409 and response.json()["code"] == "project_completed"

    def test_rep2_sees_none_of_reps_requests(self, deliverable, rep, rep2, pm, api):
        change = services_changes.change_request_raise(
            deliverable=deliverable, actor=pm, reason="Late", proposed_effort_days="3"
        )
        assert api(rep).get(CHANGES).json()["count"] == 1
        assert api(rep2).get(CHANGES).json()["count"] == 0
        assert api(rep2).get(CHANGES, {"deal": deliverable.project.deal_id}).json()["count"] == 0
        for path in ("", "approve/", "reject/"):
            method = api(rep2).get if not path else api(rep2).post
            assert method(f"{CHANGES}{change.pk}/{path}", {"reason": "x"}).status_code == 404

    def test_filters(self, deliverable, rep, pm, api):
        services_changes.change_request_raise(
            deliverable=deliverable, actor=pm, reason="Late", proposed_effort_days="3"
        )
        client = api(rep)
        assert client.get(CHANGES, {"status": "open"}).json()["count"] == 1
        assert client.get(CHANGES, {"status": "approved"}).json()["count"] == 0
        assert client.get(CHANGES, {"side": "sales"}).json()["count"] == 0
        assert client.get(CHANGES, {"status": "bogus"}).status_code == 400


def test_list_query_counts_do_not_grow(rep, pm, pm2, api, django_assert_num_queries):
    def project_with_work(i):
        project = win(rep, pm, title=f"Project {i}")
        d = project.deliverables.order_by("promised_date").first()
        services_time.time_entry_add(deliverable=d, actor=pm2, day=TODAY(), hours="0.5")
        change = services_changes.change_request_raise(
            deliverable=d, actor=pm, reason="Late", proposed_effort_days="3"
        )
        services_changes.change_request_approve(change=change, actor=rep)

    project_with_work(0)
    client = api(rep)
    with CaptureQueriesContext(connection) as one:
        client.get(ENTRIES, {"page_size": 100})
        client.get(CHANGES, {"page_size": 100})
    for i in range(1, 8):
        project_with_work(i)
    with django_assert_num_queries(len(one)):
        entries = client.get(ENTRIES, {"page_size": 100})
        changes = client.get(CHANGES, {"page_size": 100})
    assert entries.json()["count"] == 8 and changes.json()["count"] == 8


def test_the_schema_has_both_resources(api, pm):
    schema = api(pm).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/time-entries/",
        "/api/v1/time-entries/{id}/",
        "/api/v1/change-requests/",
        "/api/v1/change-requests/{id}/approve/",
        "/api/v1/change-requests/{id}/reject/",
    ):
        assert path in paths, path
    assert "409" in paths["/api/v1/change-requests/{id}/approve/"]["post"]["responses"]


def test_a_deliverable_shows_its_estimate_renegotiation_and_actual_hours(deliverable, rep, pm, api):
    services_time.time_entry_add(deliverable=deliverable, actor=pm, day=TODAY(), hours="6")
    change = services_changes.change_request_raise(
        deliverable=deliverable, actor=pm, reason="Late", proposed_effort_days="14"
    )
    services_changes.change_request_approve(change=change, actor=rep)
    body = api(rep).get(f"/api/v1/deliverables/{deliverable.pk}/").json()
    assert body["effort_days"] == "10.0" and body["estimate_days"] == "10.0"
    assert body["renegotiated_effort_days"] == "14.0" and body["actual_hours"] == "6.00"
    assert body["is_kept"] is False and body["is_kept_as_renegotiated"] is False
    patched = (
        api(pm).patch(f"/api/v1/deliverables/{deliverable.pk}/", {"status": "in_progress"}).json()
    )
    assert patched["actual_hours"] == "6.00"
