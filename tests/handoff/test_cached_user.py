"""The signed-in user from the cache: a live page's poll with nothing new costs its session and
one indexed query, or that query alone when the session is cached too; a user saved,
deactivated or given a new password is read again at once, a session ended ends everywhere."""

import time
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.test import Client
from django.urls import reverse

from deals import live, services
from deals.models import Deal, DealStatus
from deals.selectors import deals_visible_to
from feedback import selectors as feedback_selectors
from handoff import user_cache
from tests.deals.builders import draft_deal
from tests.deals.test_explain import assert_indexed, scale  # noqa: F401 (scale: a fixture)
from tests.feedback.conftest import submitted

pytestmark = pytest.mark.django_db

SESSION = 1
BELL = reverse("feedback:bell_version")
QUEUE = reverse("deals:queue_version")


@pytest.fixture
def cached_users(settings):
    settings.AUTH_USER_CACHE_SECONDS = 60


@pytest.fixture
def cached_sessions(cached_users, settings):
    """The production settings with a shared cache: the session read from it as well."""
    settings.SESSION_ENGINE = "handoff.sessions"


def deal_poll(deal: Deal) -> str:
    return reverse("deals:version", args=[deal.pk])


def test_polls_with_nothing_new_cost_the_session_and_one_query(
    cached_users, rep, pm, client_for, django_assert_num_queries
):
    deal = submitted(rep, pm)
    for _ in range(2):
        services.deal_submit(deal=draft_deal(rep), actor=rep)
    http = client_for(pm)
    deal = Deal.objects.get(pk=deal.pk)
    polls = [
        (deal_poll(deal), deal.version),
        (QUEUE, live.queue_version(pm)),
        (BELL, feedback_selectors.unread_count(pm)),
    ]
    for url, version in polls:
        http.get(url, {"v": version})  # the first request reads the user and caches it
    for url, version in polls:
        with django_assert_num_queries(SESSION + 1):
            assert http.get(url, {"v": version}).status_code == 204


def test_with_the_session_cached_too_a_poll_costs_its_one_query(
    cached_sessions, rep, pm, client_for, django_assert_num_queries
):
    deal = Deal.objects.get(pk=submitted(rep, pm).pk)
    http = client_for(pm)
    polls = [
        (deal_poll(deal), deal.version),
        (QUEUE, live.queue_version(pm)),
        (BELL, feedback_selectors.unread_count(pm)),
    ]
    for url, version in polls:
        http.get(url, {"v": version})
    for url, version in polls:
        with django_assert_num_queries(1):
            assert http.get(url, {"v": version}).status_code == 204


def test_a_cached_session_signed_out_is_refused_everywhere(cached_sessions, rep, client_for):
    """Sign-out deletes the session from the cache and the database alike: a copy of its
    cookie (another tab, a stolen cookie) is refused at once."""
    http = client_for(rep)
    assert http.get(BELL, {"v": 0}).status_code == 204
    copy = Client()
    copy.cookies = SimpleCookie(http.cookies)
    assert copy.get(BELL, {"v": 0}).status_code == 204
    http.post(reverse("logout"))
    assert copy.get(BELL, {"v": 0}).status_code == 401


def test_a_cached_session_is_in_the_database_too(cached_sessions, rep, client_for):
    """Written through: a cache emptied (a Redis restarted) signs nobody out."""
    from django.core.cache import cache

    http = client_for(rep)
    assert http.get(BELL, {"v": 0}).status_code == 204
    cache.clear()
    assert http.get(BELL, {"v": 0}).status_code == 204


def test_without_the_cache_a_poll_also_reads_the_user(
    rep, pm, client_for, django_assert_num_queries
):
    deal = submitted(rep, pm)
    deal = Deal.objects.get(pk=deal.pk)
    http = client_for(pm)
    http.get(deal_poll(deal), {"v": deal.version})
    with django_assert_num_queries(SESSION + 2):
        assert http.get(deal_poll(deal), {"v": deal.version}).status_code == 204


def test_a_saved_user_is_read_again(cached_users, rep, client_for, django_assert_num_queries):
    http = client_for(rep)
    http.get(BELL, {"v": 0})
    rep.first_name = "Renamed"
    rep.save()
    with django_assert_num_queries(SESSION + 2):  # the user's row again, then cached anew
        assert http.get(BELL, {"v": 0}).status_code == 204
    with django_assert_num_queries(SESSION + 1):
        assert http.get(BELL, {"v": 0}).status_code == 204


def test_a_deactivated_user_is_signed_out_at_once(cached_users, rep, client_for):
    http = client_for(rep)
    assert http.get(BELL, {"v": 0}).status_code == 204
    rep.is_active = False
    rep.save()
    assert http.get(BELL, {"v": 0}).status_code == 401


def test_a_new_password_ends_other_sessions_even_with_the_user_cached(
    cached_users, rep, client_for
):
    elsewhere = client_for(rep)
    assert elsewhere.get(BELL, {"v": 0}).status_code == 204
    rep.set_password("a-new-password-1234")
    rep.save()
    assert elsewhere.get(BELL, {"v": 0}).status_code == 401


def test_a_cached_user_whose_password_changed_unseen_is_not_trusted(cached_users, rep, client_for):
    """A change that bypassed save() leaves a stale entry: its hash must still match."""
    http = client_for(rep)
    assert http.get(BELL, {"v": 0}).status_code == 204
    session = http.session
    session[HASH_SESSION_KEY] = "not-the-hash"
    session.save()
    assert http.get(BELL, {"v": 0}).status_code == 401


def test_another_users_entry_is_never_used(cached_users, rep, rep2, client_for):
    from django.core.cache import cache

    http = client_for(rep2)
    http.get(BELL, {"v": 0})
    # Poison rep2's entry with rep: the id in the entry must be the session's.
    cache.set(user_cache.cache_key(rep2.pk), rep, 60)
    response = http.get(reverse("feedback:notifications"))
    assert response.status_code == 200
    assert response.wsgi_request.user.pk == rep2.pk


@pytest.mark.postgres
@pytest.mark.usefixtures("scale")
@pytest.mark.parametrize("role", ["sales", "pm", "manager"])
def test_each_roles_deal_poll_and_badge_read_an_index_at_scale(role):
    from bench.generate import bench_user
    from feedback.models import Notification
    from handoff.models import User

    user = User.objects.get(username=bench_user(role))
    deal = deals_visible_to(user).filter(status=DealStatus.IN_REVIEW).first() or (
        deals_visible_to(user).first()
    )
    version = deals_visible_to(user).filter(pk=deal.pk).order_by().values_list("version")
    assert assert_indexed(version, "deals_deal")
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    assert "notification_unread_idx" in assert_indexed(unread.values("pk"), "feedback_notification")


def test_a_sign_out_the_cache_missed_holds_for_a_minute_at_most(
    cached_sessions, settings, rep, client_for
):
    """A session deleted from the database while the cache did not hear of it (Redis away for
    a moment) is refused once its cached copy lapses: SESSION_CACHE_SECONDS, not two weeks."""
    from django.contrib.sessions.models import Session

    settings.SESSION_CACHE_SECONDS = 1
    http = client_for(rep)
    assert http.get(BELL, {"v": 0}).status_code == 204
    Session.objects.all().delete()  # the database's copy gone, the cache's kept
    assert http.get(BELL, {"v": 0}).status_code == 204
    time.sleep(1.1)
    assert http.get(BELL, {"v": 0}).status_code == 401


def test_a_session_kept_in_the_cache_never_outlives_its_expiry(cached_sessions, settings):
    from django.contrib.sessions.backends.base import SessionBase

    from handoff.sessions import SessionStore

    settings.SESSION_CACHE_SECONDS = 60
    store = SessionStore()
    store.set_expiry(5)
    store["k"] = "v"
    store.save()
    cached = store._cache
    assert cached._timeout(store.get_expiry_age()) == 5
    assert cached._timeout(None) == 60
    assert isinstance(store, SessionBase)


def test_the_cache_is_given_the_shorter_of_the_cap_and_the_expiry(
    cached_sessions, settings, monkeypatch
):
    """What reaches the cache: a minute for a two-week session, 5 s for a 5-second one, on
    save and on a read that fills it from the database."""
    from django.core.cache import caches

    from handoff.sessions import SessionStore

    settings.SESSION_CACHE_SECONDS = 60
    given = []
    real_set = caches["default"].set
    monkeypatch.setattr(
        caches["default"],
        "set",
        lambda key, value, timeout=None, **kw: (
            given.append(timeout) or real_set(key, value, timeout, **kw)
        ),
    )
    store = SessionStore()
    store["k"] = "v"
    store.save()
    short = SessionStore()
    short.set_expiry(5)
    short.save()
    caches["default"].clear()
    assert SessionStore(store.session_key).load() == {"k": "v"}  # from the database, cached
    # A new session is written twice (Django's create, then the save around it).
    assert given == [60, 60, 5, 5, 60]
