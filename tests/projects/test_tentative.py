"""Tentative load: the chance to win learned from history, its fallback, and where it shows."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from deals import services
from deals.models import DealEvent, DealStatus, EventKind
from projects.capacity import WeekCheck, tentative_sentence
from projects.selectors import capacity_check, team_capacity
from projects.tentative import (
    TENTATIVE_MIN_DECIDED,
    learn_chance,
    tentative_load,
    win_chances,
)
from tests.deals.builders import deal_in, draft_deal

pytestmark = pytest.mark.django_db
D = Decimal


def test_learned_when_enough_deals_were_decided_else_the_fallback(settings):
    settings.TENTATIVE_WIN_FALLBACK_IN_REVIEW = 0.4
    learned = learn_chance(DealStatus.IN_REVIEW, won=3, decided=12)
    assert learned.learned and learned.probability == D("0.25") and learned.percent == 25
    assert "learned from the 12 deals" in learned.explanation
    thin = learn_chance(DealStatus.IN_REVIEW, won=3, decided=TENTATIVE_MIN_DECIDED - 1)
    assert not thin.learned and thin.probability == D("0.4")
    assert "the set default" in thin.explanation
    settings.TENTATIVE_WIN_FALLBACK_SIGNED_OFF = 7  # out of range: held to 100 %
    assert learn_chance(DealStatus.SIGNED_OFF, won=0, decided=0).probability == D("1")


def _submitted_then_lost(rep):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    services.deal_lose(deal=deal, actor=rep, reason="Went elsewhere")
    return deal


def test_probability_learned_from_constructed_history(rep, pm, settings):
    settings.TENTATIVE_WIN_FALLBACK_SIGNED_OFF = 0.6
    for _ in range(3):
        deal_in(DealStatus.WON, owner=rep, pm=pm)  # submitted, signed off, won
    for _ in range(9):
        _submitted_then_lost(rep)
    # Submitted over a year ago and lost: outside the 12 months, it does not count.
    old = draft_deal(rep)
    services.deal_lose(deal=old, actor=rep, reason="Old")
    DealEvent.objects.create(
        deal=old,
        kind=EventKind.SUBMITTED,
        at=timezone.now() - datetime.timedelta(days=400),
        to_status=DealStatus.IN_REVIEW,
    )
    deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)  # not decided: not counted
    chances = win_chances()
    in_review = chances[DealStatus.IN_REVIEW]
    assert (in_review.won, in_review.decided, in_review.learned) == (3, 12, True)
    assert in_review.probability == D("0.25")
    signed = chances[DealStatus.SIGNED_OFF]
    assert (signed.won, signed.decided, signed.learned) == (3, 3, False)
    assert signed.probability == D("0.6")


def _week_of(day):
    return day - datetime.timedelta(days=day.weekday())


def test_tentative_load_weighted_and_apart_in_the_capacity_check(rep, pm, settings):
    settings.TENTATIVE_WIN_FALLBACK_IN_REVIEW = 0.5
    settings.TENTATIVE_WIN_FALLBACK_SIGNED_OFF = 0.8
    other = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm, commitments=1)
    under_review = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, commitments=1)
    effort = other.commitments.get().effort_days
    load = tentative_load()
    assert sum(load.by_pm[pm.pk].values()) == (
        (effort * D("0.8")).quantize(D("0.01")) + under_review.commitments.get().effort_days / 2
    )
    check = capacity_check(under_review, pm)
    for scope in check["scopes"]:
        weeks = scope["check"]["weeks"]
        # The deal under review is "with this deal", never its own tentative load.
        assert sum(w.with_deal - w.without_deal for w in weeks) == (
            under_review.commitments.get().effort_days
        )
        assert all(w.without_deal == 0 for w in weeks)  # nothing is committed yet
        assert "tentative_sentence" in scope["check"]
    assert [c.status for c in check["chances"]] == ["in_review", "signed_off"]
    # The other deal's weighted effort is there, apart from committed load.
    assert sum(w.tentative for w in check["team"]["weeks"]) <= (effort * D("0.8")).quantize(
        D("0.01")
    )
    assert sum(w.tentative for w in check["team"]["weeks"]) > 0


def test_the_deal_page_in_review_shows_tentative_load_apart(rep, pm, client_for, settings):
    settings.TENTATIVE_WIN_FALLBACK_SIGNED_OFF = 0.5
    deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm, commitments=2)
    under_review = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, commitments=1)
    page = client_for(pm).get(under_review.get_absolute_url()).content.decode()
    assert "Tentative, other deals" in page
    assert "How tentative load is counted" in page
    assert "Signed off: 50 %, the set default" in page
    assert "data-tentative-fits" in page


def test_heat_map_and_api_show_tentative_apart_from_committed(rep, pm, client_for, settings):
    settings.TENTATIVE_WIN_FALLBACK_SIGNED_OFF = 0.5
    signed = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm, commitments=1)
    commitment = signed.commitments.get()
    expected = (commitment.effort_days * D("0.5")).quantize(D("0.01"))
    team = team_capacity(weeks=52)
    cells = team["rows"][0].cells
    assert sum(c["tentative"] for c in cells) == expected
    assert sum(c["load"] for c in cells) == 0  # committed load: nothing won yet
    page = client_for(pm).get(reverse("projects:capacity")).content.decode()
    assert "tentative" in page and "How tentative load is counted" in page
    api = APIClient()
    api.force_authenticate(pm)
    rows = api.get("/api/v1/capacity/", {"pm": pm.pk, "weeks": 52}).json()
    assert sum(D(r["tentative_days"]) for r in rows) == expected
    assert all(D(r["load_days"]) == 0 for r in rows)
    assert {"tentative_days", "over_capacity_with_tentative"} <= set(rows[0])


def test_unclaimed_reviews_count_for_the_team_only(rep, pm, settings):
    settings.TENTATIVE_WIN_FALLBACK_IN_REVIEW = 1
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    team = team_capacity(weeks=52)
    assert sum(team["unclaimed"]) == deal.commitments.get().effort_days
    assert all(c["tentative"] == 0 for c in team["rows"][0].cells)


def test_a_change_to_a_deal_shows_at_once(rep, pm, settings):
    settings.TENTATIVE_WIN_FALLBACK_IN_REVIEW = 1
    assert tentative_load().team == {}
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    assert sum(tentative_load().team.values()) == deal.commitments.get().effort_days
    services.deal_lose(deal=deal, actor=rep, reason="No budget")
    assert tentative_load().team == {}


def test_tentative_sentence():
    monday = datetime.date(2027, 1, 4)
    fits = [WeekCheck(monday, D("1"), D("2"), D("4"), tentative=D("1"))]
    assert tentative_sentence(fits) == "Fits with tentative load from other deals too."
    over = [WeekCheck(monday, D("1"), D("2"), D("4"), tentative=D("3"))]
    assert tentative_sentence(over) == (
        "With tentative load from other deals: over capacity in week 1 by 1 person-day"
    )
    assert tentative_sentence([WeekCheck(monday, D("1"), D("2"), D("4"))]).startswith("No ")


def test_capacity_api_query_count_is_flat_with_tentative_deals(rep, pm, settings):
    api = APIClient()
    api.force_authenticate(pm)

    def count():
        cache.clear()  # every cache cold: the whole computation, each time
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/capacity/").status_code == 200
        return len(queries)

    deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm, commitments=1)
    one = count()
    for _ in range(4):
        deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm, commitments=3)
    assert count() == one


def test_editing_a_draft_keeps_the_cached_load(rep, pm, settings):
    from projects.tentative import _load_key

    settings.TENTATIVE_WIN_FALLBACK_IN_REVIEW = 1
    draft = draft_deal(rep, commitments=1)
    tentative_load()
    key = _load_key(timezone.localdate())
    services.deal_update(deal=draft, actor=rep, data={"title": "Renamed"}, expected_version=None)
    assert cache.get(key) is not None and cache.get(f"{key}:changed") is None
    services.deal_submit(deal=draft, actor=rep)
    assert cache.get(f"{key}:changed") is not None  # rebuilt by the next reader once settled


def test_a_stream_of_submissions_rebuilds_the_load_once_per_settle_period(
    rep, pm, settings, monkeypatch
):
    """Each submission marks the shared load changed; readers within the settle period read
    the one before, and the first reader after it builds the new one, with every deal in."""
    from handoff import settled_cache
    from projects import tentative

    settings.TENTATIVE_WIN_FALLBACK_IN_REVIEW = 1
    settings.CACHED_LOAD_SETTLE_SECONDS = 30
    clock = [1_000_000.0]
    monkeypatch.setattr(settled_cache.time, "time", lambda: clock[0])
    before = tentative_load()
    built = []
    items = tentative.tentative_items
    monkeypatch.setattr(tentative, "tentative_items", lambda *a: built.append(1) or items(*a))
    for _ in range(3):
        services.deal_submit(deal=draft_deal(rep, commitments=1), actor=rep)
        clock[0] += 5
        assert tentative_load().team == before.team
    assert built == []
    clock[0] += 30
    after = tentative_load()
    assert built == [1]
    assert sum(after.team.values()) > sum(before.team.values())
    assert tentative_load() is not None and built == [1]
