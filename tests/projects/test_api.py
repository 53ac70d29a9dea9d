import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from projects import services
from projects.models import Deliverable
from tests.projects.builders import bulk_project

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


class TestProjects:
    def test_visibility_by_role(self, won_project, rep, rep2, pm, manager, api):
        for user, count in ((rep, 1), (rep2, 0), (pm, 1), (manager, 1)):
            response = api(user).get("/api/v1/projects/")
            assert response.status_code == 200
            assert response.json()["count"] == count, user
        assert api(rep2).get(f"/api/v1/projects/{won_project.pk}/").status_code == 404
        body = api(rep).get(f"/api/v1/projects/{won_project.pk}/").json()
        assert body["deal"] == won_project.deal_id and body["status"] == "kickoff"
        assert body["deliverable_count"] == 2

    def test_filters(self, won_project, rep, pm, pm2, api):
        assert api(pm).get("/api/v1/projects/", {"deal": won_project.deal_id}).json()["count"] == 1
        assert api(pm).get("/api/v1/projects/", {"deal": 999}).json()["count"] == 0
        assert api(pm).get("/api/v1/projects/", {"pm": pm2.pk}).json()["count"] == 0
        assert api(pm).get("/api/v1/projects/", {"status": "kickoff"}).json()["count"] == 1
        assert api(pm).get("/api/v1/projects/", {"status": "nope"}).status_code == 400

    def test_anonymous_is_401(self):
        assert APIClient().get("/api/v1/projects/").status_code == 401

    def test_read_only(self, won_project, pm, api):
        assert api(pm).patch(f"/api/v1/projects/{won_project.pk}/", {}).status_code == 405

    def test_query_count_is_the_same_for_1_and_50(self, rep, pm, api, django_assert_num_queries):
        bulk_project(rep, pm, 0)
        client = api(pm)
        with CaptureQueriesContext(connection) as one:
            client.get("/api/v1/projects/", {"page_size": 100})
            client.get("/api/v1/deliverables/", {"page_size": 100})
        for i in range(1, 50):
            bulk_project(rep, pm, i)
        with django_assert_num_queries(len(one)):
            first = client.get("/api/v1/projects/", {"page_size": 100})
            second = client.get("/api/v1/deliverables/", {"page_size": 100})
        assert first.json()["count"] == 50 and second.json()["count"] == 50


class TestDeliverables:
    def url(self, project):
        return f"/api/v1/deliverables/{project.deliverables.order_by('promised_date').first().pk}/"

    def test_list_filter_by_project(self, won_project, rep, rep2, api):
        assert (
            api(rep).get("/api/v1/deliverables/", {"project": won_project.pk}).json()["count"] == 2
        )
        assert api(rep2).get("/api/v1/deliverables/").json()["count"] == 0

    def test_pm_marks_delivered(self, won_project, pm, api):
        response = api(pm).patch(
            self.url(won_project), {"status": "delivered", "delivered_on": TODAY().isoformat()}
        )
        assert response.status_code == 200, response.json()
        assert response.json()["is_kept"] is True
        assert response.json()["slip_days"] == 0

    def test_manager_updates(self, won_project, manager, api):
        assert (
            api(manager).patch(self.url(won_project), {"status": "in_progress"}).status_code == 200
        )

    def test_rules_answer_400_with_field_errors(self, won_project, pm, api):
        response = api(pm).patch(self.url(won_project), {"status": "at_risk"})
        assert response.status_code == 400
        assert "status_reason" in response.json()
        response = api(pm).patch(self.url(won_project), {"status": "delivered"})
        assert response.status_code == 400 and "delivered_on" in response.json()
        assert api(pm).patch(self.url(won_project), {"status": "bogus"}).status_code == 400

    def test_reps_403_other_reps_404(self, won_project, rep, rep2, pm2, api):
        assert api(rep).patch(self.url(won_project), {"status": "in_progress"}).status_code == 403
        assert api(pm2).patch(self.url(won_project), {"status": "in_progress"}).status_code == 403
        assert api(rep2).patch(self.url(won_project), {"status": "in_progress"}).status_code == 404

    def test_put_and_delete_are_not_allowed(self, won_project, pm, api):
        assert api(pm).put(self.url(won_project), {"status": "missed"}).status_code == 405
        assert api(pm).delete(self.url(won_project)).status_code == 405

    def test_completed_project_is_409(self, won_project, pm, api):
        from projects.models import Project

        Project.objects.filter(pk=won_project.pk).update(status="completed")
        response = api(pm).patch(self.url(won_project), {"status": "in_progress"})
        assert response.status_code == 409
        assert response.json()["code"] == "project_completed"


class TestCapacity:
    def test_per_pm_and_week(self, won_project, pm, pm2, api):
        services.capacity_set(pm=pm, actor=pm, weekly_days=3)
        monday = TODAY() - datetime.timedelta(days=TODAY().weekday())
        services.capacity_exception_add(pm=pm, actor=pm, week_start=monday, days=1)
        Deliverable.objects.filter(project=won_project).update(
            promised_date=TODAY() - datetime.timedelta(days=1)
        )
        rows = api(pm).get("/api/v1/capacity/", {"pm": pm.pk, "weeks": 3}).json()
        assert [r["iso_week"] for r in rows] == [
            (monday + datetime.timedelta(weeks=i)).isocalendar().week for i in range(3)
        ]
        assert rows[0]["capacity_days"] == "1.00" and rows[0]["load_days"] == "16.00"
        assert rows[0]["over_capacity"] is True
        assert rows[1]["capacity_days"] == "3.00" and rows[1]["load_days"] == "0.00"
        everyone = api(pm).get("/api/v1/capacity/").json()
        assert len(everyone) == 2 * 12

    @pytest.mark.parametrize("weeks", ["0", "53", "x", ""])
    def test_weeks_bounds(self, pm, api, weeks):
        assert api(pm).get("/api/v1/capacity/", {"weeks": weeks}).status_code == 400

    def test_reps_are_refused(self, rep, api):
        assert api(rep).get("/api/v1/capacity/").status_code == 403


def test_capacity_query_count_does_not_grow(rep, pm, api, django_assert_num_queries):
    from django.core.cache import cache

    from tests.factories import UserFactory

    bulk_project(rep, pm, 0)
    client = api(pm)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/capacity/")
    for i in range(1, 20):
        bulk_project(rep, UserFactory(username=f"pm-extra-{i}", role="pm"), i)
    cache.clear()  # both measured cold: loads and the chances of deals to win
    with django_assert_num_queries(len(one)):
        rows = client.get("/api/v1/capacity/").json()
    assert len(rows) == 20 * 12
