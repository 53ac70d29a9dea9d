"""Reads scoped to the user. Pages and the API call these, so one rule covers both.

A rep sees own deals; a PM every deal submitted at least once; a manager all.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.query import prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone

from deals import rules
from deals.approvals import RequirementState, missing_approvals, round_requirements, rounds_awaiting
from deals.filters import DealFilter
from deals.models import (
    Client,
    Comment,
    Commitment,
    Deal,
    DealEvent,
    DealStatus,
    Escalation,
    Import,
    ReviewRound,
    ReviewRule,
    Verdict,
)
from handoff.models import Role, User
from handoff.roles import SEES_EVERYTHING, is_manager, is_pm, is_sales


def deals_visible_to(user: User) -> QuerySet[Deal]:
    deals = Deal.objects.select_related("client", "owner")
    if is_manager(user):
        return deals
    if is_pm(user):
        return deals.filter(first_submitted_at__isnull=False)
    if is_sales(user):
        return deals.filter(owner=user)
    return deals.none()


def people_who_see(deal: Deal) -> QuerySet[User]:
    """The active users who may see the deal: deals_visible_to seen from the deal's side.

    Read from the deal's row, not the instance, which may predate its first submission.
    """
    row = Deal.objects.filter(pk=deal.pk)
    sees = (
        Q(role__in=SEES_EVERYTHING)
        | Q(role=Role.SALES) & Exists(row.filter(owner=OuterRef("pk")))
        | Q(role=Role.PM) & Exists(row.filter(first_submitted_at__isnull=False))
    )
    return User.objects.filter(sees, is_active=True)


def deal_list(*, user: User, filters: Mapping[str, Any] | None) -> QuerySet[Deal]:
    """The deal list, page and API alike: the user's visible deals through DealFilter."""
    return DealFilter(filters, deals_visible_to(user)).qs


def deal_get_for_user(user: User, pk: int | str) -> Deal:
    """The deal, or 404 when the user may not see it."""
    return get_object_or_404(deals_visible_to(user), pk=pk)


def deals_with_open_round(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Annotate each deal with its open round's due time and reviewer (None if none)."""
    open_round = ReviewRound.objects.filter(deal=OuterRef("pk"), decided_at__isnull=True)
    return deals.annotate(
        review_due_at=Subquery(open_round.values("due_at")[:1]),
        reviewer_id=Subquery(open_round.values("reviewer_id")[:1]),
    )


def commitment_count(deal_ref: str = "pk") -> Coalesce:
    """The number of commitments of the deal at `deal_ref`, counted for the rows shown only.

    A join with Count() would group every visible row before the page is cut.
    """
    counted = (
        Commitment.objects.filter(deal=OuterRef(deal_ref))
        .order_by()
        .values("deal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted[:1]), 0)


def review_rounds_waiting(user: User) -> QuerySet[ReviewRound]:
    """The open review rounds, each waiting for its PM's decision, the soonest due first.

    For PMs and managers (anyone else gets none), with each round's deal and commitment count,
    and `awaiting_you`: a review rule asks this user for an approval the round still lacks.
    """
    # A round is open exactly while its deal is in review (the workflow opens and decides it);
    # filtering on the deal's status too would make the planner join the whole queue to sort it.
    rounds = (
        ReviewRound.objects.filter(decided_at__isnull=True)
        .select_related("deal__client", "deal__owner", "reviewer")
        .annotate(
            commitment_count=commitment_count("deal_id"),
            awaiting_you=ExpressionWrapper(
                Q(pk__in=rounds_awaiting(user)), output_field=BooleanField()
            ),
        )
        .order_by("due_at", "id")
    )
    if not (is_pm(user) or is_manager(user)):
        return rounds.none()
    return rounds


def commitments_visible_to(user: User) -> QuerySet[Commitment]:
    return Commitment.objects.filter(deal__in=deals_visible_to(user).values("pk")).select_related(
        "deal"
    )


def commitment_get_for_user(user: User, pk: int | str) -> Commitment:
    return get_object_or_404(commitments_visible_to(user), pk=pk)


def verdicts_visible_to(user: User) -> QuerySet[Verdict]:
    return Verdict.objects.filter(
        round__deal__in=deals_visible_to(user).values("pk")
    ).select_related("round", "commitment", "decided_by")


def deal_rounds(deal: Deal) -> list[ReviewRound]:
    """Every round of a deal, newest first, with its verdicts and their escalations: two
    queries, the verdicts read with who ruled and who raised and decided each escalation.

    Read onto the deal, once: later `deal.rounds.all()` and `deal.commitments.all()` on this
    instance (the deal page's panels: the capacity check, the tentative load) cost nothing.
    """
    verdicts = Verdict.objects.select_related(
        "decided_by", "escalation__raised_by", "escalation__decided_by"
    )
    rounds = (
        ReviewRound.objects.select_related("reviewer", "submitted_by")
        .prefetch_related(Prefetch("verdicts", queryset=verdicts))
        .order_by("-number")
    )
    prefetch_related_objects([deal], Prefetch("rounds", queryset=rounds), "commitments")
    return list(deal.rounds.all())


def deal_events(deal: Deal) -> QuerySet[DealEvent]:
    return deal.events.select_related("actor").order_by("at", "id")


def deal_comments(deal: Deal) -> QuerySet[Comment]:
    return deal.comments.select_related("author").order_by("created_at", "id")


def escalations_visible_to(user: User) -> QuerySet[Escalation]:
    return Escalation.objects.filter(deal__in=deals_visible_to(user).values("pk")).select_related(
        "deal__client",
        "deal__owner",
        "raised_by",
        "decided_by",
        "verdict__commitment",
        "verdict__decided_by",
    )


def escalations_open() -> QuerySet[Escalation]:
    """Every undecided escalation, the oldest first: for managers' pages, so not scoped.

    Only managers decide escalations and they see every deal; a page for anyone else reads
    escalations_visible_to(user).
    """
    return (
        Escalation.objects.filter(decision="")
        .select_related(
            "deal__client", "deal__owner", "raised_by", "verdict__commitment", "verdict__decided_by"
        )
        .order_by("raised_at")
    )


def clients_visible_to(user: User) -> QuerySet[Client]:
    # Client names are shared reference data; what is private is the deals.
    if not user.is_authenticated:
        return Client.objects.none()
    return Client.objects.all()


def clients_recent_for(user: User, *, limit: int = 8) -> list[Client]:
    """The clients of the user's own deals, the most recently touched first."""
    if not user.is_authenticated:
        return []  # an anonymous user owns no deal, and cannot be filtered on as an owner
    return list(
        clients_visible_to(user)
        .filter(deals__owner=user)
        .annotate(last_used=Max("deals__updated_at"))
        .order_by("-last_used", "name", "id")[:limit]
    )


def clients_matching(user: User, query: str, *, limit: int = 20) -> list[Client]:
    """Clients whose name contains `query`, names that start with it first, then by name.

    `query` is the searched text as the deal form cleans it: stripped, cut, never empty.
    """
    starts_with = Case(
        When(name__istartswith=query, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return list(
        clients_visible_to(user)
        .filter(name__icontains=query)
        .annotate(starts_with=starts_with)
        .order_by("starts_with", "name", "id")[:limit]
    )


def deals_with_unanswered_flags(user: User) -> QuerySet[Deal]:
    """A rep's deals where changes are requested: flags to answer."""
    return deals_visible_to(user).filter(owner=user, status=DealStatus.CHANGES_REQUESTED)


def overdue_rounds() -> QuerySet[ReviewRound]:
    return ReviewRound.objects.filter(decided_at__isnull=True, due_at__lt=timezone.now())


# The review engine: each commitment's approvals in a deal's current round, and review rules


@dataclass(frozen=True)
class CommitmentApprovals:
    """One commitment's standing in a round: its verdict, requirements and their approvals."""

    commitment: Commitment
    verdict: Verdict | None
    requirements: list[RequirementState]
    # Not approved in this round yet, fresh or carried: someone still has to rule on it.
    needs_attention: bool
    # Whether the reader may rule on it now.
    can_rule: bool


@dataclass(frozen=True)
class DealApprovals:
    """The approvals of a deal's open round, or of its latest round when none is open."""

    deal: Deal
    round: ReviewRound | None
    commitments: list[CommitmentApprovals]

    @property
    def open(self) -> bool:
        return self.round is not None and self.round.is_open

    @property
    def missing(self) -> list[dict]:
        """What the sign-off still waits for, as its refusal names it (approvals_missing)."""
        if self.round is None:
            return []
        return missing_approvals(
            [row.commitment for row in self.commitments],
            {row.commitment.pk: row.requirements for row in self.commitments},
        )


def _approved(verdict: Verdict | None, commitment: Commitment, states) -> bool:
    return (
        verdict is not None
        and verdict.is_approval
        and verdict.commitment_version == commitment.version
        and all(state.met for state in states)
    )


def deal_approvals(deal: Deal, user: User) -> DealApprovals:
    """Per commitment of the deal: who must approve it in the current round and who has.

    A constant number of queries however many commitments: the round, the commitments, the
    verdicts, the requirements and their approvals (deals.approvals.round_requirements), and
    the reader's teams. A deal never submitted has no round and nothing to approve.
    """
    review_round = deal.rounds.select_related("reviewer").order_by("-number").first()
    if review_round is None:
        return DealApprovals(deal=deal, round=None, commitments=[])
    commitments = list(deal.commitments.order_by("id"))
    verdicts = {v.commitment_id: v for v in review_round.verdicts.select_related("decided_by")}
    states = round_requirements(review_round, commitments, verdicts)
    open_round = review_round if review_round.is_open else None
    rows = []
    for commitment in commitments:
        verdict = verdicts.get(commitment.pk)
        own = states.get(commitment.pk, [])
        rows.append(
            CommitmentApprovals(
                commitment=commitment,
                verdict=verdict,
                requirements=own,
                needs_attention=not _approved(verdict, commitment, own),
                can_rule=bool(rules.can_rule(user, deal, open_round, requirements=own)),
            )
        )
    return DealApprovals(deal=deal, round=review_round, commitments=rows)


def review_rules_visible_to(user: User, *, include_retired: bool = False) -> QuerySet[ReviewRule]:
    """Managers' review rules, the live ones unless `include_retired` (every version)."""
    if not is_manager(user):
        return ReviewRule.objects.none()
    found = ReviewRule.objects.select_related("team", "created_by", "retired_by")
    if not include_retired:
        found = found.filter(retired_at__isnull=True)
    return found.order_by("name", "key", "-version", "id")


def imports_visible_to(user: User) -> QuerySet[Import]:
    """Imports of deals: one's own; a manager's, everyone's."""
    imports = Import.objects.select_related("created_by")
    if is_manager(user):
        return imports
    if user and user.is_authenticated:
        return imports.filter(created_by=user)
    return imports.none()
