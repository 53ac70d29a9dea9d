"""Which actions a page offers a user now. Mirrors deals.services, which stay the authority."""

from collections.abc import Mapping

from deals.models import TRANSITIONS, Deal, DealStatus, ReviewRound, Verdict, VerdictKind
from handoff.models import Role
from handoff.roles import has_role, is_manager, is_pm


def available_actions(
    deal: Deal,
    user,
    open_round: ReviewRound | None,
    *,
    commitment_count: int | None = None,
    verdicts: Mapping[int, Verdict] | None = None,
) -> frozenset[str]:
    """The actions `user` may take on `deal` now.

    With `commitment_count` and the open round's `verdicts` it also hides the actions
    whose preconditions are not met yet (submit without commitments, sign off with a flag).
    """
    if not (user and user.is_authenticated):
        return frozenset()
    status = deal.status
    owner = deal.owner_id == user.pk
    actions: set[str] = {"comment"}

    if owner:
        if status == DealStatus.DRAFT:
            actions.add("edit")
        if status in TRANSITIONS["submit"][0] and commitment_count != 0:
            actions.add("submit")
        if status in TRANSITIONS["revise"][0] and status != DealStatus.DRAFT:
            actions.add("revise")
        if status == DealStatus.CHANGES_REQUESTED:
            actions.add("escalate")
    if owner or is_manager(user):
        if status in TRANSITIONS["win"][0]:
            actions.add("win")
        if status in TRANSITIONS["lose"][0]:
            actions.add("lose")

    if status == DealStatus.IN_REVIEW and open_round is not None:
        if is_manager(user):
            actions.add("assign")
        if is_pm(user):
            if open_round.reviewer_id is None:
                actions.update({"claim", "rule"})
            elif open_round.reviewer_id == user.pk:
                actions.add("rule")
                actions.update(_decisions(commitment_count, verdicts))
    return frozenset(actions)


def _decisions(commitment_count: int | None, verdicts: Mapping[int, Verdict] | None) -> set[str]:
    if verdicts is None or commitment_count is None:
        return {"request_changes", "sign_off"}
    if len(verdicts) < commitment_count:
        return set()
    flagged = any(v.verdict == VerdictKind.FLAGGED for v in verdicts.values())
    return {"request_changes"} if flagged else {"sign_off"}


def can_create_deals(user) -> bool:
    return has_role(user, Role.SALES, Role.MANAGER, Role.ADMIN)
