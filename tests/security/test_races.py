"""Races the deals suite does not already run: verdicts, flag vs sign-off, win vs lose,
escalations, parallel approvers of a review rule, and the same races over HTTP. One success
and one clear refusal, never two successes, never a 500. PostgreSQL only: real row locks, one
connection per thread.
"""

from collections.abc import Callable

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from deals import services
from deals.models import Client, Deal, DealEvent, EventKind, SignOff, Verdict
from handoff.errors import DomainError
from tests.concurrency import race
from tests.security.world import (
    commitment_data,
    deal_data,
    new_deal,
    rule_all,
    signed_off_deal,
)

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


# The review engine: parallel approvers, and a sign-off against a rule approver's flag


@pytest.fixture
def integration(pm, pm2):
    from handoff.models import Team, TeamKind

    team = Team.objects.create(name="Integration", kind=TeamKind.DELIVERY)
    team.members.add(pm, pm2)
    return team


def _integration_deal(rep, pm, manager, team, acme) -> Deal:
    """A claimed review: one scope commitment (the lead's) and one integration (the team's)."""
    services.review_rule_create(
        actor=manager,
        data={
            "name": "Integrations need the Integration team",
            "kinds": ["integration"],
            "approver": "pm",
            "team": team,
        },
    )
    deal = services.deal_create(
        actor=rep,
        data=deal_data(acme, "Integrated rollout"),
        commitments=[commitment_data(1), {**commitment_data(2), "kind": "integration"}],
    )
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    return deal


def _answer_as(user, url: str, data: dict) -> Callable[[], tuple[int, str]]:
    def call() -> tuple[int, str]:
        api = APIClient()
        api.force_authenticate(user)
        response = api.post(url, data, format="json")
        return response.status_code, response.json().get("code", "")

    return call


def test_two_approvers_of_a_one_approver_requirement_at_once(
    rep, pm, pm2, manager, acme, integration
):
    from deals.models import Approval

    deal = _integration_deal(rep, pm, manager, integration, acme)
    commitment = deal.commitments.get(kind="integration")
    url = reverse("api:commitment-verdict", kwargs={"pk": commitment.pk})

    results = race(
        _answer_as(pm, url, {"verdict": "approved"}),
        _answer_as(pm2, url, {"verdict": "approved"}),
    )

    answers = sorted(value for _, value in results)
    assert answers[0] == (200, "") and answers[1] == (409, "already_approved"), results
    (approval,) = Approval.objects.filter(requirement__commitment=commitment)
    verdict = Verdict.objects.get(commitment=commitment)
    assert verdict.decided_by_id == approval.approver_id
    assert verdict.verdict == "approved"


def test_a_sign_off_against_a_rule_approvers_flag_never_signs_a_stale_state(
    rep, pm, pm2, manager, acme, integration
):
    deal = _integration_deal(rep, pm, manager, integration, acme)
    scope, hookup = deal.commitments.order_by("id")
    services.commitment_rule(commitment=scope, actor=pm, verdict="approved")
    services.commitment_rule(commitment=hookup, actor=pm2, verdict="approved")

    results = race(
        lambda: services.deal_sign_off(deal=deal, actor=pm),
        lambda: services.commitment_rule(
            commitment=hookup, actor=pm2, verdict="flagged", reason="The API is not ready"
        ),
    )

    (sign_off, flag) = results
    assert outcomes(results) == ["error", "ok"], results
    deal.refresh_from_db()
    if sign_off[0] == "ok":
        assert deal.status == "signed_off"
        assert flag[1].code == "rule_not_allowed"
        signed = SignOff.objects.get(deal=deal)
        assert set(
            Verdict.objects.filter(round=signed.round).values_list("verdict", flat=True)
        ) == {"approved"}
    else:
        assert deal.status == "in_review"
        assert sign_off[1].code in ("flagged_commitments", "approvals_missing")
        assert not SignOff.objects.filter(deal=deal).exists()
        assert Verdict.objects.get(commitment=hookup).verdict == "flagged"
