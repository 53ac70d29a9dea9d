"""Change control after the win: raising, approving and rejecting a change to one promise.

The project's PM or the deal's rep raises it; it is decided like a review of that one promise.
The other side's owner must approve (the rep for a change delivery asks for, the project's PM
for one sales asks for), and so must whoever the live review rules require of the promise as
it would become (deals.approvals.requirements_for: a team's PM or a manager, one or two). No
one decides their own request. Any decider may reject it, with a reason. Once every
requirement is met the change applies: the deliverable keeps its sold date and effort and
gains the renegotiated ones, or is descoped by agreement.
"""

import copy
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals.approvals import live_rules, requirements_for, team_ids
from deals.models import MAX_EFFORT_DAYS, ApproverKind
from handoff.errors import ActionForbidden, DomainError, TransitionNotAllowed
from handoff.models import Role, Team, User
from handoff.roles import is_manager, is_pm
from handoff.templatetags.formats import day as day_text
from handoff.validators import validate_field_values
from projects.change_reads import requirement_states
from projects.models import (
    ChangeApproval,
    ChangeRequest,
    ChangeRequestStatus,
    ChangeSide,
    Deliverable,
    DeliverableStatus,
    Project,
    ProjectEventKind,
    ProjectStatus,
)
from projects.services import _lock, _record, _require_open, _touch

MAX_REASON = 2000
OWNER = "owner"


def change_side(project: Project, user: User) -> str | None:
    """Which side `user` speaks for on this project: its PM for delivery, its rep for sales."""
    if user.pk == project.pm_id:
        return ChangeSide.DELIVERY
    if user.pk == project.deal.owner_id:
        return ChangeSide.SALES
    return None


def can_raise_change(project: Project, deliverable: Deliverable, user: User) -> bool:
    return (
        change_side(project, user) is not None
        and project.status != ProjectStatus.COMPLETED
        and deliverable.is_open
    )


# Requirements


def _rule_requirement(rule) -> dict[str, Any]:
    who = "a manager" if rule.approver == ApproverKind.MANAGER else "a project manager"
    if rule.team_id:
        who = f"a project manager of {rule.team.name}"
    if rule.approvals_required > 1:
        who = who.replace("a ", "two ", 1).replace("manager", "managers", 1)
    return {
        "key": f"rule-{rule.pk}",
        "label": f"{rule.name}: {who}",
        "approver": rule.approver,
        "team": rule.team_id,
        "required": rule.approvals_required,
    }


def change_requirements(
    project: Project,
    deliverable: Deliverable,
    *,
    side: str,
    proposed_date: date | None,
    proposed_effort_days: Decimal | None,
    today: date,
) -> list[dict[str, Any]]:
    """The other side's owner, then each live review rule the changed promise matches."""
    other = project.deal.owner if side == ChangeSide.DELIVERY else project.pm
    role = "the sales rep" if side == ChangeSide.DELIVERY else "the project manager"
    requirements = [
        {
            "key": OWNER,
            "label": f"{other.display_name}, {role}",
            "approver": "user",
            "user": other.pk,
            "required": 1,
        }
    ]
    # The promise as it would become, as the rules read a commitment when a round opens.
    promise = copy.copy(deliverable.commitment)
    promise.kind = deliverable.kind
    promise.promised_date = proposed_date or deliverable.due_date
    promise.effort_days = (
        proposed_effort_days if proposed_effort_days is not None else deliverable.planned_days
    )
    matched = requirements_for(project.deal, [promise], live_rules(), today)[promise.pk]
    requirements += [_rule_requirement(rule) for rule in matched if rule is not None]
    return requirements


def may_meet(user: User, requirement: dict[str, Any]) -> bool:
    """Whether `user` is someone whose approval counts for `requirement`."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if requirement["approver"] == "user":
        return user.pk == requirement["user"]
    if requirement["approver"] == ApproverKind.MANAGER:
        return is_manager(user)
    if not is_pm(user):
        return False
    return requirement.get("team") is None or requirement["team"] in team_ids(user)


def pending_for(change: ChangeRequest, user: User) -> list[str]:
    """The keys of the unmet requirements `user` could meet now; none on one's own request."""
    if not change.is_open or user.pk == change.raised_by_id:
        return []
    approvals = list(change.approvals.all())
    if any(a.approver_id == user.pk for a in approvals):
        return []
    return [
        state["key"]
        for state in requirement_states(change, approvals)
        if not state["met"] and may_meet(user, state)
    ]


def can_decide(change: ChangeRequest, user: User) -> bool:
    return bool(pending_for(change, user))


def deciders(change: ChangeRequest) -> list[User]:
    """Everyone who could meet one of the change's requirements: who hears it was raised."""
    ids: set[int] = set()
    for requirement in change.requirements:
        if requirement["approver"] == "user":
            ids.add(requirement["user"])
        elif requirement["approver"] == ApproverKind.MANAGER:
            ids.update(
                User.objects.filter(role__in=(Role.MANAGER,), is_active=True).values_list(
                    "pk", flat=True
                )
            )
        else:
            people = User.objects.filter(role=Role.PM, is_active=True)
            if requirement.get("team"):
                people = people.filter(
                    pk__in=Team.members.through.objects.filter(team_id=requirement["team"]).values(
                        "user_id"
                    )
                )
            ids.update(people.values_list("pk", flat=True))
    ids.discard(change.raised_by_id)
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


# Raising


def _effort(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        effort = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"proposed_effort_days": "Enter a number of person-days."}) from None
    if not effort.is_finite() or effort < 0 or effort > MAX_EFFORT_DAYS:
        raise ValidationError(
            {"proposed_effort_days": f"Enter between 0 and {MAX_EFFORT_DAYS:,} person-days."}
        )
    if effort != effort.quantize(Decimal("0.1")):
        raise ValidationError({"proposed_effort_days": "Use at most one decimal place."})
    return effort


def _lock_deliverable(deliverable: Deliverable) -> Deliverable:
    return (
        Deliverable.objects.select_for_update().select_related("commitment").get(pk=deliverable.pk)
    )


@transaction.atomic
def change_request_raise(
    *,
    deliverable: Deliverable,
    actor: User,
    reason: str,
    proposed_date: date | None = None,
    proposed_effort_days: Any = None,
    descope: bool = False,
) -> ChangeRequest:
    project = _lock(deliverable.project_id)
    side = change_side(project, actor)
    if side is None:
        raise ActionForbidden(
            "Only the project's manager or the deal's sales rep can ask to change a promise."
        )
    _require_open(project)
    deliverable = _lock_deliverable(deliverable)
    if not deliverable.is_open:
        raise TransitionNotAllowed(
            f"“{deliverable.summary}” is {deliverable.get_status_display().lower()}: "
            "its promise can no longer change.",
            code="deliverable_resolved",
        )
    if deliverable.change_requests.filter(status=ChangeRequestStatus.OPEN).exists():
        raise DomainError(
            f"A change to “{deliverable.summary}” is waiting for a decision already.",
            code="change_open",
        )
    today = timezone.localdate()
    effort = _effort(proposed_effort_days)
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if descope and (proposed_date is not None or effort is not None):
        errors["descope"] = "Descoping withdraws the promise: leave the date and effort empty."
    if not descope and proposed_date is None and effort is None:
        errors["proposed_date"] = "Give a new date, a new effort, or ask to descope."
    if proposed_date is not None:
        if proposed_date < today:
            errors["proposed_date"] = "The new date cannot be in the past."
        elif proposed_date == deliverable.due_date:
            errors["proposed_date"] = f"It is due on {day_text(proposed_date)} already."
    if effort is not None and effort == deliverable.planned_days:
        errors["proposed_effort_days"] = "That is the effort planned already."
    if not reason:
        errors["reason"] = "Say why the promise should change."
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Keep the reason under {MAX_REASON:,} characters."
    if errors:
        raise ValidationError(errors)
    validate_field_values(ChangeRequest, {"reason": reason, "proposed_date": proposed_date})
    change = ChangeRequest.objects.create(
        deliverable=deliverable,
        raised_by=actor,
        side=side,
        proposed_date=proposed_date,
        proposed_effort_days=effort,
        descope=descope,
        current_date=deliverable.due_date,
        current_effort_days=deliverable.planned_days,
        reason=reason,
        requirements=change_requirements(
            project,
            deliverable,
            side=side,
            proposed_date=proposed_date,
            proposed_effort_days=effort,
            today=today,
        ),
    )
    _touch(project)
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.CHANGE_REQUESTED,
        reason=reason,
        data={
            "change": change.pk,
            "deliverable": deliverable.pk,
            "summary": deliverable.summary,
            "to_label": change.what,
            "notify": [user.pk for user in deciders(change)],
        },
    )
    return change


# Deciding


def _lock_change(change: ChangeRequest) -> ChangeRequest:
    return (
        ChangeRequest.objects.select_for_update()
        .select_related("deliverable__commitment")
        .get(pk=change.pk)
    )


def _refuse_unless_decidable(change: ChangeRequest, actor: User) -> list[str]:
    """The requirement keys actor's decision meets; refuse own, decided and unwanted decisions."""
    if not change.is_open:
        raise TransitionNotAllowed(
            f"This change was {change.get_status_display().lower()} already.",
            code="change_decided",
        )
    if actor.pk == change.raised_by_id:
        raise ActionForbidden("You cannot decide your own change request.")
    if change.approvals.filter(approver=actor).exists():
        raise TransitionNotAllowed("You approved this change already.", code="already_approved")
    keys = pending_for(change, actor)
    if not keys:
        raise ActionForbidden("This change does not need your decision.")
    return keys


def _apply(change: ChangeRequest, deliverable: Deliverable) -> None:
    if change.descope:
        deliverable.status = DeliverableStatus.DESCOPED
        deliverable.status_reason = f"Descoped by agreement: {change.reason}"[:5000]
        deliverable.descoped_by_change = True
        deliverable.slip_days = None
    if change.proposed_date is not None:
        deliverable.renegotiated_date = change.proposed_date
    if change.proposed_effort_days is not None:
        deliverable.renegotiated_effort_days = change.proposed_effort_days
    deliverable.updated_at = timezone.now()
    deliverable.save(
        update_fields=[
            "status",
            "status_reason",
            "descoped_by_change",
            "slip_days",
            "renegotiated_date",
            "renegotiated_effort_days",
            "updated_at",
        ]
    )


@transaction.atomic
def change_request_approve(*, change: ChangeRequest, actor: User) -> ChangeRequest:
    """Add actor's approval; the last one needed applies the change."""
    project = _lock(change.deliverable.project_id)
    change = _lock_change(change)
    keys = _refuse_unless_decidable(change, actor)
    deliverable = _lock_deliverable(change.deliverable)
    if not deliverable.is_open:
        raise TransitionNotAllowed(
            f"“{deliverable.summary}” was {deliverable.get_status_display().lower()} meanwhile: "
            "reject the change instead.",
            code="deliverable_resolved",
        )
    _require_open(project)
    ChangeApproval.objects.create(change_request=change, approver=actor, requirement_keys=keys)
    if not all(state["met"] for state in requirement_states(change)):
        return change
    change.status = ChangeRequestStatus.APPROVED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    _apply(change, deliverable)
    _touch(project)
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.CHANGE_APPROVED,
        data={
            "change": change.pk,
            "deliverable": deliverable.pk,
            "summary": deliverable.summary,
            "to_label": change.what,
            "raised_by": change.raised_by_id,
        },
    )
    return change


@transaction.atomic
def change_request_reject(*, change: ChangeRequest, actor: User, reason: str) -> ChangeRequest:
    project = _lock(change.deliverable.project_id)
    change = _lock_change(change)
    _refuse_unless_decidable(change, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the change is rejected."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON:,} characters."})
    validate_field_values(ChangeRequest, {"decision_reason": reason})
    change.status = ChangeRequestStatus.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_reason = reason
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    _touch(project)
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.CHANGE_REJECTED,
        reason=reason,
        data={
            "change": change.pk,
            "deliverable": change.deliverable_id,
            "summary": change.deliverable.summary,
            "to_label": change.what,
            "raised_by": change.raised_by_id,
        },
    )
    return change
