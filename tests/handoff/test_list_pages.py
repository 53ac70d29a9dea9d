"""Every list page sorts by its column headers and searches, at the same query cost for any size.

The lists: the deal list, the review queue, projects, a project's deliverables, the feedback
inbox and the notifications. Each is built with rows whose names sort as A, B, C.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals import services
from deals.models import Deal
from feedback.models import Notification
from feedback.services import note_create
from projects.models import Deliverable
from tests.deals.builders import draft_deal
from tests.factories import CommitmentFactory, DealFactory
from tests.projects.builders import bulk_project

pytestmark = pytest.mark.django_db


class World:
    """Rows of each list for the signed-in `viewer`; `add(n)` adds n more matching "Kiosk"."""

    def __init__(self, name, people):
        self.name = name
        self.rep, self.pm, self.manager = people["rep"], people["pm"], people["manager"]
        self.count = 0
        self.project = bulk_project(self.rep, self.pm, 0) if name == "deliverables" else None
        if self.project:
            self.project.deliverables.all().delete()

    @property
    def viewer(self):
        return {"deals": self.manager, "queue": self.pm, "projects": self.pm}.get(
            self.name, self.pm if self.name == "deliverables" else self.rep
        )

    @property
    def url(self) -> str:
        if self.name == "deliverables":
            return self.project.get_absolute_url()
        return reverse(
            {
                "deals": "deals:list",
                "queue": "deals:queue",
                "projects": "projects:list",
                "inbox": "feedback:inbox",
                "notifications": "feedback:notifications",
            }[self.name]
        )

    def add(self, *titles: str) -> None:
        for title in titles:
            self.count += 1
            getattr(self, f"_add_{self.name}")(title, self.count)

    def _add_deals(self, title, n):
        DealFactory(owner=self.rep, title=title, value=Decimal(1000 * n))

    def _add_queue(self, title, n):
        deal = draft_deal(self.rep, title=title, commitments=1 + n % 3)
        services.deal_submit(deal=deal, actor=self.rep)

    def _add_projects(self, title, n):
        project = bulk_project(self.rep, self.pm, n)
        Deal.objects.filter(pk=project.deal_id).update(title=title)

    def _add_deliverables(self, title, n):
        Deliverable.objects.create(
            project=self.project,
            commitment=CommitmentFactory(deal=self.project.deal),
            kind="scope",
            summary=title,
            promised_date=timezone.localdate() + datetime.timedelta(days=10 + n),
            effort_days=n,
        )

    def _add_inbox(self, title, n):
        note_create(
            author=self.pm,
            direction="to_sales",
            topic="customer_insight",
            body=f"{title}: what the client told us",
            recipient=self.rep,
        )

    def _add_notifications(self, title, n):
        Notification.objects.create(
            recipient=self.rep, kind="mention", actor=self.pm, text=f"{title} was mentioned"
        )


LISTS = ["deals", "queue", "projects", "deliverables", "inbox", "notifications"]
# Per list: a sort by a name column, the visible order of A, B, C under it, and its reverse.
NAME_SORTS = {
    "deals": "title",
    "queue": "deal",
    "projects": "project",
    "deliverables": "deliverable",
}
EVERY_SORT = {
    "deals": ["title", "-title", "value", "-value", "close", "-close", "updated", "-updated"],
    "queue": ["deal", "-deal", "client", "round", "commitments", "-commitments", "due", "-due"],
    "projects": ["project", "-project", "client", "status", "start", "deliverables", "created"],
    "deliverables": ["deliverable", "-deliverable", "promised", "effort", "-effort", "status"],
    "inbox": ["topic", "-topic", "from", "written", "-written"],
    "notifications": ["from", "-from", "received", "-received"],
}


@pytest.fixture
def people(rep, pm, manager):
    return {"rep": rep, "pm": pm, "manager": manager}


def _html(http, url, params=None) -> str:
    response = http.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def _listed(html: str) -> str:
    """The list itself: a project page's other cards (the estimates, the time and change forms)
    name every deliverable whatever the search."""
    start = html.find('<section id="deliverables"')
    if start < 0:
        return html
    return html[start : html.index("</section>", start)]


def _positions(html: str, *titles: str) -> list[int]:
    return [html.index(title) for title in titles]


@pytest.mark.parametrize("name", list(NAME_SORTS))
def test_a_name_header_sorts_a_to_z_then_z_to_a(name, people, client_for):
    world = World(name, people)
    world.add("Kiosk Bravo", "Kiosk Alpha", "Kiosk Charlie")
    http = client_for(world.viewer)
    key = NAME_SORTS[name]

    ascending = _html(http, world.url, {"sort": key})
    descending = _html(http, world.url, {"sort": f"-{key}"})

    a, b, c = _positions(ascending, "Kiosk Alpha", "Kiosk Bravo", "Kiosk Charlie")
    assert a < b < c
    a, b, c = _positions(descending, "Kiosk Alpha", "Kiosk Bravo", "Kiosk Charlie")
    assert c < b < a
    assert 'aria-sort="ascending"' in ascending and 'aria-sort="descending"' in descending
    assert f'href="?sort=-{key}' in ascending  # the sorted header turns the sort around


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("sort", ["bogus", "-", "owner__password", "title%00", "x" * 300])
def test_an_unknown_sort_is_the_default_order_never_an_error(name, sort, people, client_for):
    world = World(name, people)
    world.add("Kiosk Alpha")
    http = client_for(world.viewer)
    assert "Kiosk Alpha" in _html(http, world.url, {"sort": sort})


@pytest.mark.parametrize("name", LISTS)
def test_the_search_box_narrows_the_list_and_says_when_nothing_matches(name, people, client_for):
    world = World(name, people)
    world.add("Kiosk Alpha", "Tablet Bravo")
    http = client_for(world.viewer)

    found = _listed(_html(http, world.url, {"q": "kiosk"}))
    assert "Kiosk Alpha" in found and "Tablet Bravo" not in found
    nothing = _listed(_html(http, world.url, {"q": "zzz-none"}))
    assert "Kiosk Alpha" not in nothing and "Tablet Bravo" not in nothing


@pytest.mark.parametrize("name", [n for n in LISTS if n != "deals"])
def test_an_overlong_search_is_refused_in_words(name, people, client_for):
    world = World(name, people)
    world.add("Kiosk Alpha")
    html = _html(client_for(world.viewer), world.url, {"q": "k" * 201})
    assert "Search for at most 200 characters." in html


@pytest.mark.parametrize("name", [n for n in LISTS if n != "deals"])
def test_the_search_box_keeps_the_sort_and_the_headers_keep_the_search(name, people, client_for):
    world = World(name, people)
    world.add("Kiosk Alpha")
    sort = EVERY_SORT[name][1]
    html = _html(client_for(world.viewer), world.url, {"sort": sort, "q": "kiosk", "page": "1"})
    assert f'<input type="hidden" name="sort" value="{sort}">' in html
    links = re.findall(r'<a href="([^"]*)" class="sort-link">', html)
    assert links, "no sortable header"
    for link in links:  # each header keeps the search and starts again at page one
        assert "q=kiosk" in link and "sort=" in link and "page=" not in link, link


def test_the_deal_list_headers_keep_its_filters(rep, client_for):
    DealFactory(owner=rep, title="Kiosk Alpha")
    html = _html(
        client_for(rep), reverse("deals:list"), {"status": "draft", "q": "kiosk", "page": "1"}
    )
    assert 'href="?status=draft&amp;q=kiosk&amp;sort=title"' in html


def test_a_reps_deal_list_has_no_owner_column_and_others_have_one(rep, pm, manager, client_for):
    deal = draft_deal(rep, title="Kiosk Alpha")
    services.deal_submit(deal=deal, actor=rep)
    url = reverse("deals:list")
    assert '<th scope="col">Owner</th>' not in _html(client_for(rep), url)
    for user in (pm, manager):
        html = _html(client_for(user), url)
        assert '<th scope="col">Owner</th>' in html and rep.display_name in html


def _queries(http, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", LISTS)
def test_sorted_and_searched_lists_cost_the_same_for_1_and_30_rows(
    name, people, client_for, django_assert_num_queries
):
    world = World(name, people)
    world.add("Kiosk 0")
    http = client_for(world.viewer)
    cases = [{"sort": sort, "q": "kiosk"} for sort in EVERY_SORT[name]]
    with_one = [_queries(http, world.url, params) for params in cases]
    world.add(*(f"Kiosk {n}" for n in range(1, 30)))

    for params, expected in zip(cases, with_one, strict=True):
        with django_assert_num_queries(expected):
            response = http.get(world.url, params)
        assert response.status_code == 200
