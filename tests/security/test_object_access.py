"""Ids of objects a user may not see: 404 on pages, partials and the API, and nothing at all
through filters, search and counts — the same answer as for an id that does not exist.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

NO_SUCH_ID = 987654

REP_TITLES = (
    "Draft store rollout",
    "Warehouse scanners",
    "Claimed kiosk fleet",
    "Loyalty app",
    "Payment terminals",
    "Store analytics",
    "Lost tender",
)


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def listing(response) -> tuple[int, list]:
    body = response.json()
    if isinstance(body, dict) and "results" in body:
        return body["count"], body["results"]
    return len(body), body


# (list endpoint, filter, world object whose id is used) — rep2 may see none of them.
API_FILTERS = [
    ("api:deal-list", "owner", "user.rep"),
    ("api:deal-list", "client", "client"),
    ("api:commitment-list", "deal", "deal.in_review"),
    ("api:verdict-list", "deal", "deal.changes_requested"),
    ("api:escalation-list", "deal", "deal.changes_requested"),
    ("api:project-list", "deal", "deal.won"),
    ("api:deliverable-list", "project", "project"),
    ("api:feedback-note-list", "deal", "deal.in_review"),
]


def world_id(world, key: str) -> int:
    return world.client.pk if key == "client" else world.get(key).pk


@pytest.mark.django_db
class TestApi:
    @pytest.mark.parametrize(("name", "param", "key"), API_FILTERS)
    def test_filtering_by_anothers_ids_finds_nothing_and_tells_nothing(
        self, world, name, param, key
    ):
        api = api_as(world.users["rep2"])
        url = reverse(name)
        hidden = api.get(url, {param: world_id(world, key)})
        missing = api.get(url, {param: NO_SUCH_ID})
        assert hidden.status_code == missing.status_code, (hidden.content, missing.content)
        if hidden.status_code == 200:
            count, rows = listing(hidden)
            assert count == 0 and rows == [], rows
            assert listing(missing)[0] == 0

    def test_search_does_not_reach_anothers_deals(self, world):
        for term in ("Warehouse", "Acme", "scanners"):
            count, rows = listing(
                api_as(world.users["rep2"]).get(reverse("api:deal-list"), {"search": term})
            )
            assert count == 0, rows

    def test_a_pm_finds_no_never_submitted_draft(self, world):
        api = api_as(world.users["pm"])
        count, rows = listing(api.get(reverse("api:deal-list"), {"search": "Draft store"}))
        assert count == 0, rows
        draft = world.deals["draft"]
        count, _ = listing(api.get(reverse("api:commitment-list"), {"deal": draft.pk}))
        assert count == 0
        assert api.get(reverse("api:deal-detail", kwargs={"pk": draft.pk})).status_code == 404

    @pytest.mark.parametrize(
        ("name", "key"),
        [
            ("api:deal-detail", "deal.in_review"),
            ("api:deal-approvals", "deal.in_review"),
            ("api:deal-event-list", "deal.in_review"),
            ("api:deal-comment-list", "deal.in_review"),
            ("api:commitment-detail", "commitment.in_review"),
            ("api:verdict-detail", "verdict.flagged"),
            ("api:escalation-detail", "escalation"),
            ("api:project-detail", "project"),
            ("api:deliverable-detail", "deliverable"),
            ("api:feedback-note-detail", "note"),
            ("api:notification-detail", "notification"),
        ],
    )
    def test_anothers_object_is_not_found_like_a_missing_one(self, world, name, key):
        api = api_as(world.users["rep2"])
        kwarg = "deal_pk" if name in ("api:deal-event-list", "api:deal-comment-list") else "pk"
        hidden = api.get(reverse(name, kwargs={kwarg: world.get(key).pk}))
        missing = api.get(reverse(name, kwargs={kwarg: NO_SUCH_ID}))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()

    def test_writes_to_anothers_deal_are_not_found(self, world):
        api = api_as(world.users["rep2"])
        deal = world.deals["in_review"]
        comment = api.post(
            reverse("api:deal-comment-list", kwargs={"deal_pk": deal.pk}), {"body": "hi"}
        )
        assert comment.status_code == 404
        commitment = api.post(
            reverse("api:commitment-list"),
            {
                "deal": world.deals["draft"].pk,
                "kind": "scope",
                "summary": "x",
                "promised_date": "2030-01-01",
                "effort_days": "1",
            },
        )
        assert commitment.status_code in (400, 404)
        assert not world.deals["draft"].commitments.filter(summary="x").exists()
        assert not deal.comments.filter(body="hi").exists()

    @pytest.mark.parametrize(
        ("name", "key", "body"),
        [
            ("api:verdict-accept-counter", "verdict.flagged", {}),
            ("api:deal-release", "deal.claimed", {"note": "x"}),
            ("api:deal-assign", "deal.claimed", {"reviewer": "user.pm2"}),
        ],
    )
    def test_review_writes_on_anothers_deal_are_not_found(self, world, name, key, body):
        api = api_as(world.users["rep2"])
        data = {k: world.get(v).pk if v.startswith("user.") else v for k, v in body.items()}
        hidden = api.post(reverse(name, kwargs={"pk": world.get(key).pk}), data, format="json")
        missing = api.post(reverse(name, kwargs={"pk": NO_SUCH_ID}), data, format="json")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()

    def test_the_approvals_of_a_deal_tell_another_rep_nothing(self, world):
        """rep2 reads no approvals of rep's deals, and a PM none of a never-submitted draft."""
        for role, key in (("rep2", "in_review"), ("rep2", "signed_off"), ("pm", "draft")):
            url = reverse("api:deal-approvals", kwargs={"pk": world.deals[key].pk})
            response = api_as(world.users[role]).get(url)
            assert response.status_code == 404, (role, key)
            assert response.json() == {"detail": "Not found.", "code": "not_found"}
        own = api_as(world.users["rep2"]).get(
            reverse("api:deal-approvals", kwargs={"pk": world.deals["rep2_in_review"].pk})
        )
        assert own.status_code == 200
        assert own.json()["round"] == 1

    def test_lists_hold_only_what_the_user_may_see(self, world):
        rep2 = world.users["rep2"]
        api = api_as(rep2)
        _, deals = listing(api.get(reverse("api:deal-list"), {"page_size": 100}))
        assert {d["title"] for d in deals} <= {"Rep2 private draft", "Rep2 fleet tracking"}
        _, notes = listing(api.get(reverse("api:feedback-note-list")))
        assert all(n.get("recipient") in (None, rep2.pk) for n in notes), notes
        _, notifications = listing(api.get(reverse("api:notification-list")))
        mine = (
            {n.pk for n in world.users["rep"].notifications.all()}
            if hasattr(world.users["rep"], "notifications")
            else set()
        )
        assert not mine & {n["id"] for n in notifications}


@pytest.mark.django_db
class TestPages:
    def _body(self, http, url, **headers) -> str:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, url
        return response.content.decode()

    @pytest.mark.parametrize("htmx", [False, True])
    def test_deal_list_filters_and_search_show_nothing_of_anothers(self, world, client_for, htmx):
        http = client_for(world.users["rep2"])
        headers = {"HX-Request": "true"} if htmx else {}
        base = reverse("deals:list")
        for query in (
            f"client={world.client.pk}",
            f"owner={world.users['rep'].pk}",
            "q=Warehouse",
            "q=Acme",
            "status=in_review",
            "status=won",
        ):
            body = self._body(http, f"{base}?{query}", **headers)
            leaked = [t for t in REP_TITLES if t in body]
            assert not leaked, f"{query}: {leaked}"

    def test_a_pm_never_sees_a_draft_in_lists_or_search(self, world, client_for):
        http = client_for(world.users["pm"])
        for url in (
            reverse("deals:list"),
            reverse("deals:list") + "?q=Draft+store",
            reverse("deals:queue"),
            reverse("home"),
        ):
            assert "Draft store rollout" not in self._body(http, url)

    @pytest.mark.parametrize(
        ("name", "kwargs"),
        [
            ("deals:detail", {"pk": "deal.in_review"}),
            ("deals:version", {"pk": "deal.in_review"}),
            ("deals:edit", {"pk": "deal.draft"}),
            # The confirmation pages of what cannot be undone name the deal and its flags.
            ("deals:sign_off", {"pk": "deal.claimed"}),
            ("deals:request_changes", {"pk": "deal.claimed"}),
            ("deals:win", {"pk": "deal.signed_off"}),
            ("deals:lose", {"pk": "deal.in_review"}),
            ("deals:revise", {"pk": "deal.signed_off"}),
            ("projects:detail", {"pk": "project"}),
            ("projects:brief", {"pk": "project"}),
            ("feedback:note", {"pk": "note"}),
            ("feedback:notification_open", {"pk": "notification"}),
        ],
    )
    @pytest.mark.parametrize("htmx", [False, True])
    def test_anothers_page_is_not_found_like_a_missing_one(
        self, world, client_for, name, kwargs, htmx
    ):
        http = client_for(world.users["rep2"])
        headers = {"HX-Request": "true"} if htmx else {}
        hidden = http.get(
            reverse(name, kwargs={k: world.get(v).pk for k, v in kwargs.items()}), headers=headers
        )
        missing = http.get(reverse(name, kwargs=dict.fromkeys(kwargs, NO_SUCH_ID)), headers=headers)
        assert hidden.status_code == missing.status_code == 404

    def test_pages_of_others_lists_do_not_name_anothers_deals(self, world, client_for):
        http = client_for(world.users["rep2"])
        for name in (
            "home",
            "home_deliverables",
            "projects:list",
            "feedback:inbox",
            "feedback:notifications",
        ):
            body = self._body(http, reverse(name))
            leaked = [t for t in REP_TITLES if t in body]
            assert not leaked, f"{name}: {leaked}"

    def test_csv_export_is_for_managers_only(self, world, client_for):
        url = reverse("dashboard-export", kwargs={"table": "figures"})
        for role in ("rep", "rep2", "pm"):
            assert client_for(world.users[role]).get(url).status_code == 403
        response = client_for(world.users["manager"]).get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")


@pytest.mark.django_db
class TestSearch:
    """The site search, page and API, finds only what its user may see, by any word of it."""

    TERMS = ("Warehouse", "scanners", "analytics", "Acme", "Draft store", "kiosk", "a")

    def _api_titles(self, user, term: str) -> dict[str, list[str]]:
        body = api_as(user).get(reverse("api:search"), {"q": term}).json()
        return {
            group["kind"]: [hit["title"] for hit in group["results"]] for group in body["groups"]
        }

    def test_another_reps_deals_and_projects_are_not_found(self, world, client_for):
        rep2 = world.users["rep2"]
        http = client_for(rep2)
        for term in self.TERMS:
            body = http.get(reverse("search"), {"q": term}).content.decode()
            assert not [t for t in REP_TITLES if t in body], term
            found = self._api_titles(rep2, term)
            assert not set(REP_TITLES) & set(found.get("deals", []) + found.get("projects", []))

    def test_a_pm_finds_no_never_submitted_draft(self, world, client_for):
        pm = world.users["pm"]
        for term in ("Draft store", "rollout", "Rep2 private"):
            body = client_for(pm).get(reverse("search"), {"q": term}).content.decode()
            assert "Draft store rollout" not in body and "Rep2 private draft" not in body
            assert not self._api_titles(pm, term).get("deals")

    def test_each_role_finds_exactly_the_deals_it_may_see(self, world):
        from deals.selectors import deals_visible_to
        from insights.search import search

        for name, user in world.users.items():
            rows = deals_visible_to(user).values_list("title", "client__name")
            visible = {title for title, _ in rows}
            for term in ("a", "e", "Rep2"):
                deals = next(g for g in search(user, term).groups if g.kind == "deals")
                assert {hit.title for hit in deals.hits} <= visible, (name, term)
            found = next(g for g in search(user, "e", limit=100).groups if g.kind == "deals")
            expected = {title for title, client in rows if "e" in (title + client).lower()}
            assert {hit.title for hit in found.hits} == expected, name

    def test_people_found_are_only_those_whose_scorecard_opens(self, world, client_for):
        for name in ("rep", "rep2", "pm"):
            user = world.users[name]
            for person in self._api_titles(user, "e").get("people", []):
                username = next(
                    u.username for u in world.users.values() if u.display_name == person
                )
                response = client_for(user).get(reverse("scorecard", args=[username]))
                assert response.status_code == 200, (name, person)
        found = self._api_titles(world.users["rep2"], "Rita")
        assert found.get("people") == [], "rep2 shares no team with rep"

    def test_the_anonymous_search_nothing(self, world, client):
        assert client.get(reverse("search"), {"q": "Warehouse"}).status_code == 302
        assert APIClient().get(reverse("api:search"), {"q": "Warehouse"}).status_code == 401


# Feedback notes are private to their author, recipient and the teams they were written to:
# every surface that shows a note, an excerpt or a count of them shows only those.
PRIVATE_BODIES = {
    "note": "The scanners need a site survey first.",
    "note.lesson": "Store analytics scope took twice the estimate.",
}


@pytest.mark.django_db
class TestNotes:
    def test_the_lessons_panel_shows_only_notes_the_reader_may_see(self, world, client_for):
        url = reverse("feedback:lessons") + "?kind=scope"
        others = client_for(world.users["rep2"]).get(url).content.decode()
        assert PRIVATE_BODIES["note.lesson"] not in others
        assert "Store analytics" not in others
        # The counts are the firm's history and name no one: rep2 still learns from them.
        assert client_for(world.users["rep2"]).get(url).context["lessons"].ruled > 0
        own = client_for(world.users["rep"]).get(url).content.decode()
        assert PRIVATE_BODIES["note.lesson"] in own

    def test_the_lessons_panel_does_not_leak_through_the_api_either(self, world):
        hidden = world.get("note.lesson")
        response = api_as(world.users["rep2"]).get(
            reverse("api:feedback-note-detail", kwargs={"pk": hidden.pk})
        )
        assert response.status_code == 404

    @pytest.mark.parametrize("period", ["daily", "weekly"])
    def test_digests_carry_only_notes_the_reader_may_see(self, world, period):
        from feedback import digests

        for role in ("rep2", "pm2"):
            text, html = digests.render_digest(digests.build_digest(world.users[role], period))
            leaked = [key for key, body in PRIVATE_BODIES.items() if body in text + html]
            assert not leaked, (role, leaked)
        text, _ = digests.render_digest(digests.build_digest(world.users["rep"], period))
        assert PRIVATE_BODIES["note.lesson"] in text

    def test_pages_that_list_notes_show_none_of_anothers(self, world, client_for):
        http = client_for(world.users["rep2"])
        for url in (
            reverse("home"),
            reverse("feedback:inbox"),
            reverse("feedback:inbox") + "?tab=team",
            reverse("feedback:inbox") + "?tab=sent",
            reverse("feedback:notifications"),
            reverse("projects:list"),
            reverse("deals:detail", kwargs={"pk": world.deals["rep2_in_review"].pk}),
        ):
            body = http.get(url).content.decode()
            leaked = [key for key, text in PRIVATE_BODIES.items() if text in body]
            assert not leaked, (url, leaked)

    def test_the_api_lists_and_searches_no_note_of_anothers(self, world):
        api = api_as(world.users["rep2"])
        for query in ({}, {"deal": world.deals["in_review"].pk}, {"topic": "estimate_miss"}):
            _, notes = listing(api.get(reverse("api:feedback-note-list"), query))
            bodies = {n["body"] for n in notes}
            assert not bodies & set(PRIVATE_BODIES.values()), query

    def test_manager_only_surfaces_refuse_everyone_else(self, world, client_for):
        for name, kwargs in (
            ("dashboard", {}),
            ("dashboard-agenda", {}),
            ("dashboard-export", {"table": "feedback"}),
        ):
            for role in ("rep", "rep2", "pm"):
                response = client_for(world.users[role]).get(reverse(name, kwargs=kwargs))
                assert response.status_code == 403, (name, role)

    def test_a_scorecard_shows_figures_not_notes(self, world, client_for):
        rep2 = world.users["rep2"]
        body = (
            client_for(world.users["manager"])
            .get(reverse("scorecard", kwargs={"username": rep2.username}))
            .content.decode()
        )
        assert not [text for text in PRIVATE_BODIES.values() if text in body]
        response = client_for(rep2).get(
            reverse("scorecard", kwargs={"username": world.users["rep"].username})
        )
        assert response.status_code == 403


@pytest.mark.django_db
class TestMentions:
    """Only people who may see a deal can be mentioned on it; the author is told who was not."""

    def _mention(self, world, author: str, deal_key: str, body: str):
        from deals import services
        from tests.feedback.conftest import worker_tells

        comment = services.comment_add(
            deal=world.deals[deal_key], actor=world.users[author], body=body
        )
        worker_tells()  # the mentioned are told by the worker, after commit
        return comment

    def test_a_rep_mentioning_another_rep_on_a_draft_notifies_no_one(self, world, mailoutbox):
        from feedback.models import Notification

        before = Notification.objects.filter(recipient=world.users["rep2"]).count()
        comment = self._mention(world, "rep", "draft", "Can @rep2 and @pm look at this?")
        assert comment.not_notified == ["pm", "rep2"]  # a PM sees no never-submitted draft
        assert Notification.objects.filter(recipient=world.users["rep2"]).count() == before
        assert not comment.mentions.exists()
        assert not [m for m in mailoutbox if "Draft store rollout" in m.subject + m.body]

    def test_a_pm_mentioning_a_rep_who_cannot_see_the_deal(self, world):
        from feedback.models import Notification

        comment = self._mention(world, "pm", "in_review", "@rep2 @rep @manager see the scope")
        assert comment.not_notified == ["rep2"]
        assert set(comment.mentions.values_list("username", flat=True)) == {"rep", "manager"}
        texts = Notification.objects.filter(recipient=world.users["rep2"]).values_list(
            "text", flat=True
        )
        assert not [t for t in texts if "Warehouse scanners" in t]
        assert Notification.objects.filter(
            recipient=world.users["rep"], text__contains="see the scope"
        ).exists()

    def test_the_page_tells_the_author_who_was_not_notified(self, world, client_for):
        deal = world.deals["in_review"]
        response = client_for(world.users["pm"]).post(
            reverse("deals:comment", kwargs={"pk": deal.pk}),
            {"comment-body": "Ping @rep2 about this"},
            follow=True,
        )
        assert response.status_code == 200
        assert "@rep2 cannot see this deal and was not notified." in response.content.decode()

    def test_the_api_tells_the_author_who_was_not_notified(self, world):
        deal = world.deals["in_review"]
        response = api_as(world.users["pm"]).post(
            reverse("api:deal-comment-list", kwargs={"deal_pk": deal.pk}),
            {"body": "Ping @rep2 and @pm2 and @rep"},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["not_notified"] == ["rep2"]
        assert response.json()["warning"] == "@rep2 cannot see this deal and was not notified."
        listed = api_as(world.users["pm"]).get(
            reverse("api:deal-comment-list", kwargs={"deal_pk": deal.pk})
        )
        assert "not_notified" not in listed.json()["results"][0]

    def test_people_who_see_a_deal_match_deals_visible_to(self, world):
        from deals.selectors import deals_visible_to, people_who_see

        for deal in world.deals.values():
            seeing = set(people_who_see(deal).values_list("username", flat=True))
            expected = {
                name
                for name, user in world.users.items()
                if deals_visible_to(user).filter(pk=deal.pk).exists()
            }
            assert seeing & set(world.users) == expected, deal.title


@pytest.mark.django_db
class TestApprovalLinks:
    """An email's approval link shows its deal to the person it was sent to, and to no one else."""

    def test_someone_elses_link_shows_nothing_of_the_deal(self, world, client_for):
        from deals.approval_links import approval_path, approval_token
        from deals.models import ReviewRound

        deal = world.deals["in_review"]
        review_round = ReviewRound.objects.get(deal=deal, decided_at__isnull=True)
        commitments = list(deal.commitments.all())
        url = approval_path(
            approval_token(
                user=world.users["pm"], review_round=review_round, commitments=commitments
            )
        )
        assert client_for(world.users["pm"]).get(url).status_code == 200
        for name in ("rep", "rep2", "manager"):
            for response in (
                client_for(world.users[name]).get(url),
                client_for(world.users[name]).post(url),
            ):
                body = response.content.decode()
                assert response.status_code == 403, name
                assert deal.title not in body and deal.client.name not in body, name
                assert all(c.summary not in body for c in commitments), name
                assert reverse("deals:detail", args=[deal.pk]) not in body, name
        assert not review_round.verdicts.exists()


@pytest.mark.django_db
class TestExportsAndImports:
    """A list's CSV holds what its page shows; another's import is not found anywhere."""

    def _csv(self, http, url) -> str:
        response = http.get(url)
        assert response.status_code == 200, url
        return b"".join(response.streaming_content).decode()

    def test_list_exports_name_none_of_anothers_deals(self, world, client_for):
        http = client_for(world.users["rep2"])
        for url in (
            reverse("deals:list_csv") + f"?owner={world.users['rep'].pk}",
            reverse("deals:list_csv") + f"?client={world.client.pk}",
            reverse("deals:list_csv") + "?q=Warehouse",
            reverse("projects:list_csv"),
            reverse("home_deliverables_csv"),
            reverse("feedback:inbox_csv") + "?tab=team",
            reverse("feedback:notifications_csv"),
        ):
            body = self._csv(http, url)
            leaked = [t for t in REP_TITLES if t in body]
            assert not leaked, (url, leaked)
            assert not [b for b in PRIVATE_BODIES.values() if b in body], url

    def test_a_pm_exports_no_never_submitted_draft(self, world, client_for):
        http = client_for(world.users["pm"])
        for url in (reverse("deals:list_csv"), reverse("deals:queue_csv")):
            assert "Draft store rollout" not in self._csv(http, url)

    def test_anothers_import_is_not_found_like_a_missing_one(self, world, client_for):
        hidden = world.get("import")
        for name in ("deals:import_detail", "deals:import_report"):
            for pk in (hidden.pk, NO_SUCH_ID):
                response = client_for(world.users["rep2"]).get(reverse(name, args=[pk]))
                assert response.status_code == 404, name
        for pk in (hidden.pk, NO_SUCH_ID):
            response = api_as(world.users["rep2"]).get(
                reverse("api:deal-import-detail", kwargs={"pk": pk})
            )
            assert response.status_code == 404
