"""The answer a rule gives, and the checks every rule of deals shares."""

from django.core.exceptions import ValidationError

from deals.models import (
    TRANSITIONS,
    Deal,
    DealStatus,
)
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import User
from handoff.roles import is_manager

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
