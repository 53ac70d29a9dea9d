"""Who may add clients and create, edit, delete and comment on deals."""

from deals.models import (
    EDITABLE_STATUSES,
    REVISED_BY_EDITING,
    Deal,
    DealStatus,
)
from deals.rules._base import (
    YES,
    Answer,
    _how_to_edit,
    _no,
    _owner_only,
    _seen,
)
from handoff.errors import ActionForbidden, TransitionNotAllowed
from handoff.models import Role, User
from handoff.roles import has_role


def can_create_clients(user: User) -> Answer:
    if not has_role(user, Role.SALES, Role.MANAGER, Role.ADMIN):
        return _no(ActionForbidden, "Only sales reps and managers add clients.")
    return YES


def can_create_deals(user: User) -> Answer:
    if not has_role(user, Role.SALES, Role.MANAGER, Role.ADMIN):
        return _no(ActionForbidden, "Only sales reps and managers create deals.")
    return YES


def can_edit(user: User, deal: Deal, *, seen_version: int | None = None) -> Answer:
    """Only the owner edits a deal, in draft or with changes requested (which revises it first),
    and only the version they saw."""
    if not (answer := _owner_only(user, deal, "edit it")):
        return answer
    if deal.status not in EDITABLE_STATUSES | REVISED_BY_EDITING:
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
    if deal.status not in EDITABLE_STATUSES | REVISED_BY_EDITING:
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


def can_import(user: User, owner: User | None = None) -> Answer:
    """Deals come in from a CRM or a file for sales reps (their own) and managers (anyone's)."""
    if not has_role(user, Role.SALES, Role.MANAGER, Role.ADMIN):
        return _no(ActionForbidden, "Only sales reps and managers bring deals in.")
    if owner is not None and owner.pk != user.pk and not has_role(user, Role.MANAGER, Role.ADMIN):
        return _no(ActionForbidden, "A sales rep brings in only their own deals.")
    return YES


def can_own_deals(user: User) -> bool:
    """Whom a deal brought in from outside may belong to: an active sales rep or manager."""
    return bool(user.is_active and user.role in (Role.SALES, Role.MANAGER))


def can_manage_templates(user: User) -> Answer:
    if not has_role(user, Role.MANAGER, Role.ADMIN):
        return _no(ActionForbidden, "Only managers define deal templates.")
    return YES
