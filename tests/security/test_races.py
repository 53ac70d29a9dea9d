"""Races the deals suite does not already run: verdicts, flag vs sign-off, win vs lose,
escalations, and the same races over HTTP. One success and one clear refusal, never two
successes, never a 500. PostgreSQL only: real row locks, one connection per thread.
"""

from collections.abc import Callable

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from deals import services
from deals.models import Client, Deal, DealEvent, EventKind, SignOff, Verdict
from handoff.errors import DomainError
from tests.concurrency import race
from tests.security.world import new_deal, rule_all, signed_off_deal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcomes(results) -> list[str]:
    return sorted(outcome for outcome, _ in results)


def refusals(results) -> list[Exception]:
    return [value for outcome, value in results if outcome == "error"]


@pytest.fixture
def acme(db):
    return Client.objects.create(name="Acme")


def in_review(rep, acme, commitments=1) -> Deal:
    deal = new_deal(rep, acme, "Race deal", commitments=commitments)
    services.deal_submit(deal=deal, actor=rep)
    return deal


def test_two_pms_ruling_one_commitment_of_an_unclaimed_review(rep, pm, pm2, acme):
    deal = in_review(rep, acme)
    commitment = deal.commitments.get()
    results = race(
        lambda: services.commitment_rule(commitment=commitment, actor=pm, verdict="approved"),
        lambda: services.commitment_rule(
            commitment=commitment, actor=pm2, verdict="flagged", reason="No staff"
        ),
    )
    assert outcomes(results) == ["error", "ok"], results
    assert all(isinstance(e, DomainError) for e in refusals(results))
    verdict = Verdict.objects.get(commitment=commitment)
    assert deal.rounds.get().reviewer_id == verdict.decided_by_id
    assert DealEvent.objects.filter(deal=deal, kind=EventKind.CLAIMED).count() == 1


def test_the_reviewer_ruling_twice_at_once_keeps_one_verdict_and_both_events(rep, pm, acme):
    deal = in_review(rep, acme)
    services.review_claim(deal=deal, actor=pm)
    commitment = deal.commitments.get()
    results = race(
        lambda: services.commitment_rule(commitment=commitment, actor=pm, verdict="approved"),
        lambda: services.commitment_rule(
            commitment=commitment, actor=pm, verdict="flagged", reason="No staff"
        ),
    )
    assert outcomes(results) == ["ok", "ok"], results
    verdict = Verdict.objects.get(commitment=commitment)
    last = DealEvent.objects.filter(deal=deal, kind=EventKind.VERDICT).order_by("id")
    assert last.count() == 2
    assert last.last().data["verdict"] == verdict.verdict


def test_a_flag_while_signing_off_never_signs_a_flagged_commitment(rep, pm, acme):
    deal = in_review(rep, acme)
    services.review_claim(deal=deal, actor=pm)
    rule_all(deal, pm)
    commitment = deal.commitments.get()
    results = race(
        lambda: services.deal_sign_off(deal=deal, actor=pm),
        lambda: services.commitment_rule(
            commitment=commitment, actor=pm, verdict="flagged", reason="Changed my mind"
        ),
    )
    assert outcomes(results) == ["error", "ok"], results
    deal.refresh_from_db()
    if deal.status == "signed_off":
        sign_off = SignOff.objects.get(deal=deal)
        assert Verdict.objects.get(round=sign_off.round).verdict == "approved"
    else:
        assert deal.status == "in_review"
        assert not SignOff.objects.filter(deal=deal).exists()


def test_win_and_lose_at_once(rep, pm, manager, acme):
    deal = signed_off_deal(rep, pm, acme, "Won or lost")
    results = race(
        lambda: services.deal_win(deal=deal, actor=rep),
        lambda: services.deal_lose(deal=deal, actor=manager, reason="Client walked away"),
    )
    assert outcomes(results) == ["error", "ok"], results
    deal.refresh_from_db()
    assert deal.status in ("won", "lost")
    assert hasattr(deal, "project") == (deal.status == "won")
    terminal = DealEvent.objects.filter(deal=deal, kind__in=[EventKind.WON, EventKind.LOST])
    assert terminal.count() == 1


def test_two_managers_deciding_one_escalation(rep, pm, manager, acme):
    from handoff.models import Role
    from tests.factories import UserFactory

    other_manager = UserFactory(username="manager2", role=Role.MANAGER)
    deal = in_review(rep, acme)
    rule_all(deal, pm, flag_first=True)
    services.deal_request_changes(deal=deal, actor=pm)
    flag = Verdict.objects.get(round__deal=deal, verdict="flagged")
    escalation = services.verdict_escalate(verdict=flag, actor=rep, argument="Agreed already")
    results = race(
        lambda: services.escalation_decide(
            escalation=escalation, actor=manager, decision="upheld", reason="Short on staff"
        ),
        lambda: services.escalation_decide(
            escalation=escalation, actor=other_manager, decision="overruled", reason="Hire"
        ),
    )
    assert outcomes(results) == ["error", "ok"], results
    decided = DealEvent.objects.filter(deal=deal, kind=EventKind.ESCALATION_DECIDED)
    assert decided.count() == 1


def _post_as(user, url: str, data: dict | None = None) -> Callable[[], int]:
    def call() -> int:
        api = APIClient()
        api.force_authenticate(user)
        return api.post(url, data or {}, format="json").status_code

    return call


def test_double_submit_over_the_api(rep, acme):
    deal = new_deal(rep, acme, "Twice")
    url = reverse("api:deal-submit", kwargs={"pk": deal.pk})
    results = race(_post_as(rep, url), _post_as(rep, url))
    assert sorted(code for _, code in results) == [200, 409], results
    assert deal.rounds.count() == 1


def test_double_win_over_the_api(rep, pm, manager, acme):
    deal = signed_off_deal(rep, pm, acme, "Won twice?")
    url = reverse("api:deal-win", kwargs={"pk": deal.pk})
    results = race(_post_as(rep, url), _post_as(manager, url))
    assert sorted(code for _, code in results) == [200, 409], results
    assert DealEvent.objects.filter(deal=deal, kind=EventKind.WON).count() == 1


def test_sign_off_and_revise_over_the_api(rep, pm, acme):
    deal = in_review(rep, acme)
    services.review_claim(deal=deal, actor=pm)
    rule_all(deal, pm)
    services.deal_sign_off(deal=deal, actor=pm)
    # The rep revises and wins in two tabs at once: one of them lands, never both.
    revise = reverse("api:deal-revise", kwargs={"pk": deal.pk})
    win = reverse("api:deal-win", kwargs={"pk": deal.pk})
    results = race(_post_as(rep, revise), _post_as(rep, win))
    assert sorted(code for _, code in results) == [200, 409], results
    deal.refresh_from_db()
    assert deal.status in ("draft", "won")


def test_concurrent_verdicts_over_the_api(rep, pm, pm2, acme):
    deal = in_review(rep, acme)
    url = reverse("api:commitment-verdict", kwargs={"pk": deal.commitments.get().pk})
    results = race(
        _post_as(pm, url, {"verdict": "approved"}),
        _post_as(pm2, url, {"verdict": "flagged", "reason": "No staff"}),
    )
    codes = sorted(code for _, code in results)
    assert codes[0] == 200 and codes[1] in (403, 409), results
    assert Verdict.objects.filter(round__deal=deal).count() == 1
