"""Customer acceptance at once, on PostgreSQL: one link answered twice, or answered while the PM
cancels it, gives one result and one clear refusal, never two decisions."""

import pytest

from handoff.errors import DomainError
from projects import acceptance
from projects.acceptance_links import LinkRefused
from projects.acceptance_models import AcceptanceLinkUse, AcceptanceRequest
from projects.models import ProjectEvent
from tests.concurrency import race
from tests.projects.acceptance_builders import send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _answer(token, decision, comment=""):
    return lambda: acceptance.acceptance_decide(
        token=token, decision=decision, rating=3, comment=comment
    )


def test_two_answers_through_one_link_at_once_record_one(won_project, pm):
    request, token = send(won_project.deliverables.first(), pm)
    results = race(_answer(token, "accepted"), _answer(token, "declined", "Missing a page"))
    outcomes = sorted(outcome for outcome, _ in results)
    assert outcomes == ["error", "ok"], results
    refusal = next(value for outcome, value in results if outcome == "error")
    assert isinstance(refusal, LinkRefused) and refusal.code == "already_used"
    request.refresh_from_db()
    assert request.status in ("accepted", "declined")
    assert AcceptanceLinkUse.objects.filter(request=request).count() == 1
    decided = ProjectEvent.objects.filter(kind__in=("acceptance_accepted", "acceptance_declined"))
    assert decided.count() == 1


def test_an_answer_while_the_pm_cancels(won_project, pm):
    request, token = send(won_project.deliverables.first(), pm)
    results = race(
        _answer(token, "accepted"),
        lambda: acceptance.acceptance_cancel(acceptance=request, actor=pm),
    )
    assert sorted(outcome for outcome, _ in results) == ["error", "ok"], results
    refusal = next(value for outcome, value in results if outcome == "error")
    assert isinstance(refusal, LinkRefused | DomainError)
    request.refresh_from_db()
    assert request.status in ("accepted", "cancelled")
    assert AcceptanceRequest.objects.count() == 1
