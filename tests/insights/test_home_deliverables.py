"""The deliverables list the home page's cards link to: late, due within two weeks or all open,
a PM's own projects' and otherwise what the user may see, at a cost that does not grow."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import services as project_services
from projects.models import DeliverableStatus
from tests.insights.crafted import won_deliverables

pytestmark = pytest.mark.django_db

URL = reverse("home_deliverables")


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def listed(response) -> list[str]:
    return [d.summary for d in response.context["page"].object_list]


@pytest.fixture
def deliverables(rep, rep2, pm, pm2):
    late = won_deliverables(rep, pm, days(-4), ["1"])[0]
    soon = won_deliverables(rep, pm, days(6), ["1"])[0]
    later = won_deliverables(rep, pm, days(40), ["1"])[0]
    delivered = won_deliverables(rep, pm, days(-8), ["1"])[0]
    project_services.deliverable_update_status(
        deliverable=delivered, actor=pm, status=DeliverableStatus.DELIVERED, delivered_on=days(-9)
    )
    others = won_deliverables(rep2, pm2, days(-1), ["1"])[0]
    return {"late": late, "soon": soon, "later": later, "delivered": delivered, "others": others}


def test_a_pm_sees_the_open_deliverables_of_the_projects_they_run(deliverables, pm, client_for):
    http = client_for(pm)
    d = deliverables
    assert listed(http.get(URL, {"due": "late"})) == [d["late"].summary]
    assert listed(http.get(URL, {"due": "soon"})) == [d["soon"].summary]
    assert listed(http.get(URL)) == [d["late"].summary, d["soon"].summary, d["later"].summary]
    html = http.get(URL, {"due": "late"}).content.decode()
    assert "Open deliverables of the projects you run" in html
    assert '<a href="?due=late" aria-current="page">Late</a>' in html
    assert f"{d['late'].project.get_absolute_url()}#deliverable-{d['late'].pk}" in html
    assert ">4 days overdue</time>" in html


def test_an_unknown_choice_lists_all_open(deliverables, pm, client_for):
    response = client_for(pm).get(URL, {"due": "<script>"})
    assert response.status_code == 200
    assert response.context["due"] == "open"


def test_a_rep_sees_their_deals_deliverables_and_none_of_anothers(
    deliverables, rep, rep2, client_for
):
    assert deliverables["others"].summary not in listed(client_for(rep).get(URL))
    assert listed(client_for(rep2).get(URL, {"due": "late"})) == [deliverables["others"].summary]
    html = client_for(rep2).get(URL).content.decode()
    assert deliverables["late"].summary not in html
    assert deliverables["late"].project.deal.title not in html


def test_a_manager_sees_every_project_with_its_pm(deliverables, manager, client_for):
    response = client_for(manager).get(URL, {"due": "late"})
    assert listed(response) == [deliverables["late"].summary, deliverables["others"].summary]
    assert "Project manager" in response.content.decode()


def test_empty_lists_say_so(pm2, client_for):
    http = client_for(pm2)
    assert "Nothing is late." in http.get(URL, {"due": "late"}).content.decode()
    assert (
        "Nothing is due in the next two weeks." in http.get(URL, {"due": "soon"}).content.decode()
    )


def test_the_anonymous_are_sent_to_sign_in(client):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("role", ["rep", "pm", "manager"])
def test_the_list_costs_the_same_for_one_row_or_many(
    role, rep, pm, request, client_for, django_assert_num_queries
):
    http = client_for(request.getfixturevalue(role))
    won_deliverables(rep, pm, days(-3), ["1"])
    with CaptureQueriesContext(connection) as one:
        assert len(listed(http.get(URL, {"due": "late"}))) == 1
    for _ in range(4):
        won_deliverables(rep, pm, days(-3), ["1", "2", "3"])
    with django_assert_num_queries(len(one)):
        assert len(listed(http.get(URL, {"due": "late"}))) == 13
