"""One predicate per action on deals: who may do what, in which status, now.

Each `can_<action>` answers with an `Answer`: true when allowed, false carrying the refusal
(an ActionForbidden, TransitionNotAllowed or other DomainError with its message and code).
The services raise that refusal (`rules.can_submit(actor, deal).enforce()`); the pages show
an action's button when its answer is true (`available_actions`). So each rule is written
once, here, and page and service cannot drift apart.
"""

from collections.abc import Collection, Mapping, Sequence

from deals.models import Deal, DealStatus, ReviewRound, Verdict
from deals.rules._base import YES, Answer, transition_allowed
from deals.rules.closing import (
    can_decide,
    can_escalate,
    can_lose,
    can_pick_project_manager,
    can_revise,
    can_win,
)
from deals.rules.deals import (
    can_change_commitments,
    can_comment,
    can_create_clients,
    can_create_deals,
    can_delete,
    can_edit,
    can_import,
    can_manage_templates,
    can_own_deals,
)
from deals.rules.review import (
    can_accept_counter,
    can_assign,
    can_claim,
    can_manage_review_rules,
    can_release,
    can_request_changes,
    can_rule,
    can_sign_off,
    can_submit,
)
from handoff.models import User

__all__ = [
    "YES",
    "Answer",
    "available_actions",
    "can_accept_counter",
    "can_assign",
    "can_change_commitments",
    "can_claim",
    "can_comment",
    "can_create_clients",
    "can_create_deals",
    "can_decide",
    "can_delete",
    "can_edit",
    "can_escalate",
    "can_import",
    "can_lose",
    "can_manage_review_rules",
    "can_manage_templates",
    "can_own_deals",
    "can_pick_project_manager",
    "can_release",
    "can_request_changes",
    "can_revise",
    "can_rule",
    "can_sign_off",
    "can_submit",
    "can_win",
    "transition_allowed",
]


# What a page offers


def available_actions(
    user: User,
    deal: Deal,
    open_round: ReviewRound | None,
    *,
    commitment_ids: Collection[int] | None = None,
    verdicts: Mapping[int, Verdict] | None = None,
    missing: Sequence[dict] | None = None,
) -> frozenset[str]:
    """The actions whose predicate above says yes to `user` on `deal` now: the page's buttons.

    With the deal's `commitment_ids` and the open round's `verdicts` it also leaves out the
    actions whose preconditions are not met yet (submit without commitments, sign off with a
    flag or, given the round's `missing` approvals, with one missing).
    """
    if not (user and user.is_authenticated):
        return frozenset()
    count = None if commitment_ids is None else len(commitment_ids)
    review = {"commitment_ids": commitment_ids, "verdicts": verdicts}
    answers = {
        "comment": lambda: can_comment(user, deal),
        "edit": lambda: can_edit(user, deal),
        "submit": lambda: can_submit(user, deal, commitment_count=count),
        # Editing revises a deal whose changes were requested, so only a signed-off deal
        # offers an explicit Revise (it voids the sign-off).
        "revise": lambda: deal.status == DealStatus.SIGNED_OFF and can_revise(user, deal),
        "escalate": lambda: can_escalate(user, deal),
        "win": lambda: can_win(user, deal),
        "lose": lambda: can_lose(user, deal),
        "assign": lambda: can_assign(user, deal, open_round),
        "claim": lambda: can_claim(user, deal, open_round),
        "release": lambda: can_release(user, deal, open_round),
        "rule": lambda: can_rule(user, deal, open_round),
        "request_changes": lambda: can_request_changes(user, deal, open_round, **review),
        "sign_off": lambda: can_sign_off(user, deal, open_round, **review, missing=missing),
    }
    return frozenset(name for name, answer in answers.items() if answer())
