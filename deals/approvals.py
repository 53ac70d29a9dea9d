"""Which approvals each commitment of a round needs, who may give them, and which are met.

The review rules decide the requirements when a round opens (`requirements_for`); a
commitment no rule matches needs its lead reviewer's approval, as before rules existed. A
round opened before its requirements were written (or built directly in a test) reads as
that default, met by its verdict (`round_requirements`), so readers need not care.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q, QuerySet

from deals.models import (
    Approval,
    ApprovalRequirement,
    ApproverKind,
    Commitment,
    Deal,
    ReviewRound,
    ReviewRule,
    Verdict,
)
from handoff.models import Team, User
from handoff.roles import is_manager, is_pm


def live_rules() -> list[ReviewRule]:
    return list(ReviewRule.objects.filter(retired_at__isnull=True).select_related("team"))


def _deal_matches(rule: ReviewRule, deal: Deal) -> bool:
    if rule.min_deal_value is None:
        return True
    if rule.value_currency and rule.value_currency != deal.currency:
        return False
    return deal.value >= rule.min_deal_value


def _has_commitment_conditions(rule: ReviewRule) -> bool:
    return (
        bool(rule.kinds)
        or rule.min_effort_days is not None
        or rule.promised_within_days is not None
    )


def _commitment_matches(rule: ReviewRule, commitment: Commitment, submitted_on: date) -> bool:
    if rule.kinds and commitment.kind not in rule.kinds:
        return False
    if rule.min_effort_days is not None and commitment.effort_days < rule.min_effort_days:
        return False
    if rule.promised_within_days is not None:
        return (commitment.promised_date - submitted_on).days <= rule.promised_within_days
    return True


def requirements_for(
    deal: Deal, commitments: Sequence[Commitment], rules: Iterable[ReviewRule], submitted_on: date
) -> dict[int, list[ReviewRule | None]]:
    """The rules each commitment must satisfy; `[None]`, the lead reviewer, where none match."""
    matched: dict[int, list[ReviewRule | None]] = {c.pk: [] for c in commitments}
    for rule in rules:
        if not _deal_matches(rule, deal):
            continue
        hits = [c for c in commitments if _commitment_matches(rule, c, submitted_on)]
        if rule.whole_deal and (hits or not _has_commitment_conditions(rule)):
            hits = list(commitments)
        for commitment in hits:
            matched[commitment.pk].append(rule)
    return {pk: rules_ or [None] for pk, rules_ in matched.items()}


def requirement_from(review_round: ReviewRound, commitment: Commitment, rule: ReviewRule | None):
    """The requirement row a rule (or the default, None) sets on one commitment of a round."""
    if rule is None:
        return ApprovalRequirement(
            round=review_round, commitment=commitment, approver=ApproverKind.REVIEWER
        )
    return ApprovalRequirement(
        round=review_round,
        commitment=commitment,
        rule=rule,
        approver=rule.approver,
        team=rule.team,
        approvals_required=rule.approvals_required,
    )


_TEAM_IDS = "_handoff_team_ids"


def team_ids(user: User) -> frozenset[int]:
    """The teams `user` belongs to, read once per user object (or primed for many)."""
    cached = getattr(user, _TEAM_IDS, None)
    if cached is None:
        cached = frozenset(Team.objects.filter(members=user).values_list("pk", flat=True))
        setattr(user, _TEAM_IDS, cached)
    return cached


def prime_team_ids(users: Iterable[User]) -> None:
    """Read the teams of many users in one query, so team_ids() asks nothing more."""
    pending = {u.pk: u for u in users if getattr(u, _TEAM_IDS, None) is None}
    if not pending:
        return
    teams: dict[int, set[int]] = {pk: set() for pk in pending}
    memberships = Team.members.through.objects.filter(user_id__in=pending)
    for user_id, team_id in memberships.values_list("user_id", "team_id"):
        teams[user_id].add(team_id)
    for pk, user in pending.items():
        setattr(user, _TEAM_IDS, frozenset(teams[pk]))


def satisfies(user: User, requirement: ApprovalRequirement, review_round: ReviewRound) -> bool:
    """Whether `user` may give an approval that counts towards `requirement`."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if requirement.approver == ApproverKind.MANAGER:
        return is_manager(user)
    if not is_pm(user):
        return False
    if requirement.approver == ApproverKind.REVIEWER:
        return review_round.reviewer_id in (None, user.pk)
    return requirement.team_id is None or requirement.team_id in team_ids(user)


def could_satisfy(user: User, requirement: ApprovalRequirement) -> bool:
    """Whether `user` is the kind of person a requirement asks for, whoever leads the round."""
    if requirement.approver == ApproverKind.MANAGER:
        return is_manager(user)
    if not is_pm(user):
        return False
    return requirement.team_id is None or requirement.team_id in team_ids(user)


@dataclass
class RequirementState:
    """One requirement of one commitment in a round, with the approvals that count for it."""

    requirement: ApprovalRequirement
    approvals: list[Approval] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return len(self.approvals) >= self.requirement.approvals_required

    @property
    def label(self) -> str:
        return self.requirement.label

    @property
    def missing(self) -> int:
        return max(0, self.requirement.approvals_required - len(self.approvals))


def _default_state(
    review_round: ReviewRound, commitment: Commitment, verdict: Verdict | None
) -> RequirementState:
    """The lead reviewer's requirement of a round that has no rows: its verdict meets it."""
    state = RequirementState(requirement_from(review_round, commitment, None))
    if verdict is not None and verdict.is_approval:
        state.approvals.append(
            Approval(
                requirement=state.requirement,
                approver=verdict.decided_by,
                condition=verdict.condition,
                decided_at=verdict.decided_at,
                carried_from_round=verdict.carried_from_round,
            )
        )
    return state


def round_requirements(
    review_round: ReviewRound | None,
    commitments: Sequence[Commitment],
    verdicts: Mapping[int, Verdict],
) -> dict[int, list[RequirementState]]:
    """Each commitment's requirements in the round and their approvals, in two queries."""
    if review_round is None:
        return {}
    rows = (
        ApprovalRequirement.objects.filter(round=review_round)
        .select_related("team", "rule")
        .order_by("commitment_id", "id")
    )
    states: dict[int, list[RequirementState]] = defaultdict(list)
    by_pk: dict[int, RequirementState] = {}
    for row in rows:
        state = RequirementState(row)
        states[row.commitment_id].append(state)
        by_pk[row.pk] = state
    if by_pk:
        approvals = Approval.objects.filter(requirement__round=review_round).select_related(
            "approver"
        )
        for approval in approvals:
            by_pk[approval.requirement_id].approvals.append(approval)
    for commitment in commitments:
        if commitment.pk not in states:
            states[commitment.pk] = [
                _default_state(review_round, commitment, verdicts.get(commitment.pk))
            ]
    return dict(states)


def missing_approvals(
    commitments: Sequence[Commitment], states: Mapping[int, list[RequirementState]]
) -> list[dict]:
    """Per commitment still short of an approval: its id, summary and the unmet requirements."""
    missing = []
    for commitment in commitments:
        unmet = [s.label for s in states.get(commitment.pk, []) if not s.met]
        if unmet:
            missing.append(
                {"commitment": commitment.pk, "summary": commitment.summary, "requirements": unmet}
            )
    return missing


def may_rule_on(user: User, review_round: ReviewRound, states: Sequence[RequirementState]) -> bool:
    return any(satisfies(user, s.requirement, review_round) for s in states)


def rounds_awaiting(user: User) -> QuerySet:
    """Ids of open rounds where a rule asks for an approval `user` can give and lacks it."""
    if is_manager(user):
        who = Q(approver=ApproverKind.MANAGER)
    elif is_pm(user):
        who = Q(approver=ApproverKind.PM) & (Q(team__isnull=True) | Q(team__in=team_ids(user)))
    else:
        return ApprovalRequirement.objects.none().values_list("round_id", flat=True)
    return (
        ApprovalRequirement.objects.filter(who, round__decided_at__isnull=True, rule__isnull=False)
        .exclude(approvals__approver=user)
        .annotate(given=Count("approvals"))
        .filter(given__lt=F("approvals_required"))
        .values_list("round_id", flat=True)
    )
