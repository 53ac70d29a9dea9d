"""The live notification badge: its poll sends the count it shows and hears 204 while that
still stands, in one indexed query, or the badge with the new count."""

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Notification
from tests.feedback.conftest import changes_requested, submitted

pytestmark = pytest.mark.django_db

URL = reverse("feedback:bell_version")
SESSION_AND_USER = 2


def unread(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def test_the_badge_answers_204_while_the_count_stands(rep, pm, client_for):
    submitted(rep, pm)
    response = client_for(rep).get(URL, {"v": unread(rep)})
    assert response.status_code == 204
    assert response.content == b""


def test_a_new_notification_brings_the_badge_with_the_new_count(rep, pm, client_for):
    submitted(rep, pm)
    shown = unread(rep)
    changes_requested(rep, pm)
    now = unread(rep)
    assert now > shown

    response = client_for(rep).get(URL, {"v": shown})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-unread="{now}"' in html
    assert f'hx-get="{URL}?v={now}"' in html and "data-live" in html
    assert 'hx-trigger="every 30s"' in html and 'hx-swap="outerHTML"' in html
    assert client_for(rep).get(URL, {"v": now}).status_code == 204


def test_reading_them_all_empties_the_badge(rep, pm, client_for):
    submitted(rep, pm)
    shown = unread(rep)
    Notification.objects.filter(recipient=rep).update(read_at=timezone.now())
    html = client_for(rep).get(URL, {"v": shown}).content.decode()
    assert 'class="badge"' not in html and f'hx-get="{URL}?v=0"' in html


def test_every_page_polls_the_version_with_the_count_it_shows(rep, pm, client_for):
    submitted(rep, pm)
    html = client_for(rep).get(reverse("feedback:inbox")).content.decode()
    assert f'hx-get="{URL}?v={unread(rep)}"' in html


def test_each_user_polls_their_own_count(rep, rep2, pm, client_for):
    submitted(rep, pm)
    assert unread(rep2) == 0
    assert client_for(rep2).get(URL, {"v": 0}).status_code == 204


def test_junk_is_not_the_count_and_never_an_error(rep, client_for):
    for junk in ("", "x", "-1", "1" * 300):
        assert client_for(rep).get(URL, {"v": junk}).status_code == 200


def test_the_anonymous_get_401_and_a_post_405(rep, client, client_for):
    assert client.get(URL, {"v": 0}).status_code == 401
    assert client_for(rep).post(URL).status_code == 405


def test_a_badge_poll_costs_one_query(rep, pm, client_for, django_assert_num_queries):
    submitted(rep, pm)
    changes_requested(rep, pm)
    http = client_for(rep)
    shown = unread(rep)
    http.get(URL, {"v": shown})
    with django_assert_num_queries(SESSION_AND_USER + 1):
        assert http.get(URL, {"v": shown}).status_code == 204
    with django_assert_num_queries(SESSION_AND_USER + 1):
        assert http.get(URL, {"v": shown - 1}).status_code == 200
