"""The second-generation review through its services: carried approvals, counter-proposals
accepted in one step, editing that revises, rules with parallel approvers, hand-on."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals import services
from deals.approvals import missing_approvals, round_requirements
from deals.models import (
    Approval,
    ApprovalRequirement,
    ApproverKind,
    DealStatus,
    EventKind,
    ReviewRule,
    Verdict,
    VerdictKind,
)
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import Team, TeamKind
from tests.deals.builders import draft_deal

pytestmark = pytest.mark.django_db


def _open_round(deal):
    return deal.rounds.get(decided_at__isnull=True)


def _rule_all(deal, actor, flag=()):
    for commitment in deal.commitments.order_by("id"):
        if commitment.pk in flag:
            services.commitment_rule(
                commitment=commitment,
                actor=actor,
                verdict=VerdictKind.FLAGGED,
                reason="Too soon",
                counter_date=commitment.promised_date + datetime.timedelta(days=14),
                counter_effort_days=Decimal("12.0"),
            )
        else:
            services.commitment_rule(
                commitment=commitment, actor=actor, verdict=VerdictKind.APPROVED
            )


@pytest.fixture
def integration(pm2, manager):
    team = Team.objects.create(name="Integration", kind=TeamKind.DELIVERY, lead=manager)
    team.members.add(pm2)
    return team


def _integration_rule(manager, team, **extra):
    return services.review_rule_create(
        actor=manager,
        data={
            "name": "Integration needs the Integration team",
            "kinds": ["integration"],
            "approver": ApproverKind.PM,
            "team": team,
            **extra,
        },
    )


# Re-review of only what changed


def test_resubmission_carries_unchanged_approvals_with_their_conditions(rep, pm):
    deal = draft_deal(rep, commitments=3)
    first, second, third = deal.commitments.order_by("id")
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(
        commitment=first,
        actor=pm,
        verdict=VerdictKind.APPROVED_WITH_CONDITION,
        condition="Only with two engineers",
    )
    services.commitment_rule(commitment=second, actor=pm, verdict=VerdictKind.APPROVED)
    services.commitment_rule(
        commitment=third, actor=pm, verdict=VerdictKind.FLAGGED, reason="Too soon"
    )
    services.deal_request_changes(deal=deal, actor=pm)

    services.commitment_update(commitment=second, actor=rep, data={"summary": "Changed"})
    services.deal_submit(deal=deal, actor=rep)

    round_two = _open_round(deal)
    carried = Verdict.objects.get(round=round_two, commitment=first)
    assert (carried.verdict, carried.condition, carried.carried_from_round, carried.decided_by) == (
        VerdictKind.APPROVED_WITH_CONDITION,
        "Only with two engineers",
        1,
        pm,
    )
    # The edited and the flagged commitment need a new ruling.
    assert not Verdict.objects.filter(round=round_two, commitment__in=[second, third]).exists()
    event = deal.events.filter(kind=EventKind.APPROVALS_CARRIED).get()
    assert [item["commitment"] for item in event.data["carried"]] == [first.pk]

    services.commitment_rule(commitment=second, actor=pm, verdict=VerdictKind.APPROVED)
    services.commitment_rule(commitment=third, actor=pm, verdict=VerdictKind.APPROVED)
    sign_off = services.deal_sign_off(deal=deal, actor=pm)
    by_id = {item["id"]: item for item in sign_off.snapshot}
    assert by_id[first.pk]["condition"] == "Only with two engineers"


def test_a_carried_approval_can_still_be_changed_by_the_reviewer(rep, pm):
    deal = draft_deal(rep, commitments=2)
    first, second = deal.commitments.order_by("id")
    services.deal_submit(deal=deal, actor=rep)
    _rule_all(deal, pm, flag={second.pk})
    services.deal_request_changes(deal=deal, actor=pm)
    services.commitment_update(commitment=second, actor=rep, data={"summary": "Smaller"})
    services.deal_submit(deal=deal, actor=rep)

    ruling = services.commitment_rule(
        commitment=first, actor=pm, verdict=VerdictKind.FLAGGED, reason="On second thought"
    )
    assert (ruling.verdict, ruling.carried_from_round) == (VerdictKind.FLAGGED, None)
    assert not Approval.objects.filter(
        requirement__commitment=first, requirement__round=ruling.round
    )


def test_carried_from_the_first_round_says_so_in_the_third(rep, pm):
    deal = draft_deal(rep, commitments=2)
    first, second = deal.commitments.order_by("id")
    for number in (1, 2):
        services.deal_submit(deal=deal, actor=rep)
        if number == 1:
            _rule_all(deal, pm, flag={second.pk})
        else:
            services.commitment_rule(
                commitment=second, actor=pm, verdict=VerdictKind.FLAGGED, reason="Still"
            )
        services.deal_request_changes(deal=deal, actor=pm)
        services.commitment_update(commitment=second, actor=rep, data={"summary": f"V{number}"})
    services.deal_submit(deal=deal, actor=rep)
    carried = Verdict.objects.get(round=_open_round(deal), commitment=first)
    assert carried.carried_from_round == 1


# Counter-proposals accepted in one step


def test_accepting_a_counter_proposal_edits_the_commitment_and_revises_the_deal(rep, pm):
    deal = draft_deal(rep, commitments=2)
    first, second = deal.commitments.order_by("id")
    services.deal_submit(deal=deal, actor=rep)
    _rule_all(deal, pm, flag={second.pk})
    services.deal_request_changes(deal=deal, actor=pm)
    flag = Verdict.objects.get(commitment=second)

    commitment = services.verdict_accept_counter(verdict=flag, actor=rep)

    assert commitment.promised_date == flag.counter_date
    assert commitment.effort_days == Decimal("12.0")
    assert commitment.version == flag.commitment_version + 1
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT
    kinds = list(deal.events.order_by("-id").values_list("kind", flat=True)[:2])
    assert kinds == [EventKind.COUNTER_ACCEPTED, EventKind.REVISED]

    services.deal_submit(deal=deal, actor=rep)
    round_two = _open_round(deal)
    carried = {v.commitment_id: v for v in round_two.verdicts.all()}
    assert carried[second.pk].carried_from_round == 1
    assert carried[second.pk].decided_by == pm
    assert carried[first.pk].carried_from_round == 1
    services.deal_sign_off(deal=deal, actor=pm)


def test_a_counter_proposal_is_accepted_once_by_the_owner_only(rep, rep2, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    _rule_all(deal, pm, flag={deal.commitments.get().pk})
    services.deal_request_changes(deal=deal, actor=pm)
    flag = Verdict.objects.get()
    for outsider in (rep2, pm):
        with pytest.raises(ActionForbidden):
            services.verdict_accept_counter(verdict=flag, actor=outsider)
    services.verdict_accept_counter(verdict=flag, actor=rep)
    with pytest.raises(ConcurrentChange):
        services.verdict_accept_counter(verdict=flag, actor=rep)


def test_a_counter_accepted_then_edited_again_needs_a_new_ruling(rep, pm):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    services.deal_submit(deal=deal, actor=rep)
    _rule_all(deal, pm, flag={commitment.pk})
    services.deal_request_changes(deal=deal, actor=pm)
    services.verdict_accept_counter(verdict=Verdict.objects.get(), actor=rep)
    services.commitment_update(commitment=commitment, actor=rep, data={"summary": "Again"})
    services.deal_submit(deal=deal, actor=rep)
    assert not _open_round(deal).verdicts.exists()


def test_a_flag_without_counter_proposal_cannot_be_accepted(rep, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(
        commitment=deal.commitments.get(), actor=pm, verdict=VerdictKind.FLAGGED, reason="No"
    )
    services.deal_request_changes(deal=deal, actor=pm)
    with pytest.raises(DomainError) as error:
        services.verdict_accept_counter(verdict=Verdict.objects.get(), actor=rep)
    assert error.value.code == "no_counter_proposal"


# Editing straight from changes requested


def test_editing_a_deal_with_changes_requested_revises_it_in_the_same_step(rep, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    _rule_all(deal, pm, flag={deal.commitments.get().pk})
    services.deal_request_changes(deal=deal, actor=pm)

    services.deal_update(deal=deal, actor=rep, data={"title": "Renamed"})

    deal.refresh_from_db()
    assert (deal.status, deal.title) == (DealStatus.DRAFT, "Renamed")
    revised = deal.events.get(kind=EventKind.REVISED)
    assert revised.data == {"implicit": True}


def test_a_signed_off_deal_still_needs_an_explicit_revise(rep, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    _rule_all(deal, pm)
    services.deal_sign_off(deal=deal, actor=pm)
    with pytest.raises(TransitionNotAllowed):
        services.deal_update(deal=deal, actor=rep, data={"title": "Renamed"})


# Rules and parallel approvers


def test_rules_route_a_commitment_to_the_team_they_name(rep, pm, pm2, manager, integration):
    _integration_rule(manager, integration)
    deal = draft_deal(rep, commitments=2)
    first, second = deal.commitments.order_by("id")
    services.commitment_update(commitment=second, actor=rep, data={"kind": "integration"})
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)

    with pytest.raises(ActionForbidden) as error:
        services.commitment_rule(commitment=second, actor=pm, verdict=VerdictKind.APPROVED)
    assert "a pm of integration" in error.value.message
    services.commitment_rule(commitment=first, actor=pm, verdict=VerdictKind.APPROVED)
    with pytest.raises(DomainError) as error:
        services.deal_sign_off(deal=deal, actor=pm)
    assert error.value.code == "approvals_missing"
    assert error.value.extra["missing"] == [
        {
            "commitment": second.pk,
            "summary": second.summary,
            "requirements": ["Approval by a PM of Integration"],
        }
    ]

    services.commitment_rule(commitment=second, actor=pm2, verdict=VerdictKind.APPROVED)
    services.deal_sign_off(deal=deal, actor=pm)


def test_a_two_approver_rule_needs_two_distinct_people(rep, pm, pm2, manager):
    services.review_rule_create(
        actor=manager,
        data={
            "name": "Large scope",
            "min_effort_days": Decimal("5"),
            "approver": ApproverKind.PM,
            "approvals_required": 2,
        },
    )
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(commitment=commitment, actor=pm, verdict=VerdictKind.APPROVED)
    services.commitment_rule(commitment=commitment, actor=pm, verdict=VerdictKind.APPROVED)
    with pytest.raises(DomainError):
        services.deal_sign_off(deal=deal, actor=pm)
    services.commitment_rule(
        commitment=commitment,
        actor=pm2,
        verdict=VerdictKind.APPROVED_WITH_CONDITION,
        condition="Staffed by March",
    )
    sign_off = services.deal_sign_off(deal=deal, actor=pm)
    assert sign_off.snapshot[0]["condition"] == "Staffed by March"


def test_a_third_approver_on_a_met_requirement_gets_a_conflict(rep, pm, pm2, manager):
    services.review_rule_create(
        actor=manager,
        data={"name": "Every promise", "approver": ApproverKind.MANAGER},
    )
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(commitment=commitment, actor=manager, verdict=VerdictKind.APPROVED)
    other = type(manager).objects.create(username="lead2", role=manager.role)
    with pytest.raises(ConcurrentChange) as error:
        services.commitment_rule(commitment=commitment, actor=other, verdict=VerdictKind.APPROVED)
    assert error.value.code == "already_approved"
    with pytest.raises(ActionForbidden):
        services.commitment_rule(commitment=commitment, actor=pm2, verdict=VerdictKind.APPROVED)


def test_pricing_on_large_deals_needs_a_manager_and_whole_deal_rules_reach_every_promise(
    rep, pm, manager
):
    services.review_rule_create(
        actor=manager,
        data={
            "name": "Big pricing",
            "kinds": ["pricing"],
            "min_deal_value": Decimal("100000"),
            "approver": ApproverKind.MANAGER,
            "whole_deal": True,
        },
    )
    small = draft_deal(rep, commitments=2, value=Decimal("5000"))
    big = draft_deal(rep, commitments=2, value=Decimal("150000"))
    for deal in (small, big):
        services.commitment_update(
            commitment=deal.commitments.order_by("id").first(), actor=rep, data={"kind": "pricing"}
        )
        services.deal_submit(deal=deal, actor=rep)
    assert not ApprovalRequirement.objects.filter(round__deal=small, rule__isnull=False).exists()
    assert (
        ApprovalRequirement.objects.filter(round__deal=big, approver=ApproverKind.MANAGER).count()
        == 2
    )


def test_a_round_keeps_the_rule_version_it_was_submitted_under(rep, pm, pm2, manager, integration):
    rule = _integration_rule(manager, integration)
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    services.commitment_update(commitment=commitment, actor=rep, data={"kind": "integration"})
    services.deal_submit(deal=deal, actor=rep)

    newer = services.review_rule_update(rule=rule, actor=manager, data={"approvals_required": 2})
    assert (newer.version, newer.key) == (2, rule.key)
    rule.refresh_from_db()
    assert rule.retired_at is not None

    requirement = ApprovalRequirement.objects.get(round__deal=deal, rule__isnull=False)
    assert (requirement.rule, requirement.approvals_required) == (rule, 1)
    services.commitment_rule(commitment=commitment, actor=pm2, verdict=VerdictKind.APPROVED)
    services.review_claim(deal=deal, actor=pm2)
    services.deal_sign_off(deal=deal, actor=pm2)


def test_only_managers_manage_rules_and_retired_rules_stop_matching(rep, pm, manager):
    with pytest.raises(ActionForbidden):
        services.review_rule_create(
            actor=pm, data={"name": "Mine", "approver": ApproverKind.MANAGER}
        )
    rule = services.review_rule_create(
        actor=manager, data={"name": "All", "approver": ApproverKind.MANAGER}
    )
    services.review_rule_retire(rule=rule, actor=manager)
    with pytest.raises(ConcurrentChange):
        services.review_rule_retire(rule=rule, actor=manager)
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    assert list(ApprovalRequirement.objects.values_list("approver", flat=True)) == [
        ApproverKind.REVIEWER
    ]


def test_rule_input_is_checked(manager, integration):
    from django.core.exceptions import ValidationError

    sales = Team.objects.create(name="Field", kind=TeamKind.SALES)
    for data, field in (
        ({"name": "x", "approver": "pm", "kinds": ["nonsense"]}, "kinds"),
        ({"name": "x", "approver": "manager", "team": integration}, "team"),
        ({"name": "x", "approver": "pm", "team": sales}, "team"),
        ({"name": "x", "approver": "pm", "approvals_required": 3}, "approvals_required"),
        ({"name": "x", "approver": "pm", "value_currency": "EUR"}, "value_currency"),
        ({"name": "", "approver": "pm"}, "name"),
    ):
        with pytest.raises(ValidationError) as error:
            services.review_rule_create(actor=manager, data=data)
        assert field in error.value.message_dict, data
    assert not ReviewRule.objects.exists()


def test_round_requirements_read_in_two_queries(rep, pm, manager, django_assert_num_queries):
    services.review_rule_create(actor=manager, data={"name": "All", "approver": "manager"})
    deal = draft_deal(rep, commitments=5)
    services.deal_submit(deal=deal, actor=rep)
    review_round = _open_round(deal)
    commitments = list(deal.commitments.all())
    with django_assert_num_queries(2):
        states = round_requirements(review_round, commitments, {})
    assert len(missing_approvals(commitments, states)) == 5


# Handing a review on


def test_the_lead_reviewer_releases_or_hands_on_the_review(rep, pm, pm2):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    with pytest.raises(ActionForbidden):
        services.review_release(deal=deal, actor=pm2)
    services.review_release(deal=deal, actor=pm, note="Out next week")
    assert _open_round(deal).reviewer is None
    assert deal.events.get(kind=EventKind.RELEASED).reason == "Out next week"
    services.review_claim(deal=deal, actor=pm2)
    services.review_assign(deal=deal, actor=pm2, reviewer=pm, note="Yours after all")
    assert _open_round(deal).reviewer == pm


def test_a_resubmission_returns_to_the_lead_reviewer(rep, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    _rule_all(deal, pm, flag={deal.commitments.get().pk})
    services.deal_request_changes(deal=deal, actor=pm)
    services.commitment_update(
        commitment=deal.commitments.get(),
        actor=rep,
        data={"promised_date": timezone.localdate() + datetime.timedelta(days=200)},
    )
    review_round = services.deal_submit(deal=deal, actor=rep)
    assert review_round.reviewer == pm


def test_a_team_approver_on_an_unclaimed_review_does_not_become_its_lead(
    rep, pm, pm2, manager, integration
):
    _integration_rule(manager, integration)
    deal = draft_deal(rep, commitments=2)
    first, second = deal.commitments.order_by("id")
    services.commitment_update(commitment=second, actor=rep, data={"kind": "integration"})
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(commitment=second, actor=pm2, verdict=VerdictKind.APPROVED)
    assert _open_round(deal).reviewer is None
    services.commitment_rule(commitment=first, actor=pm, verdict=VerdictKind.APPROVED)
    assert _open_round(deal).reviewer == pm
    services.deal_sign_off(deal=deal, actor=pm)
