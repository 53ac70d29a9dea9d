"""Deal templates: managers define standard commitments; a new deal starts from one."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from deals import services
from deals.models import DealTemplate
from handoff.errors import ActionForbidden

ITEMS = [
    {"kind": "scope", "summary": "Pilot store", "effort_days": "5", "offset_days": 30},
    {"kind": "timeline", "summary": "All stores live", "effort_days": "20", "offset_days": 120},
]


def make(manager, name="Retail rollout", items=ITEMS) -> DealTemplate:
    return services.deal_template_save(actor=manager, name=name, commitments=items)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
class TestService:
    def test_a_manager_defines_one(self, manager):
        template = make(manager)
        assert list(template.commitments.values_list("summary", "offset_days")) == [
            ("Pilot store", 30),
            ("All stores live", 120),
        ]

    def test_a_rep_may_not(self, rep):
        with pytest.raises(ActionForbidden):
            make(rep)
        assert not DealTemplate.objects.exists()

    def test_names_are_unique_whatever_the_case(self, manager):
        make(manager)
        with pytest.raises(ValidationError, match="already exists"):
            make(manager, name="RETAIL ROLLOUT")

    def test_an_offset_past_the_bound_writes_nothing(self, manager):
        with pytest.raises(ValidationError):
            make(manager, items=[{**ITEMS[0], "offset_days": 99999}])
        assert not DealTemplate.objects.exists()

    def test_editing_replaces_the_commitments(self, manager):
        template = make(manager)
        services.deal_template_save(
            actor=manager, template=template, name="Retail", commitments=ITEMS[:1]
        )
        template.refresh_from_db()
        assert template.name == "Retail" and template.commitments.count() == 1


@pytest.mark.django_db
class TestPages:
    def test_create_from_the_page(self, manager, client_for):
        http = client_for(manager)
        assert http.get(reverse("deals:template_create")).status_code == 200
        data = {
            "name": "Support renewal",
            "rows-TOTAL_FORMS": "2",
            "rows-INITIAL_FORMS": "0",
            "rows-0-kind": "support",
            "rows-0-summary": "Named support engineer",
            "rows-0-effort_days": "2",
            "rows-0-offset_days": "0",
        }
        response = http.post(reverse("deals:template_create"), data)
        assert response.status_code == 302
        template = DealTemplate.objects.get(name="Support renewal")
        assert template.commitments.get().summary == "Named support engineer"

    def test_a_bad_row_comes_back_with_its_error(self, manager, client_for):
        data = {
            "name": "x",
            "rows-TOTAL_FORMS": "1",
            "rows-INITIAL_FORMS": "0",
            "rows-0-kind": "support",
            "rows-0-summary": "s",
            "rows-0-effort_days": "lots",
            "rows-0-offset_days": "0",
        }
        response = client_for(manager).post(reverse("deals:template_create"), data)
        assert response.status_code == 400 and not DealTemplate.objects.exists()

    def test_delete_asks_first(self, manager, client_for):
        template = make(manager)
        url = reverse("deals:template_delete", args=[template.pk])
        page = client_for(manager).get(url)
        assert page.status_code == 200 and "Delete the template" in page.content.decode()
        assert DealTemplate.objects.exists()
        assert client_for(manager).post(url).status_code == 302
        assert not DealTemplate.objects.exists()

    def test_a_rep_may_not_open_the_pages(self, rep, manager, client_for):
        template = make(manager)
        for url in (
            reverse("deals:templates"),
            reverse("deals:template_edit", args=[template.pk]),
            reverse("deals:template_delete", args=[template.pk]),
        ):
            assert client_for(rep).get(url).status_code == 403

    @pytest.mark.parametrize("count", [1, 15])
    def test_the_list_query_count_does_not_grow(
        self, manager, client_for, django_assert_num_queries, count
    ):
        for n in range(count):
            make(manager, name=f"Template {n}")
        http = client_for(manager)
        http.get(reverse("deals:templates"))
        with django_assert_num_queries(6):
            assert http.get(reverse("deals:templates")).status_code == 200

    def test_new_deal_from_template_prefills_the_commitments(self, rep, manager, client_for):
        template = make(manager)
        page = client_for(rep).get(
            reverse("deals:create"), {"template": template.pk, "start": "2027-03-01"}
        )
        body = page.content.decode()
        assert "New deal from template" in body
        assert 'value="Pilot store"' in body and 'value="All stores live"' in body
        start = datetime.date(2027, 3, 1)
        assert (start + datetime.timedelta(days=30)).isoformat() in body
        assert (start + datetime.timedelta(days=120)).isoformat() in body

    def test_a_missing_template_or_bad_start_is_ignored(self, rep, manager, client_for):
        make(manager)
        page = client_for(rep).get(reverse("deals:create"), {"template": "999", "start": "x"})
        assert page.status_code == 200 and 'value="Pilot store"' not in page.content.decode()


@pytest.mark.django_db
class TestApi:
    def test_reps_read_managers_write(self, rep, pm, manager):
        make(manager)
        listed = api(rep).get("/api/v1/deal-templates/")
        assert listed.status_code == 200
        assert listed.json()["results"][0]["commitments"][0]["summary"] == "Pilot store"
        assert api(pm).get("/api/v1/deal-templates/").status_code == 403
        body = {"name": "New", "commitments": ITEMS}
        assert api(rep).post("/api/v1/deal-templates/", body, format="json").status_code == 403
        created = api(manager).post("/api/v1/deal-templates/", body, format="json")
        assert created.status_code == 201 and len(created.json()["commitments"]) == 2

    def test_bad_input_is_a_400(self, manager):
        body = {"name": "New", "commitments": [{**ITEMS[0], "offset_days": -1}]}
        response = api(manager).post("/api/v1/deal-templates/", body, format="json")
        assert response.status_code == 400 and "commitments" in response.json()
        make(manager)
        dup = api(manager).post(
            "/api/v1/deal-templates/", {"name": "retail rollout"}, format="json"
        )
        assert dup.status_code == 400 and "name" in dup.json()
