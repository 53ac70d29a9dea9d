"""One predicate per action on deals: who may do what, in which status, now.

Each `can_<action>` answers with an `Answer`: true when allowed, false carrying the refusal
(an ActionForbidden, TransitionNotAllowed or other DomainError with its message and code).
The services raise that refusal (`rules.can_submit(actor, deal).enforce()`); the pages show
an action's button when its answer is true (`available_actions`). So each rule is written
once, here, and page and service cannot drift apart.
"""

from collections.abc import Collection, Mapping

from django.core.exceptions import ValidationError

from deals.models import (
    EDITABLE_STATUSES,
    TRANSITIONS,
    Deal,
    DealStatus,
    Escalation,
    EscalationDecision,
    ReviewRound,
    Verdict,
    VerdictKind,
)
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import Role, User
from handoff.roles import has_role, is_manager, is_pm

ACTION_LABELS = {
    "submit": "submit",
    "request_changes": "request changes on",
    "sign_off": "sign off",
    "revise": "revise",
    "win": "mark as won",
    "lose": "mark as lost",
}


class Answer:
    """Whether an action is allowed: truthy if so, else falsy with the error that says why."""

    __slots__ = ("refusal",)

    def __init__(self, refusal: DomainError | ValidationError | None = None) -> None:
        self.refusal = refusal

    def __bool__(self) -> bool:
        return self.refusal is None

    def __repr__(self) -> str:
        return "Answer(yes)" if self else f"Answer(no: {self.refusal!r})"

    def enforce(self) -> None:
        """Raise the refusal, if any: how a service says no."""
        if self.refusal is not None:
            raise self.refusal


YES = Answer()


def _no(error: type[DomainError], message: str, code: str | None = None) -> Answer:
    return Answer(error(message, code=code))


def _owner_only(user: User, deal: Deal, what: str) -> Answer:
    if deal.owner_id != user.pk:
        return _no(ActionForbidden, f"Only the deal's owner can {what}.")
    return YES


def _owner_or_manager(user: User, deal: Deal, what: str) -> Answer:
    if deal.owner_id != user.pk and not is_manager(user):
        return _no(ActionForbidden, f"Only the deal's owner or a manager can {what}.")
    return YES


def transition_allowed(deal: Deal, action: str) -> Answer:
    if deal.status not in TRANSITIONS[action][0]:
        return _no(
            TransitionNotAllowed,
            f"You cannot {ACTION_LABELS[action]} a deal that is "
            f"{deal.get_status_display().lower()}.",
            f"{action}_not_allowed",
        )
    return YES


def _seen(deal: Deal, seen_version: int | None) -> Answer:
    if seen_version is not None and seen_version != deal.version:
        return _no(
            ConcurrentChange,
            "Someone else changed this deal while you were working on it. "
            "Reload to see their change, then try again.",
        )
    return YES


def _how_to_edit(deal: Deal) -> str:
    if deal.status in TRANSITIONS["revise"][0]:
        return " — revise it first."
    if deal.status == DealStatus.IN_REVIEW:
        return " while it is in review; once the review is decided, revise it first."
    return "."


def _first_no(*answers: Answer) -> Answer:
    """The first refusal among `answers`, or yes."""
    return next((a for a in answers if not a), YES)


# Clients and deals


def can_create_clients(user: User) -> Answer:
    if not has_role(user, Role.SALES, Role.MANAGER, Role.ADMIN):
        return _no(ActionForbidden, "Only sales reps and managers add clients.")
    return YES


def can_create_deals(user: User) -> Answer:
    if not has_role(user, Role.SALES, Role.MANAGER, Role.ADMIN):
        return _no(ActionForbidden, "Only sales reps and managers create deals.")
    return YES


def can_edit(user: User, deal: Deal, *, seen_version: int | None = None) -> Answer:
    """Only the owner edits a deal, only in draft, and only the version they saw."""
    if not (answer := _owner_only(user, deal, "edit it")):
        return answer
    if deal.status not in EDITABLE_STATUSES:
        return _no(
            TransitionNotAllowed,
            f"A deal that is {deal.get_status_display().lower()} cannot be edited"
            + _how_to_edit(deal),
            "deal_not_editable",
        )
    return _seen(deal, seen_version)


def can_change_commitments(user: User, deal: Deal) -> Answer:
    if not (answer := _owner_only(user, deal, "change its commitments")):
        return answer
    if deal.status not in EDITABLE_STATUSES:
        return _no(
            TransitionNotAllowed,
            f"Commitments of a deal that is {deal.get_status_display().lower()} are read-only"
            + _how_to_edit(deal),
            "commitments_read_only",
        )
    return YES


def can_delete(user: User, deal: Deal) -> Answer:
    if not (answer := _owner_only(user, deal, "delete it")):
        return answer
    if deal.status != DealStatus.DRAFT or deal.first_submitted_at is not None:
        return _no(
            TransitionNotAllowed,
            "Only a draft that was never submitted can be deleted; mark it as lost instead.",
            "delete_not_allowed",
        )
    return YES


def can_comment(user: User, deal: Deal) -> Answer:
    """Whoever sees the deal (the selectors decide that) may comment on it."""
    if not (user and user.is_authenticated):
        return _no(ActionForbidden, "Log in to comment.")
    return YES


# The review


def can_submit(user: User, deal: Deal, *, commitment_count: int | None = None) -> Answer:
    """The owner submits a draft or a deal with changes requested, once it has commitments."""
    owner = _owner_only(user, deal, "submit it")
    if not (answer := _first_no(owner, transition_allowed(deal, "submit"))):
        return answer
    if commitment_count == 0:
        return _no(
            DomainError,
            "Add at least one commitment before submitting for review.",
            "no_commitments",
        )
    return YES


def _open(review_round: ReviewRound | None) -> Answer:
    if review_round is None:
        return _no(TransitionNotAllowed, "This deal has no open review round.", "no_open_round")
    return YES


def _in_review(deal: Deal, message: str, code: str) -> Answer:
    if deal.status != DealStatus.IN_REVIEW:
        return _no(TransitionNotAllowed, message, code)
    return YES


def can_claim(user: User, deal: Deal, open_round: ReviewRound | None) -> Answer:
    """A PM claims an open review nobody has claimed yet."""
    if not is_pm(user):
        return _no(ActionForbidden, "Only a project manager can claim a review.")
    in_review = _in_review(deal, "Only a deal in review can be claimed.", "claim_not_allowed")
    if not (answer := _first_no(in_review, _open(open_round))):
        return answer
    if open_round.reviewer_id is not None:
        return _no(
            ConcurrentChange,
            f"{open_round.reviewer} already claimed this review.",
            "already_claimed",
        )
    return YES


def can_assign(
    user: User, deal: Deal, open_round: ReviewRound | None, *, reviewer: User | None = None
) -> Answer:
    """A manager gives an open review to an active PM (`reviewer`, once chosen)."""
    if not is_manager(user):
        return _no(ActionForbidden, "Only a manager can assign reviews.")
    if reviewer is not None and not (is_pm(reviewer) and reviewer.is_active):
        return Answer(ValidationError({"reviewer": "Choose an active project manager."}))
    in_review = _in_review(deal, "Only a deal in review can be assigned.", "assign_not_allowed")
    return _first_no(in_review, _open(open_round))


def can_rule(user: User, deal: Deal, open_round: ReviewRound | None) -> Answer:
    """A PM rules on the commitments of an open review that is theirs or nobody's yet."""
    if not is_pm(user):
        return _no(ActionForbidden, "Only a project manager can rule on commitments.")
    in_review = _in_review(
        deal, "Commitments can be ruled on only while the deal is in review.", "rule_not_allowed"
    )
    if not (answer := _first_no(in_review, _open(open_round))):
        return answer
    if open_round.reviewer_id not in (None, user.pk):
        return _no(ActionForbidden, f"This review is claimed by {open_round.reviewer}.")
    return YES


def _reviewer(user: User, open_round: ReviewRound) -> Answer:
    if not is_pm(user):
        return _no(ActionForbidden, "Only a project manager can review commitments.")
    if open_round.reviewer_id is None:
        return _no(
            TransitionNotAllowed, "Claim this review before deciding it.", "review_not_claimed"
        )
    if open_round.reviewer_id != user.pk:
        return _no(ActionForbidden, f"This review is claimed by {open_round.reviewer}.")
    return YES


def _decision(
    action: str,
    user: User,
    deal: Deal,
    open_round: ReviewRound | None,
    commitment_ids: Collection[int] | None,
    verdicts: Mapping[int, Verdict] | None,
) -> Answer:
    """Whether the reviewing PM may decide the review now: status, round, who, verdicts."""
    if not (answer := _first_no(transition_allowed(deal, action), _open(open_round))):
        return answer
    if not (answer := _reviewer(user, open_round)):
        return answer
    if commitment_ids is None or verdicts is None:
        return YES
    missing = [pk for pk in commitment_ids if pk not in verdicts]
    if missing:
        return _no(
            DomainError,
            f"Rule on every commitment first: {len(missing)} still without a verdict.",
            "commitments_not_ruled",
        )
    return YES


def _any_flag(verdicts: Mapping[int, Verdict] | None) -> bool | None:
    """Whether a verdict is a flag; None when the verdicts were not given."""
    if verdicts is None:
        return None
    return any(v.verdict == VerdictKind.FLAGGED for v in verdicts.values())


def can_request_changes(
    user: User,
    deal: Deal,
    open_round: ReviewRound | None,
    *,
    commitment_ids: Collection[int] | None = None,
    verdicts: Mapping[int, Verdict] | None = None,
) -> Answer:
    """The reviewing PM sends a deal back, once every commitment is ruled and one is flagged.

    Without `commitment_ids` and `verdicts` it asks who and when only, not the verdicts.
    """
    if not (
        answer := _decision("request_changes", user, deal, open_round, commitment_ids, verdicts)
    ):
        return answer
    if commitment_ids is not None and _any_flag(verdicts) is False:
        return _no(DomainError, "Nothing is flagged: sign the deal off instead.", "nothing_flagged")
    return YES


def can_sign_off(
    user: User,
    deal: Deal,
    open_round: ReviewRound | None,
    *,
    commitment_ids: Collection[int] | None = None,
    verdicts: Mapping[int, Verdict] | None = None,
) -> Answer:
    """The reviewing PM signs a deal off, once every commitment is ruled and none is flagged."""
    if not (answer := _decision("sign_off", user, deal, open_round, commitment_ids, verdicts)):
        return answer
    if commitment_ids is not None and _any_flag(verdicts):
        return _no(
            DomainError,
            "A flagged commitment cannot be signed off: request changes instead.",
            "flagged_commitments",
        )
    return YES


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


# What a page offers


def available_actions(
    user: User,
    deal: Deal,
    open_round: ReviewRound | None,
    *,
    commitment_ids: Collection[int] | None = None,
    verdicts: Mapping[int, Verdict] | None = None,
) -> frozenset[str]:
    """The actions whose predicate above says yes to `user` on `deal` now: the page's buttons.

    With the deal's `commitment_ids` and the open round's `verdicts` it also leaves out the
    actions whose preconditions are not met yet (submit without commitments, sign off with a
    flag).
    """
    if not (user and user.is_authenticated):
        return frozenset()
    count = None if commitment_ids is None else len(commitment_ids)
    review = {"commitment_ids": commitment_ids, "verdicts": verdicts}
    answers = {
        "comment": lambda: can_comment(user, deal),
        "edit": lambda: can_edit(user, deal),
        "submit": lambda: can_submit(user, deal, commitment_count=count),
        # Revising a draft changes nothing, so a draft offers no Revise button.
        "revise": lambda: deal.status != DealStatus.DRAFT and can_revise(user, deal),
        "escalate": lambda: can_escalate(user, deal),
        "win": lambda: can_win(user, deal),
        "lose": lambda: can_lose(user, deal),
        "assign": lambda: can_assign(user, deal, open_round),
        "claim": lambda: can_claim(user, deal, open_round),
        "rule": lambda: can_rule(user, deal, open_round),
        "request_changes": lambda: can_request_changes(user, deal, open_round, **review),
        "sign_off": lambda: can_sign_off(user, deal, open_round, **review),
    }
    return frozenset(name for name, answer in answers.items() if answer())
