"""The review workflow: every transition allowed and refused, for every role and status."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from deals import services
from deals.models import (
    TRANSITIONS,
    Client,
    Commitment,
    DealEvent,
    DealStatus,
    Escalation,
    EscalationDecision,
    EventKind,
    ReviewRound,
    RoundOutcome,
    SignOff,
    VerdictKind,
)
from deals.services._workflow import ESCALATION_CLOSED_BECAUSE
from deals.sla import review_due_at
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from tests.deals.builders import deal_in, draft_deal, rule_all
from tests.factories import ClientFactory, CommitmentFactory

ROLES = ["owner", "other_rep", "reviewer", "other_pm", "manager"]
# Who may take each action when the status allows it.
ALLOWED_ROLES = {
    "submit": {"owner"},
    "request_changes": {"reviewer"},
    "sign_off": {"reviewer"},
    "revise": {"owner"},
    "win": {"owner", "manager"},
    "lose": {"owner", "manager"},
}
EVENT_OF = {
    "submit": EventKind.SUBMITTED,
    "request_changes": EventKind.CHANGES_REQUESTED,
    "sign_off": EventKind.SIGNED_OFF,
    "revise": EventKind.REVISED,
    "win": EventKind.WON,
    "lose": EventKind.LOST,
}


@pytest.fixture
def people(rep, rep2, pm, pm2, manager):
    return {"owner": rep, "other_rep": rep2, "reviewer": pm, "other_pm": pm2, "manager": manager}


def run(action, deal, actor):
    call = {
        "submit": lambda: services.deal_submit(deal=deal, actor=actor),
        "request_changes": lambda: services.deal_request_changes(deal=deal, actor=actor),
        "sign_off": lambda: services.deal_sign_off(deal=deal, actor=actor),
        "revise": lambda: services.deal_revise(deal=deal, actor=actor, reason="Rework"),
        "win": lambda: services.deal_win(deal=deal, actor=actor),
        "lose": lambda: services.deal_lose(deal=deal, actor=actor, reason="Went elsewhere"),
    }
    return call[action]()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", DealStatus.values)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_transition_table(action, status, role, people):
    deal = deal_in(
        status,
        owner=people["owner"],
        pm=people["reviewer"],
        flagged=(action == "request_changes"),
    )
    allowed_from, to_status = TRANSITIONS[action]
    events_before = DealEvent.objects.filter(deal=deal).count()
    status_allows = status in allowed_from
    role_allows = role in ALLOWED_ROLES[action]

    if status_allows and role_allows:
        run(action, deal, people[role])
        deal.refresh_from_db()
        if action == "revise" and status == DealStatus.DRAFT:
            # Revising a draft changes nothing, so it records nothing.
            assert deal.status == DealStatus.DRAFT
            assert DealEvent.objects.filter(deal=deal).count() == events_before
            return
        assert deal.status == to_status
        event = DealEvent.objects.filter(deal=deal, kind=EVENT_OF[action]).latest("id")
        assert (event.from_status, event.to_status) == (status, to_status)
        assert event.actor == people[role]
        return

    expected = ActionForbidden if status_allows else DomainError
    with pytest.raises(expected):
        run(action, deal, people[role])
    deal.refresh_from_db()
    assert deal.status == status
    assert DealEvent.objects.filter(deal=deal).count() == events_before


def test_wrong_status_is_a_transition_error_with_a_code(rep, pm):
    deal = deal_in(DealStatus.WON, owner=rep, pm=pm)
    with pytest.raises(TransitionNotAllowed) as error:
        services.deal_lose(deal=deal, actor=rep, reason="x")
    assert error.value.code == "lose_not_allowed"


# Rules beyond status and role


def test_submit_needs_a_commitment(rep):
    deal = draft_deal(rep, commitments=0)
    with pytest.raises(DomainError) as error:
        services.deal_submit(deal=deal, actor=rep)
    assert error.value.code == "no_commitments"
    assert not ReviewRound.objects.filter(deal=deal).exists()


def test_submit_opens_a_round_with_a_working_day_due_time(rep):
    deal = draft_deal(rep)
    review_round = services.deal_submit(deal=deal, actor=rep)
    deal.refresh_from_db()
    assert review_round.number == 1
    assert review_round.due_at == review_due_at(review_round.submitted_at)
    assert deal.first_submitted_at == review_round.submitted_at


def test_resubmission_opens_round_two_for_the_same_reviewer(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    review_round = services.deal_submit(deal=deal, actor=rep)
    assert review_round.number == 2
    assert review_round.reviewer == pm
    assert ReviewRound.objects.filter(deal=deal, decided_at__isnull=True).count() == 1


def test_request_changes_needs_every_commitment_ruled(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    first = deal.commitments.first()
    services.commitment_rule(commitment=first, actor=pm, verdict="flagged", reason="No team")
    with pytest.raises(DomainError) as error:
        services.deal_request_changes(deal=deal, actor=pm)
    assert error.value.code == "commitments_not_ruled"


def test_request_changes_needs_a_flag(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    with pytest.raises(DomainError) as error:
        services.deal_request_changes(deal=deal, actor=pm)
    assert error.value.code == "nothing_flagged"


def test_request_changes_closes_the_round(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, flagged=True)
    review_round = services.deal_request_changes(deal=deal, actor=pm)
    assert review_round.outcome == RoundOutcome.CHANGES_REQUESTED
    assert review_round.decided_at is not None


def test_sign_off_needs_every_commitment_approved(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, flagged=True)
    with pytest.raises(DomainError) as error:
        services.deal_sign_off(deal=deal, actor=pm)
    assert error.value.code == "flagged_commitments"
    unruled = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    with pytest.raises(DomainError) as error:
        services.deal_sign_off(deal=unruled, actor=pm)
    assert error.value.code == "commitments_not_ruled"


def test_sign_off_accepts_conditional_approvals_and_records_a_fingerprint(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    first, second = deal.commitments.order_by("id")
    services.commitment_rule(
        commitment=first, actor=pm, verdict="approved_with_condition", condition="Senior dev"
    )
    services.commitment_rule(commitment=second, actor=pm, verdict="approved")
    sign_off = services.deal_sign_off(deal=deal, actor=pm)
    digest, _ = services.fingerprint(deal.commitments.all())
    assert sign_off.fingerprint == digest
    assert [item["condition"] for item in sign_off.snapshot] == ["Senior dev", ""]
    assert sign_off.round.outcome == RoundOutcome.SIGNED_OFF


def test_sign_off_is_immutable(rep, pm):
    sign_off = SignOff.objects.get(deal=deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm))
    sign_off.fingerprint = "x" * 64
    with pytest.raises(ValueError):
        sign_off.save()
    with pytest.raises(ValueError):
        sign_off.delete()


def test_flag_needs_a_reason(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    with pytest.raises(ValidationError) as error:
        services.commitment_rule(
            commitment=deal.commitments.first(), actor=pm, verdict="flagged", reason="  "
        )
    assert "reason" in error.value.message_dict


def test_conditional_approval_needs_a_condition(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    with pytest.raises(ValidationError) as error:
        services.commitment_rule(
            commitment=deal.commitments.first(), actor=pm, verdict="approved_with_condition"
        )
    assert "condition" in error.value.message_dict


def test_flag_keeps_a_counter_proposal(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    later = timezone.localdate() + datetime.timedelta(days=120)
    verdict = services.commitment_rule(
        commitment=deal.commitments.first(),
        actor=pm,
        verdict="flagged",
        reason="Too soon",
        counter_date=later,
        counter_effort_days=Decimal("12.5"),
    )
    assert (verdict.counter_date, verdict.counter_effort_days) == (later, Decimal("12.5"))


def test_ruling_again_replaces_the_verdict(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()
    services.commitment_rule(commitment=commitment, actor=pm, verdict="flagged", reason="x")
    services.commitment_rule(commitment=commitment, actor=pm, verdict="approved")
    assert commitment.verdicts.get().verdict == VerdictKind.APPROVED


@pytest.mark.parametrize("who", ["owner", "other_rep", "manager", "other_pm"])
def test_only_the_reviewing_pm_rules(who, people):
    deal = deal_in(DealStatus.IN_REVIEW, owner=people["owner"], pm=people["reviewer"], ruled=False)
    with pytest.raises(ActionForbidden):
        services.commitment_rule(
            commitment=deal.commitments.first(), actor=people[who], verdict="approved"
        )


def test_ruling_on_an_unclaimed_review_claims_it(rep, pm):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(commitment=deal.commitments.first(), actor=pm, verdict="approved")
    assert deal.rounds.get().reviewer == pm
    assert deal.events.filter(kind=EventKind.CLAIMED, actor=pm).exists()


@pytest.mark.parametrize("status", [s for s in DealStatus.values if s != DealStatus.IN_REVIEW])
def test_ruling_outside_review_is_refused(status, rep, pm):
    deal = deal_in(status, owner=rep, pm=pm)
    with pytest.raises(TransitionNotAllowed):
        services.commitment_rule(commitment=deal.commitments.first(), actor=pm, verdict="approved")


# Claim and assign


def test_claim_by_a_pm_and_conflict_for_the_second(rep, pm, pm2):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    assert services.review_claim(deal=deal, actor=pm).reviewer == pm
    assert services.review_claim(deal=deal, actor=pm).reviewer == pm
    with pytest.raises(ConcurrentChange) as error:
        services.review_claim(deal=deal, actor=pm2)
    assert error.value.code == "already_claimed"


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_only_pms_claim(who, rep, pm, manager):
    deal = draft_deal(rep)
    services.deal_submit(deal=deal, actor=rep)
    with pytest.raises(ActionForbidden):
        services.review_claim(deal=deal, actor={"rep": rep, "manager": manager}[who])


@pytest.mark.parametrize("status", [s for s in DealStatus.values if s != DealStatus.IN_REVIEW])
def test_claim_and_assign_only_in_review(status, rep, pm, pm2, manager):
    deal = deal_in(status, owner=rep, pm=pm)
    with pytest.raises(TransitionNotAllowed):
        services.review_claim(deal=deal, actor=pm2)
    with pytest.raises(TransitionNotAllowed):
        services.review_assign(deal=deal, actor=manager, reviewer=pm2)


def test_manager_assigns_and_reassigns(rep, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    review_round = services.review_assign(deal=deal, actor=manager, reviewer=pm2)
    assert review_round.reviewer == pm2
    event = deal.events.get(kind=EventKind.ASSIGNED)
    assert event.data["previous"] == pm.pk
    with pytest.raises(ActionForbidden):
        services.deal_sign_off(deal=deal, actor=pm)


@pytest.mark.parametrize("who", ["rep", "pm2"])
def test_only_managers_and_the_lead_reviewer_assign(who, rep, pm, pm2):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    with pytest.raises(ActionForbidden):
        services.review_assign(deal=deal, actor={"rep": rep, "pm2": pm2}[who], reviewer=pm2)
    services.review_assign(deal=deal, actor=pm, reviewer=pm2, note="On leave next week")
    event = deal.events.order_by("-pk").first()
    assert (event.reason, event.data["handed_on"]) == ("On leave next week", True)


def test_assign_needs_a_pm(rep, rep2, pm, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    with pytest.raises(ValidationError):
        services.review_assign(deal=deal, actor=manager, reviewer=rep2)


# Escalations


def _flag(deal):
    return deal.rounds.get(number=1).verdicts.get(verdict=VerdictKind.FLAGGED)


def test_escalate_and_decide(rep, pm, manager):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    escalation = services.verdict_escalate(verdict=_flag(deal), actor=rep, argument="We did it")
    assert escalation.is_open
    services.escalation_decide(
        escalation=escalation, actor=manager, decision="overruled", reason="Done it twice"
    )
    escalation.refresh_from_db()
    assert escalation.decision == EscalationDecision.OVERRULED
    assert deal.events.filter(kind=EventKind.ESCALATED).exists()
    assert deal.events.filter(kind=EventKind.ESCALATION_DECIDED).exists()
    with pytest.raises(ConcurrentChange):
        services.escalation_decide(
            escalation=escalation, actor=manager, decision="upheld", reason="Again"
        )


@pytest.mark.parametrize("decision", ["upheld", "overruled"])
def test_deciding_an_escalation_needs_a_reason(decision, rep, pm, manager):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    escalation = services.verdict_escalate(verdict=_flag(deal), actor=rep, argument="Please")
    with pytest.raises(ValidationError) as error:
        services.escalation_decide(
            escalation=escalation, actor=manager, decision=decision, reason=""
        )
    assert "reason" in error.value.message_dict


@pytest.mark.parametrize("who", ["rep", "pm"])
def test_only_managers_decide_escalations(who, rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    escalation = services.verdict_escalate(verdict=_flag(deal), actor=rep, argument="Please")
    with pytest.raises(ActionForbidden):
        services.escalation_decide(
            escalation=escalation, actor={"rep": rep, "pm": pm}[who], decision="upheld", reason="x"
        )


def test_escalation_rules(rep, rep2, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = _flag(deal)
    with pytest.raises(ActionForbidden):
        services.verdict_escalate(verdict=flag, actor=rep2, argument="x")
    with pytest.raises(ValidationError):
        services.verdict_escalate(verdict=flag, actor=rep, argument=" ")
    approval = deal.rounds.get(number=1).verdicts.get(verdict=VerdictKind.APPROVED)
    with pytest.raises(DomainError) as error:
        services.verdict_escalate(verdict=approval, actor=rep, argument="x")
    assert error.value.code == "not_a_flag"
    services.verdict_escalate(verdict=flag, actor=rep, argument="x")
    with pytest.raises(DomainError) as error:
        services.verdict_escalate(verdict=flag, actor=rep, argument="again")
    assert error.value.code == "already_escalated"
    services.deal_submit(deal=deal, actor=rep)
    with pytest.raises(TransitionNotAllowed):
        services.verdict_escalate(verdict=flag, actor=rep, argument="x")
    assert Escalation.objects.count() == 1


@pytest.mark.parametrize("move", ["lose", "revise", "submit"])
def test_an_escalation_closes_when_the_deal_moves_on_and_cannot_be_decided(
    move, rep, pm, manager, client_for
):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    escalation = services.verdict_escalate(verdict=_flag(deal), actor=rep, argument="We did it")
    if move == "lose":
        services.deal_lose(deal=deal, actor=rep, reason="Budget cut")
    elif move == "revise":
        services.deal_revise(deal=deal, actor=rep)
    else:
        services.deal_submit(deal=deal, actor=rep)
    escalation.refresh_from_db()
    assert escalation.decision == EscalationDecision.CLOSED
    assert escalation.decided_at is not None and escalation.decided_by is None
    assert escalation.decision_reason == ESCALATION_CLOSED_BECAUSE[move]
    with pytest.raises(TransitionNotAllowed) as error:
        services.escalation_decide(
            escalation=escalation, actor=manager, decision="overruled", reason="Late"
        )
    assert error.value.code == "escalation_stale"
    assert not Escalation.objects.filter(decision=EscalationDecision.PENDING).exists()
    # The manager's list no longer offers it; the deal page says why it closed.
    assert "We did it" not in client_for(manager).get(reverse("deals:escalations")).content.decode()
    page = client_for(manager).get(deal.get_absolute_url()).content.decode()
    assert "Closed: the deal moved on" in page


def test_deciding_a_stale_escalation_left_open_answers_409_on_the_api(rep, pm, manager):
    from rest_framework.test import APIClient

    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    escalation = services.verdict_escalate(verdict=_flag(deal), actor=rep, argument="We did it")
    services.deal_lose(deal=deal, actor=rep, reason="Budget cut")
    # As rows from before escalations closed with their deal still are.
    Escalation.objects.filter(pk=escalation.pk).update(
        decision="", decided_at=None, decision_reason=""
    )
    api = APIClient()
    api.force_authenticate(manager)
    response = api.post(
        f"/api/v1/escalations/{escalation.pk}/decide/",
        {"decision": "upheld", "reason": "Too late"},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "escalation_stale"
    escalation.refresh_from_db()
    assert escalation.is_open


# Revise, win, lose


def test_revise_from_signed_off_voids_the_sign_off(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    services.deal_revise(deal=deal, actor=rep, reason="Client asked for more")
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT
    voided = deal.events.get(kind=EventKind.SIGN_OFF_VOIDED)
    assert voided.data["sign_off"] == deal.sign_offs.get().pk
    assert voided.reason == "Client asked for more"
    # Commitments can now change; winning needs a new review.
    services.commitment_update(
        commitment=deal.commitments.first(), actor=rep, data={"summary": "Bigger scope"}
    )
    services.deal_submit(deal=deal, actor=rep)
    assert deal.rounds.count() == 2


def test_revise_from_changes_requested_does_not_void(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    services.deal_revise(deal=deal, actor=rep)
    assert not deal.events.filter(kind=EventKind.SIGN_OFF_VOIDED).exists()


def test_win_checks_the_fingerprint(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    Commitment.objects.filter(pk=deal.commitments.first().pk).update(summary="Quietly changed")
    with pytest.raises(DomainError) as error:
        services.deal_win(deal=deal, actor=rep)
    assert error.value.code == "sign_off_mismatch"
    deal.refresh_from_db()
    assert deal.status == DealStatus.SIGNED_OFF


def test_only_a_manager_picks_another_project_manager(rep, pm, pm2, manager):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    with pytest.raises(ActionForbidden):
        services.deal_win(deal=deal, actor=rep, project_manager=pm2)
    services.deal_win(deal=deal, actor=manager, project_manager=pm2)
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON


def test_lose_needs_a_reason(rep):
    deal = draft_deal(rep)
    with pytest.raises(ValidationError) as error:
        services.deal_lose(deal=deal, actor=rep, reason="  ")
    assert "reason" in error.value.message_dict
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT


def test_lose_in_review_closes_the_open_round(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    services.deal_lose(deal=deal, actor=rep, reason="Budget frozen")
    deal.refresh_from_db()
    assert deal.lost_reason == "Budget frozen"
    assert deal.rounds.get().outcome == RoundOutcome.CLOSED


def test_every_status_change_writes_its_event(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    services.deal_revise(deal=deal, actor=rep)
    services.deal_submit(deal=deal, actor=rep)
    rule_all(deal, pm)
    services.deal_sign_off(deal=deal, actor=pm)
    services.deal_win(deal=deal, actor=rep)
    changes = list(
        deal.events.exclude(to_status="").order_by("id").values_list("from_status", "to_status")
    )
    assert changes == [
        ("draft", "in_review"),
        ("in_review", "changes_requested"),
        ("changes_requested", "draft"),
        ("draft", "in_review"),
        ("in_review", "signed_off"),
        ("signed_off", "won"),
    ]


# Editing


def test_commitments_are_read_only_outside_draft(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    commitment = deal.commitments.first()
    with pytest.raises(TransitionNotAllowed) as error:
        services.commitment_update(commitment=commitment, actor=rep, data={"summary": "New"})
    assert error.value.code == "commitments_read_only"
    with pytest.raises(TransitionNotAllowed):
        services.commitment_remove(commitment=commitment, actor=rep)
    with pytest.raises(TransitionNotAllowed):
        services.commitment_add(
            deal=deal,
            actor=rep,
            data={"kind": "scope", "summary": "x", "promised_date": timezone.localdate()},
        )


def test_commitment_edit_bumps_its_version_and_is_recorded(rep):
    deal = draft_deal(rep)
    commitment = deal.commitments.first()
    updated = services.commitment_update(
        commitment=commitment, actor=rep, data={"effort_days": Decimal("7.5")}, expected_version=1
    )
    assert updated.version == 2
    event = deal.events.get(kind=EventKind.COMMITMENT_CHANGED)
    assert event.data["before"]["effort_days"] == "5.0"
    with pytest.raises(ConcurrentChange):
        services.commitment_update(
            commitment=commitment, actor=rep, data={"summary": "x"}, expected_version=1
        )


def test_deal_update_with_a_stale_version_is_a_conflict(rep):
    deal = draft_deal(rep)
    services.deal_update(deal=deal, actor=rep, data={"title": "New"}, expected_version=1)
    with pytest.raises(ConcurrentChange):
        services.deal_update(deal=deal, actor=rep, data={"title": "Newer"}, expected_version=1)


def test_only_the_owner_edits(rep, rep2, manager):
    deal = draft_deal(rep)
    for actor in (rep2, manager):
        with pytest.raises(ActionForbidden):
            services.deal_update(deal=deal, actor=actor, data={"title": "x"})


def test_delete_only_a_never_submitted_draft(rep, pm):
    deal = draft_deal(rep)
    services.deal_delete(deal=deal, actor=rep)
    assert not type(deal).objects.filter(pk=deal.pk).exists()
    revised = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    services.deal_revise(deal=revised, actor=rep)
    with pytest.raises(TransitionNotAllowed) as error:
        services.deal_delete(deal=revised, actor=rep)
    assert error.value.code == "delete_not_allowed"


def test_create_deal_by_role(rep, pm, manager):
    data = {
        "title": "New site",
        "client": ClientFactory(),
        "expected_close_date": timezone.localdate(),
    }
    commitments = [{"kind": "scope", "summary": "CMS", "promised_date": timezone.localdate()}]
    deal = services.deal_create(actor=rep, data=data, commitments=commitments)
    assert deal.status == DealStatus.DRAFT
    assert deal.commitments.count() == 1
    assert services.deal_create(actor=manager, data=data).owner == manager
    with pytest.raises(ActionForbidden):
        services.deal_create(actor=pm, data=data)


def test_client_create(rep, pm):
    client = services.client_create(actor=rep, name=" Acme ")
    assert client.name == "Acme"
    with pytest.raises(ValidationError):
        services.client_create(actor=rep, name="ACME")
    with pytest.raises(ActionForbidden):
        services.client_create(actor=pm, name="Other")


def test_comment_mentions(rep, pm, manager):
    deal = draft_deal(rep)
    comment = services.comment_add(deal=deal, actor=rep, body="@manager can you check? cc @nobody")
    assert list(comment.mentions.all()) == [manager]
    # A PM sees no deal before its first submission, so cannot be mentioned on a draft.
    comment = services.comment_add(deal=deal, actor=rep, body="@pm can you check?")
    assert (list(comment.mentions.all()), comment.not_notified) == ([], ["pm"])
    assert services.mentions_left_out(comment) == "@pm cannot see this deal and was not notified."
    services.deal_submit(deal=deal, actor=rep)
    comment = services.comment_add(deal=deal, actor=rep, body="@pm can you check?")
    assert (list(comment.mentions.all()), comment.not_notified) == ([pm], [])
    with pytest.raises(ValidationError):
        services.comment_add(deal=deal, actor=rep, body="  ")


# Review SLA in working days


def _at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


@override_settings(REVIEW_SLA_WORKING_DAYS=3)
def test_sla_comes_from_the_setting():
    assert review_due_at(_at("2026-11-27", 16)) == _at("2026-12-02", 16)


def test_overdue_round(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    review_round = deal.rounds.get()
    assert not review_round.is_overdue
    ReviewRound.objects.filter(pk=review_round.pk).update(
        due_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    review_round.refresh_from_db()
    assert review_round.is_overdue


def test_a_second_commitment_factory_is_still_a_draft(rep):
    # The factories never set status; the workflow does.
    assert CommitmentFactory(deal=draft_deal(rep)).deal.status == DealStatus.DRAFT


def test_client_create_race_on_the_name_is_a_validation_error(rep, monkeypatch):
    services.client_create(actor=rep, name="Acme")
    # As if the other request's row landed between the check and the insert.
    monkeypatch.setattr(Client.objects, "filter", lambda **kw: Client.objects.none())
    with pytest.raises(ValidationError) as error:
        services.client_create(actor=rep, name="acme")
    assert "name" in error.value.message_dict
