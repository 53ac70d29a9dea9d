"""Who may submit, claim, assign, rule on, send back and sign off a review, and when."""

from collections.abc import Collection, Mapping, Sequence

from django.core.exceptions import ValidationError

from deals.approvals import RequirementState, satisfies
from deals.models import (
    ApproverKind,
    Deal,
    DealStatus,
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
    transition_allowed,
)
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import User
from handoff.roles import is_manager, is_pm

LEAD_REVIEWER_LABEL = "Approval by the lead reviewer"


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
    """A manager, or the lead reviewer handing it on, gives an open review to an active PM."""
    lead = open_round is not None and open_round.reviewer_id == user.pk and is_pm(user)
    if not (is_manager(user) or lead):
        return _no(ActionForbidden, "Only a manager or the lead reviewer can assign this review.")
    if reviewer is not None and not (is_pm(reviewer) and reviewer.is_active):
        return Answer(ValidationError({"reviewer": "Choose an active project manager."}))
    if reviewer is not None and lead and reviewer.pk == user.pk:
        return Answer(ValidationError({"reviewer": "Choose another project manager."}))
    in_review = _in_review(deal, "Only a deal in review can be assigned.", "assign_not_allowed")
    return _first_no(in_review, _open(open_round))


def can_release(user: User, deal: Deal, open_round: ReviewRound | None) -> Answer:
    """The lead reviewer gives up their claim, so another PM can take the review."""
    in_review = _in_review(deal, "Only a deal in review can be released.", "release_not_allowed")
    if not (answer := _first_no(in_review, _open(open_round))):
        return answer
    if open_round.reviewer_id != user.pk:
        return _no(ActionForbidden, "Only the lead reviewer can release this review.")
    return YES


def can_rule(
    user: User,
    deal: Deal,
    open_round: ReviewRound | None,
    *,
    requirements: Sequence[RequirementState] | None = None,
) -> Answer:
    """Who may rule on a commitment of an open review.

    Without `requirements`: a PM on a review that is theirs or nobody's yet. With one
    commitment's `requirements`: whoever can meet one of them (a PM of the team a rule names,
    a manager where a rule asks for one, the lead reviewer for the default).
    """
    in_review = _in_review(
        deal, "Commitments can be ruled on only while the deal is in review.", "rule_not_allowed"
    )
    if requirements is not None:
        if not (answer := _first_no(in_review, _open(open_round))):
            return answer
        if any(satisfies(user, state.requirement, open_round) for state in requirements):
            return YES
        if not is_pm(user) and all(
            state.requirement.approver == ApproverKind.REVIEWER for state in requirements
        ):
            return _no(ActionForbidden, "Only a project manager can rule on commitments.")
        if (
            open_round.reviewer_id not in (None, user.pk)
            and is_pm(user)
            and any(state.requirement.approver == ApproverKind.REVIEWER for state in requirements)
        ):
            return _no(ActionForbidden, f"This review is claimed by {open_round.reviewer}.")
        needs = "; ".join(state.label.lower() for state in requirements)
        return _no(ActionForbidden, f"You cannot rule on this commitment: it needs {needs}.")
    if not is_pm(user):
        return _no(ActionForbidden, "Only a project manager can rule on commitments.")
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
    missing: Sequence[dict] | None = None,
) -> Answer:
    """The lead reviewer signs a deal off, once every commitment is ruled, none is flagged and
    every approval its round requires (`missing`, from deals.approvals) is given."""
    if not (answer := _decision("sign_off", user, deal, open_round, None, None)):
        return answer
    if commitment_ids is not None and _any_flag(verdicts):
        return _no(
            DomainError,
            "A flagged commitment cannot be signed off: request changes instead.",
            "flagged_commitments",
        )
    # Approvals others must give come first: the lead reviewer cannot give them.
    if missing and any(r != LEAD_REVIEWER_LABEL for item in missing for r in item["requirements"]):
        return _approvals_missing(missing)
    if not (answer := _decision("sign_off", user, deal, open_round, commitment_ids, verdicts)):
        return answer
    if missing:
        return _approvals_missing(missing)
    return YES


def _approvals_missing(missing: Sequence[dict]) -> Answer:
    named = "; ".join(
        f"'{item['summary']}' needs {', '.join(r.lower() for r in item['requirements'])}"
        for item in missing
    )
    return Answer(
        DomainError(
            f"Approvals are missing: {named}.",
            code="approvals_missing",
            extra={"missing": list(missing)},
        )
    )


def can_accept_counter(
    user: User, deal: Deal, flag: Verdict, *, latest_round: ReviewRound | None
) -> Answer:
    """The owner accepts a counter-proposal of the latest review's flag, once, as proposed."""
    if not (answer := _owner_only(user, deal, "accept a counter-proposal")):
        return answer
    if deal.status not in (DealStatus.CHANGES_REQUESTED, DealStatus.DRAFT):
        return _no(
            TransitionNotAllowed,
            "A counter-proposal can be accepted only while changes are requested.",
            "accept_counter_not_allowed",
        )
    latest_pk = latest_round.pk if latest_round is not None else None
    if not flag.has_counter or flag.round_id != latest_pk:
        return _no(
            DomainError,
            "Only a counter-proposal of the latest review can be accepted.",
            "no_counter_proposal",
        )
    if flag.counter_accepted_version is not None:
        return _no(
            ConcurrentChange, "This counter-proposal was already accepted.", "already_accepted"
        )
    if flag.commitment.version != flag.commitment_version:
        return _no(
            ConcurrentChange,
            "The commitment changed since the counter-proposal; edit it instead.",
            "commitment_changed",
        )
    return YES


def can_manage_review_rules(user: User) -> Answer:
    if not is_manager(user):
        return _no(ActionForbidden, "Only a manager manages review rules.")
    return YES
