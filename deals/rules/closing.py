"""Who may escalate a flag and decide it, and revise, win or lose a deal."""

from deals.models import (
    Deal,
    DealStatus,
    Escalation,
    EscalationDecision,
    ReviewRound,
    Verdict,
    VerdictKind,
)
from deals.rules._base import (
    YES,
    Answer,
    _first_no,
    _no,
    _owner_only,
    _owner_or_manager,
    _seen,
    transition_allowed,
)
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import User
from handoff.roles import is_manager

# Escalations


def can_escalate(
    user: User,
    deal: Deal,
    flag: Verdict | None = None,
    *,
    latest_round: ReviewRound | None = None,
    escalated: bool = False,
) -> Answer:
    """The owner escalates a flag of the latest review while changes are requested, once.

    Without `flag` it answers whether the owner may escalate the deal's flags now.
    """
    if not (answer := _owner_only(user, deal, "escalate its flags")):
        return answer
    if deal.status != DealStatus.CHANGES_REQUESTED:
        return _no(
            TransitionNotAllowed,
            "Flags can be escalated only while changes are requested.",
            "escalate_not_allowed",
        )
    if flag is None:
        return YES
    latest_pk = latest_round.pk if latest_round is not None else None
    if flag.verdict != VerdictKind.FLAGGED or flag.round_id != latest_pk:
        return _no(DomainError, "Only a flag of the latest review can be escalated.", "not_a_flag")
    if escalated:
        return _no(DomainError, "This flag is already escalated.", "already_escalated")
    return YES


def can_decide(user: User, escalation: Escalation, deal: Deal) -> Answer:
    """A manager decides an escalation still open while its deal waits for changes."""
    if not is_manager(user):
        return _no(ActionForbidden, "Only a manager decides escalations.")
    if escalation.decision == EscalationDecision.CLOSED or (
        escalation.is_open and deal.status != DealStatus.CHANGES_REQUESTED
    ):
        return _no(
            TransitionNotAllowed,
            "The deal has moved on since this escalation was raised; there is nothing to decide.",
            "escalation_stale",
        )
    if not escalation.is_open:
        return _no(ConcurrentChange, "This escalation was already decided.", "already_decided")
    return YES


# Closing


def can_revise(user: User, deal: Deal, *, seen_version: int | None = None) -> Answer:
    """The owner takes a deal back to draft (revising a draft changes nothing).

    The version comes before the status: a sign-off that landed while the rep looked at the
    deal is a conflict to look at.
    """
    owner = _owner_only(user, deal, "revise it")
    return _first_no(owner, _seen(deal, seen_version), transition_allowed(deal, "revise"))


def can_win(user: User, deal: Deal) -> Answer:
    owner = _owner_or_manager(user, deal, "mark it as won")
    return _first_no(owner, transition_allowed(deal, "win"))


def can_pick_project_manager(user: User) -> Answer:
    """Winning a deal for another project manager than the default is a manager's call."""
    if not is_manager(user):
        return _no(ActionForbidden, "Only a manager picks another project manager.")
    return YES


def can_lose(user: User, deal: Deal) -> Answer:
    owner = _owner_or_manager(user, deal, "mark it as lost")
    return _first_no(owner, transition_allowed(deal, "lose"))
