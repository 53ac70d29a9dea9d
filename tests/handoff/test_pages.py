"""Navigation by role, and the friendly 403, 404 and 500 pages."""

import pytest
from django.test import Client as HttpClient
from django.urls import NoReverseMatch, reverse

from handoff.models import Role
from handoff.roles import navigation_for
from tests.factories import UserFactory

ROLE_NAVIGATION = {
    Role.SALES: ["Deals", "Projects", "Feedback", "Meetings"],
    Role.PM: ["Deals", "Review queue", "Projects", "Feedback", "Meetings"],
    Role.MANAGER: ["Deals", "Review queue", "Projects", "Feedback", "Meetings", "Dashboard"],
    Role.ADMIN: ["Deals", "Review queue", "Projects", "Feedback", "Meetings", "Dashboard"],
}


def reachable(items):
    shown = []
    for label, url_name in items:
        try:
            shown.append({"label": label, "url": reverse(url_name)})
        except NoReverseMatch:
            continue
    return shown


@pytest.mark.parametrize(("role", "labels"), ROLE_NAVIGATION.items())
def test_navigation_for_each_role(role, labels, db):
    assert [label for label, _ in navigation_for(UserFactory(role=role))] == labels


def test_anonymous_visitor_has_no_navigation(client):
    from django.contrib.auth.models import AnonymousUser

    assert navigation_for(AnonymousUser()) == []
    assert navigation_for(None) == []
    assert client.get(reverse("login")).context["nav_items"] == []


@pytest.mark.parametrize("role", list(ROLE_NAVIGATION))
def test_home_shows_the_role_navigation_whose_pages_exist(role, client_for, db):
    user = UserFactory(role=role)

    response = client_for(user).get(reverse("home"))

    assert response.status_code == 200
    expected = reachable(navigation_for(user))
    assert [(i["label"], i["url"]) for i in response.context["nav_items"]] == [
        (i["label"], i["url"]) for i in expected
    ]
    html = response.content.decode()
    for item in expected:
        assert f'href="{item["url"]}"' in html
    assert user.display_name in html
    assert user.get_role_display() in html


def test_rep_never_sees_the_dashboard_link(client_for, rep):
    response = client_for(rep).get(reverse("home"))

    assert "Dashboard" not in [i["label"] for i in response.context["nav_items"]]
    assert ">Dashboard<" not in response.content.decode()


def test_page_not_found_is_friendly(client_for, rep):
    response = client_for(rep).get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert "Back to your home page" in html
    assert "Log out" in html


def test_page_not_found_for_an_anonymous_visitor(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()


@pytest.mark.urls("tests.handoff.urls")
def test_forbidden_is_friendly_and_says_why(client_for, rep, manager):
    response = client_for(rep).get("/test/managers-only/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>You can" in html
    assert "Your role cannot open this page." in html
    assert client_for(manager).get("/test/managers-only/").status_code == 200


@pytest.mark.urls("tests.handoff.urls")
def test_server_error_is_friendly(rep):
    http = HttpClient(raise_request_exception=False)
    http.force_login(rep)

    response = http.get("/test/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "a bug" not in html
    assert "<title>" in html


def test_healthz(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_read_only(client, db):
    assert client.post(reverse("healthz")).status_code == 405


def test_admin_manages_users_and_teams(client_for, db):
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    http = client_for(admin)

    assert http.get(reverse("admin:handoff_user_changelist")).status_code == 200
    assert http.get(reverse("admin:handoff_team_changelist")).status_code == 200


def test_every_page_sends_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
