"""The site search: grouped by kind, bounded, scoped to the user, the page and the API alike."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from deals import services
from handoff.models import Role, TeamKind
from insights.rules import can_see_scorecard
from insights.search import MAX_QUERY_LENGTH, PER_KIND, people_visible_to, search
from tests.deals.builders import draft_deal
from tests.factories import ClientFactory, DealFactory, TeamFactory, UserFactory
from tests.projects.builders import bulk_project, win

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def titles(result, kind: str) -> list[str]:
    return [hit.title for group in result.groups if group.kind == kind for hit in group.hits]


def test_results_are_grouped_by_kind(rep, pm, manager):
    client = ClientFactory(name="Harbour Freight")
    deal = draft_deal(rep, title="Harbour scanners", client=client)
    services.deal_submit(deal=deal, actor=rep)
    win(rep, pm, title="Harbour analytics")
    UserFactory(username="harbourmaster", role=Role.PM, first_name="Hal", last_name="Harbour")

    result = search(manager, "harbour")

    assert [g.kind for g in result.groups] == ["deals", "clients", "projects", "people"]
    assert set(titles(result, "deals")) == {"Harbour scanners", "Harbour analytics"}
    assert titles(result, "clients") == ["Harbour Freight"]
    assert titles(result, "projects") == ["Harbour analytics"]
    assert titles(result, "people") == ["Hal Harbour"]
    deal_hit = next(g for g in result.groups if g.kind == "deals").hits
    assert {hit.url for hit in deal_hit} >= {deal.get_absolute_url()}


def test_a_blank_query_searches_nothing(rep):
    assert search(rep, "   ").groups == []
    assert search(rep, "").total == 0


def test_each_kind_shows_at_most_per_kind_and_says_there_are_more(rep):
    for n in range(PER_KIND + 3):
        DealFactory(owner=rep, title=f"Kiosk {n}")

    deals = next(g for g in search(rep, "kiosk").groups if g.kind == "deals")

    assert len(deals.hits) == PER_KIND
    assert deals.more
    assert deals.more_url == reverse("deals:list") + "?q=kiosk"


def test_a_rep_finds_own_deals_only_and_a_pm_no_draft(rep, rep2, pm):
    draft_deal(rep, title="Lighthouse draft")
    submitted = draft_deal(rep, title="Lighthouse rollout")
    services.deal_submit(deal=submitted, actor=rep)

    assert set(titles(search(rep, "lighthouse"), "deals")) == {
        "Lighthouse draft",
        "Lighthouse rollout",
    }
    assert titles(search(rep2, "lighthouse"), "deals") == []
    assert titles(search(pm, "lighthouse"), "deals") == ["Lighthouse rollout"]


def test_a_rep_finds_projects_of_own_deals_only(rep, rep2, pm):
    project = bulk_project(rep, pm, 7)

    assert titles(search(rep, "bulk 7"), "projects") == [project.deal.title]
    assert titles(search(rep2, "bulk 7"), "projects") == []
    assert titles(search(pm, "bulk 7"), "projects") == [project.deal.title]


def test_people_are_those_whose_scorecard_the_user_may_open(rep, rep2, pm, pm2, manager):
    team = TeamFactory(name="North sales", kind=TeamKind.SALES)
    team.members.add(rep, rep2)
    everyone = [rep, rep2, pm, pm2, manager]
    for viewer, person in itertools.product(everyone, everyone):
        listed = people_visible_to(viewer).filter(pk=person.pk).exists()
        may_open = person.role in (Role.SALES, Role.PM) and can_see_scorecard(viewer, person)
        assert listed == may_open, (viewer.username, person.username)


def test_a_query_is_cut_to_its_bound(rep):
    DealFactory(owner=rep, title="x" * 10)
    assert search(rep, "x" * (MAX_QUERY_LENGTH + 50)).q == "x" * MAX_QUERY_LENGTH


# The page


def test_the_page_shows_the_groups(rep, client_for):
    DealFactory(owner=rep, title="Orchard sensors", client=ClientFactory(name="Orchard Farms"))

    response = client_for(rep).get(reverse("search"), {"q": "orchard"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="search-deals">Deals' in html
    assert '<h2 id="search-clients">Clients' in html
    assert "Orchard sensors" in html
    assert 'id="search-projects"' not in html  # an empty kind is left out
    assert 'value="orchard"' in html  # the header's box keeps the query


def test_the_page_without_a_query_invites_one(rep, client_for):
    response = client_for(rep).get(reverse("search"))
    assert response.status_code == 200
    assert "Press <kbd>/</kbd>" in response.content.decode()


def test_the_page_says_when_nothing_matches(rep, client_for):
    response = client_for(rep).get(reverse("search"), {"q": "zzz-nothing"})
    assert "Nothing you can see matches “zzz-nothing”." in response.content.decode()


def test_the_page_refuses_an_overlong_query_in_words(rep, client_for):
    response = client_for(rep).get(reverse("search"), {"q": "a" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400
    assert f"Search for at most {MAX_QUERY_LENGTH} characters." in response.content.decode()


def test_the_page_sends_the_anonymous_to_log_in(client):
    response = client.get(reverse("search"), {"q": "a"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def _queries(http, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["search", "api:search"])
def test_query_count_is_the_same_for_1_and_many_matches(
    name, rep, pm, manager, client_for, django_assert_num_queries
):
    TeamFactory(name="Search team").members.add(rep, manager)
    http = api_as(manager) if name.startswith("api:") else client_for(manager)
    url = reverse(name)
    params = {"q": "bulk"}
    bulk_project(rep, pm, 0)
    UserFactory(username="bulky0", role=Role.SALES)
    with_one = _queries(http, url, params)
    for n in range(1, PER_KIND + 5):
        bulk_project(rep, pm, n)
        UserFactory(username=f"bulky{n}", role=Role.SALES)
        ClientFactory(name=f"Bulk client {n}")

    with django_assert_num_queries(with_one):
        response = http.get(url, params)
    assert response.status_code == 200


# The API


def test_the_api_answers_the_same_groups(rep, client_for):
    deal = DealFactory(owner=rep, title="Orchard sensors", client=ClientFactory(name="Orchard"))

    body = api_as(rep).get(reverse("api:search"), {"q": " orchard "}).json()

    assert body["q"] == "orchard"
    assert [g["kind"] for g in body["groups"]] == ["deals", "clients", "projects", "people"]
    deals = body["groups"][0]
    assert deals["results"] == [
        {
            "id": deal.pk,
            "title": "Orchard sensors",
            "detail": "Orchard · Draft",
            "url": deal.get_absolute_url(),
        }
    ]
    assert deals["more"] is False
    page = client_for(rep).get(reverse("search"), {"q": "orchard"}).context["result"]
    assert [(g.kind, [h.id for h in g.hits]) for g in page.groups] == [
        (g["kind"], [h["id"] for h in g["results"]]) for g in body["groups"]
    ]


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "  "}, {"q": "a" * (MAX_QUERY_LENGTH + 1)}],
    ids=["missing", "blank", "too-long"],
)
def test_the_api_refuses_bad_input_with_a_field_error(rep, params):
    response = api_as(rep).get(reverse("api:search"), params)
    assert response.status_code == 400
    assert list(response.json()) == ["q"]


def test_the_api_asks_the_anonymous_to_sign_in():
    assert APIClient().get(reverse("api:search"), {"q": "a"}).status_code == 401
