"""Two people acting on one deal at the same moment: one success, one clear conflict.

Real row locks need PostgreSQL and two real connections, so each side runs in its
own thread (own connection) and a barrier releases both at once.
"""

import time

import pytest
from django.apps import apps
from django.db import connection

from deals import services
from deals.models import DealEvent, DealStatus, EventKind, ReviewRound, SignOff
from deals.services import _workflow, commitments, escalations, review
from deals.services import deals as deal_writes
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from tests.concurrency import race
from tests.deals.builders import deal_in, draft_deal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL only (set DATABASE_URL to postgres://…)")


@pytest.fixture(autouse=True)
def _slow_critical_section(monkeypatch):
    """Hold each winner inside its locked section a moment, so the other side must wait."""
    touch = _workflow._touch

    def slow_touch(*args, **kwargs):
        time.sleep(0.3)
        return touch(*args, **kwargs)

    # Every topic module that bumps a deal's version holds its own reference to _touch.
    for module in (_workflow, deal_writes, commitments, review, escalations):
        monkeypatch.setattr(module, "_touch", slow_touch)


def one_winner(results, *conflicts: type[Exception]) -> object:
    outcomes = sorted(outcome for outcome, _ in results)
    assert outcomes == ["error", "ok"], results
    error = next(value for outcome, value in results if outcome == "error")
    assert isinstance(error, conflicts or (DomainError,)), repr(error)
    return next(value for outcome, value in results if outcome == "ok")


def events(deal, kind) -> int:
    return DealEvent.objects.filter(deal=deal, kind=kind).count()


def test_two_submits(rep):
    deal = draft_deal(rep)
    results = race(
        lambda: services.deal_submit(deal=deal, actor=rep),
        lambda: services.deal_submit(deal=deal, actor=rep),
    )
    one_winner(results, TransitionNotAllowed)
    deal.refresh_from_db()
    assert deal.status == DealStatus.IN_REVIEW
    assert ReviewRound.objects.filter(deal=deal).count() == 1
    assert events(deal, EventKind.SUBMITTED) == 1


def test_two_pms_claiming(rep, pm, pm2):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    results = race(
        lambda: services.review_claim(deal=deal, actor=pm),
        lambda: services.review_claim(deal=deal, actor=pm2),
    )
    winner = one_winner(results, ConcurrentChange)
    assert ReviewRound.objects.get(deal=deal).reviewer == winner.reviewer
    assert events(deal, EventKind.CLAIMED) == 1


def test_two_pms_signing_off(rep, pm, pm2):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    results = race(
        lambda: services.deal_sign_off(deal=deal, actor=pm),
        lambda: services.deal_sign_off(deal=deal, actor=pm2),
    )
    one_winner(results, ActionForbidden, TransitionNotAllowed)
    _assert_signed_off_once(deal)


def test_the_same_pm_signing_off_twice(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    results = race(
        lambda: services.deal_sign_off(deal=deal, actor=pm),
        lambda: services.deal_sign_off(deal=deal, actor=pm),
    )
    one_winner(results, TransitionNotAllowed)
    _assert_signed_off_once(deal)


def test_a_pm_signing_off_while_the_rep_revises(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    seen = deal.version
    results = race(
        lambda: services.deal_sign_off(deal=deal, actor=pm),
        lambda: services.deal_revise(deal=deal, actor=rep, expected_version=seen),
    )
    winner = one_winner(results, ConcurrentChange, TransitionNotAllowed)
    assert isinstance(winner, SignOff)
    _assert_signed_off_once(deal)
    assert events(deal, EventKind.REVISED) == 0


def test_two_wins(rep, pm, manager):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    results = race(
        lambda: services.deal_win(deal=deal, actor=rep),
        lambda: services.deal_win(deal=deal, actor=manager),
    )
    one_winner(results, TransitionNotAllowed)
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    assert events(deal, EventKind.WON) == 1
    if apps.is_installed("projects") and any(
        m.__name__ == "Project" for m in apps.get_app_config("projects").get_models()
    ):
        assert apps.get_model("projects", "Project").objects.filter(deal=deal).count() <= 1


def test_win_while_the_rep_revises(rep, pm, manager):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    seen = deal.version
    results = race(
        lambda: services.deal_win(deal=deal, actor=manager),
        lambda: services.deal_revise(deal=deal, actor=rep, expected_version=seen),
    )
    winner = one_winner(results, ConcurrentChange, TransitionNotAllowed)
    deal.refresh_from_db()
    assert deal.status == (DealStatus.WON if winner.status == DealStatus.WON else DealStatus.DRAFT)
    assert events(deal, EventKind.WON) + events(deal, EventKind.REVISED) == 1


def _assert_signed_off_once(deal) -> None:
    deal.refresh_from_db()
    assert deal.status == DealStatus.SIGNED_OFF
    assert SignOff.objects.filter(deal=deal).count() == 1
    assert events(deal, EventKind.SIGNED_OFF) == 1
    review_round = ReviewRound.objects.get(deal=deal)
    assert review_round.decided_at is not None
