"""Every write with a rule on projects, deliverables and capacity.

Each service runs in a transaction, locks the row it changes, checks role and
status, writes a ProjectEvent and raises a DomainError (409), ActionForbidden
(403) or a ValidationError (400) when the rule says no.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from deals.models import MAX_EFFORT_DAYS, Deal, SignOff
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import User
from handoff.roles import is_manager, is_pm
from handoff.templatetags.formats import day
from handoff.validators import validate_field_values
from projects.models import (
    DEFAULT_KICKOFF_ITEMS,
    OPEN_DELIVERABLE_STATUSES,
    PROJECT_TRANSITIONS,
    STATUSES_NEEDING_REASON,
    CapacityException,
    Deliverable,
    DeliverableStatus,
    KickoffItem,
    PMCapacity,
    Project,
    ProjectEvent,
    ProjectEventKind,
    ProjectStatus,
)
from projects.promises import slip_days
from projects.signals import project_event_recorded

BRIEF_FIELDS = ("customer_context", "stakeholders", "risks", "promised_outside_commitments")
CLOSED_PROJECT_STATUSES = frozenset({ProjectStatus.COMPLETED})


def _record(
    project: Project,
    *,
    actor: User | None,
    kind: str,
    reason: str = "",
    data: dict | None = None,
) -> ProjectEvent:
    event = ProjectEvent.objects.create(
        project=project, actor=actor, kind=kind, reason=reason, data=data or {}
    )
    project_event_recorded.send(sender=ProjectEvent, event=event)
    return event


def _lock(project: Project | int) -> Project:
    pk = project.pk if isinstance(project, Project) else project
    return (
        Project.objects.select_for_update()
        .select_related("deal__owner", "deal__client", "pm")
        .get(pk=pk)
    )


def _touch(project: Project, *fields: str) -> None:
    project.updated_at = timezone.now()
    project.save(update_fields=[*fields, "updated_at"])


def _require_project_pm(project: Project, actor: User, what: str) -> None:
    if project.pm_id != actor.pk:
        raise ActionForbidden(f"Only the project's manager, {project.pm}, can {what}.")


def can_lead_delivery(project: Project, user: User) -> bool:
    """The project's PM or a manager: deliverables and the project's status."""
    return project.pm_id == user.pk or is_manager(user)


def can_edit_brief(project: Project, user: User) -> bool:
    """The rep who sold the deal, or a manager."""
    return project.deal.owner_id == user.pk or is_manager(user)


def _require_delivery_lead(project: Project, actor: User, what: str) -> None:
    if not can_lead_delivery(project, actor):
        raise ActionForbidden(f"Only the project's manager or a manager can {what}.")


def _require_open(project: Project) -> None:
    if project.status in CLOSED_PROJECT_STATUSES:
        raise TransitionNotAllowed("This project is completed.", code="project_completed")


# The handoff


def project_create_from_won_deal(
    *, deal: Deal, sign_off: SignOff, actor: User, project_manager: User | None = None
) -> Project:
    """Called by deals.services.deal_win inside its transaction; a failure rolls the win back."""
    pm = project_manager or sign_off.signed_by
    if not is_pm(pm) or not pm.is_active:
        raise ValidationError({"project_manager": "Choose an active project manager."})
    project = Project.objects.create(
        deal=deal, pm=pm, start_date=deal.expected_start_date or timezone.localdate()
    )
    conditions = {item["id"]: item.get("condition", "") for item in sign_off.snapshot}
    for commitment in deal.commitments.order_by("promised_date", "id"):
        Deliverable.objects.create(
            project=project,
            commitment=commitment,
            kind=commitment.kind,
            summary=commitment.summary,
            promised_date=commitment.promised_date,
            effort_days=commitment.effort_days,
            condition=conditions.get(commitment.pk, ""),
        )
    KickoffItem.objects.bulk_create(
        KickoffItem(project=project, text=text, position=i)
        for i, text in enumerate(DEFAULT_KICKOFF_ITEMS, start=1)
    )
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.CREATED,
        data={"deal": deal.pk, "sign_off": sign_off.pk, "pm": pm.pk},
    )
    return project


@transaction.atomic
def project_update_brief(*, project: Project, actor: User, data: dict[str, Any]) -> Project:
    project = _lock(project)
    if not can_edit_brief(project, actor):
        raise ActionForbidden("Only the deal's sales rep or a manager can write the brief.")
    _require_open(project)
    changed = []
    for field in BRIEF_FIELDS:
        if field in data:
            value = (data[field] or "").strip()
            if value != getattr(project, field):
                setattr(project, field, value)
                changed.append(field)
    if not changed:
        return project
    _touch(project, *changed)
    _record(project, actor=actor, kind=ProjectEventKind.BRIEF_UPDATED, data={"fields": changed})
    return project


@transaction.atomic
def kickoff_item_add(*, project: Project, actor: User, text: str) -> KickoffItem:
    project = _lock(project)
    _require_project_pm(project, actor, "edit the kickoff checklist")
    _require_open(project)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the checklist item."})
    if len(text) > 200:
        raise ValidationError({"text": "Keep it under 200 characters."})
    validate_field_values(KickoffItem, {"text": text})
    position = (project.kickoff_items.aggregate(m=Max("position"))["m"] or 0) + 1
    item = KickoffItem.objects.create(project=project, text=text, position=position)
    _record(project, actor=actor, kind=ProjectEventKind.KICKOFF_ITEM_ADDED, data={"text": text})
    return item


@transaction.atomic
def kickoff_item_toggle(*, item: KickoffItem, actor: User, done: bool) -> KickoffItem:
    project = _lock(item.project_id)
    _require_project_pm(project, actor, "edit the kickoff checklist")
    _require_open(project)
    item = KickoffItem.objects.select_for_update().get(pk=item.pk)
    if item.done == done:
        return item
    item.done = done
    item.save(update_fields=["done"])
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.KICKOFF_ITEM_CHECKED,
        data={"text": item.text, "done": done},
    )
    return item


@transaction.atomic
def kickoff_item_remove(*, item: KickoffItem, actor: User) -> None:
    project = _lock(item.project_id)
    _require_project_pm(project, actor, "edit the kickoff checklist")
    _require_open(project)
    item = KickoffItem.objects.get(pk=item.pk)
    _record(
        project, actor=actor, kind=ProjectEventKind.KICKOFF_ITEM_REMOVED, data={"text": item.text}
    )
    item.delete()


def _estimate(value: Any, field: str) -> Decimal:
    try:
        days = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter a number of person-days."}) from None
    if not days.is_finite() or days < 0 or days > MAX_EFFORT_DAYS:
        raise ValidationError({field: f"Enter between 0 and {MAX_EFFORT_DAYS:,} person-days."})
    if days != days.quantize(Decimal("0.1")):
        raise ValidationError({field: "Use at most one decimal place."})
    return days


@transaction.atomic
def project_accept_handoff(
    *, project: Project, actor: User, estimates: dict[int, Any] | None = None
) -> Project:
    """The PM takes the project over with an estimate per deliverable (the sold effort unless
    given): the plan that actual effort is measured against."""
    project = _lock(project)
    _require_project_pm(project, actor, "accept the handoff")
    if project.status != ProjectStatus.KICKOFF:
        raise TransitionNotAllowed(
            f"The handoff of a project that is {project.get_status_display().lower()} "
            "was already accepted.",
            code="accept_not_allowed",
        )
    estimates = estimates or {}
    deliverables = list(project.deliverables.select_for_update().order_by("pk"))
    for deliverable in deliverables:
        given = estimates.get(deliverable.pk)
        deliverable.estimate_days = (
            deliverable.effort_days
            if given in (None, "")
            else _estimate(given, f"estimate_{deliverable.pk}")
        )
    Deliverable.objects.bulk_update(deliverables, ["estimate_days"])
    project.status = ProjectStatus.ACTIVE
    project.accepted_at = timezone.now()
    _touch(project, "status", "accepted_at")
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.HANDOFF_ACCEPTED,
        data={"estimates": {str(d.pk): str(d.estimate_days) for d in deliverables}},
    )
    return project


@transaction.atomic
def project_change_status(
    *, project: Project, actor: User, status: str, reason: str = ""
) -> Project:
    """Put on hold, resume or complete an accepted project (its PM or a manager)."""
    project = _lock(project)
    _require_delivery_lead(project, actor, "change its status")
    if status not in PROJECT_TRANSITIONS.get(project.status, ()):
        raise TransitionNotAllowed(
            f"A project that is {project.get_status_display().lower()} cannot become "
            f"{ProjectStatus(status).label.lower() if status in ProjectStatus.values else status}.",
            code="project_status_not_allowed",
        )
    reason = (reason or "").strip()
    if status == ProjectStatus.ON_HOLD and not reason:
        raise ValidationError({"reason": "Say why the project is on hold."})
    if status == ProjectStatus.COMPLETED:
        still_open = project.deliverables.filter(status__in=OPEN_DELIVERABLE_STATUSES).count()
        if still_open:
            raise DomainError(
                f"{still_open} deliverables are still open: mark each delivered, missed or "
                "descoped first.",
                code="open_deliverables",
            )
    previous = project.status
    project.status = status
    _touch(project, "status")
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.STATUS_CHANGED,
        reason=reason,
        data={"from": previous, "to": status, "to_label": project.get_status_display()},
    )
    return project


@transaction.atomic
def project_send_questions(*, project: Project, actor: User, questions: str) -> ProjectEvent:
    """The PM asks the rep about the handoff; the event becomes the rep's notification."""
    project = _lock(project)
    _require_project_pm(project, actor, "send questions about the handoff")
    _require_open(project)
    questions = (questions or "").strip()
    if not questions:
        raise ValidationError({"questions": "Write your questions for the sales rep."})
    if len(questions) > 5000:
        raise ValidationError({"questions": "Keep it under 5,000 characters."})
    _touch(project)
    return _record(
        project,
        actor=actor,
        kind=ProjectEventKind.QUESTIONS_SENT,
        reason=questions,
        data={"recipient": project.deal.owner_id},
    )


# Deliverables


def _status_data(deliverable: Deliverable) -> dict:
    delivered_on = deliverable.delivered_on
    return {
        "status": deliverable.status,
        "reason": deliverable.status_reason,
        "delivered_on": delivered_on.isoformat() if delivered_on else None,
    }


def delivery_earliest(project: Project) -> date:
    """The first day a deliverable can have been delivered: the project's start or its win,
    whichever came first. An earlier date would count any promise as kept."""
    return min(project.start_date, timezone.localdate(project.created_at))


@transaction.atomic
def deliverable_update_status(
    *,
    deliverable: Deliverable,
    actor: User,
    status: str,
    reason: str = "",
    delivered_on: date | None = None,
    expected_updated_at: Any = None,
) -> Deliverable:
    """The project's PM or a manager moves a deliverable; reps never do.

    at_risk and descoped need a reason; delivered needs the date it was delivered.
    """
    project = _lock(deliverable.project_id)
    if not (is_pm(actor) or is_manager(actor)):
        raise ActionForbidden("Only delivery updates deliverables.")
    _require_delivery_lead(project, actor, "update its deliverables")
    _require_open(project)
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if expected_updated_at is not None and expected_updated_at != deliverable.updated_at:
        raise ConcurrentChange(
            "This deliverable changed since you opened it. Reload and try again."
        )
    reason = (reason or "").strip()
    today = timezone.localdate()
    errors = {}
    if status not in DeliverableStatus.values:
        errors["status"] = "Choose a status."
    if status in STATUSES_NEEDING_REASON and not reason:
        errors["status_reason"] = "Say why."
    if status == DeliverableStatus.DELIVERED:
        if delivered_on is None:
            errors["delivered_on"] = "Give the date it was delivered."
        elif delivered_on > today:
            errors["delivered_on"] = "The delivery date cannot be in the future."
        elif delivered_on < (earliest := delivery_earliest(project)):
            errors["delivered_on"] = (
                f"The delivery date cannot be before the project started ({day(earliest)})."
            )
    if errors:
        raise ValidationError(errors)
    validate_field_values(Deliverable, {"delivered_on": delivered_on, "status_reason": reason})
    before = _status_data(deliverable)
    deliverable.status = status
    deliverable.status_reason = reason
    deliverable.delivered_on = delivered_on if status == DeliverableStatus.DELIVERED else None
    if status == DeliverableStatus.DELIVERED:
        deliverable.slip_days = slip_days(deliverable.promised_date, delivered_on)
    elif status == DeliverableStatus.MISSED:
        deliverable.slip_days = slip_days(deliverable.promised_date, today)
    else:
        deliverable.slip_days = None
    after = _status_data(deliverable)
    if after == before:
        return deliverable
    deliverable.updated_at = timezone.now()
    deliverable.save(
        update_fields=["status", "status_reason", "delivered_on", "slip_days", "updated_at"]
    )
    _touch(project)
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.DELIVERABLE_STATUS_CHANGED,
        reason=reason,
        data={
            "deliverable": deliverable.pk,
            "summary": deliverable.summary,
            "from": before["status"],
            "to": status,
            "to_label": deliverable.get_status_display(),
            "delivered_on": after["delivered_on"],
            "kept": deliverable.is_kept,
        },
    )
    return deliverable


# Capacity


def _days(value: Any, field: str) -> Decimal:
    try:
        days = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter a number of person-days."}) from None
    if not days.is_finite() or days < 0 or days > 7:
        raise ValidationError({field: "Enter between 0 and 7 person-days."})
    if days != days.quantize(Decimal("0.1")):
        raise ValidationError({field: "Use at most one decimal place."})
    return days


def _require_self_or_manager(pm: User, actor: User) -> None:
    if not is_pm(pm):
        raise ValidationError({"pm": "Capacity is kept for project managers."})
    if pm.pk != actor.pk and not is_manager(actor):
        raise ActionForbidden("You can change only your own capacity.")


@transaction.atomic
def capacity_set(*, pm: User, actor: User, weekly_days: Any) -> PMCapacity:
    _require_self_or_manager(pm, actor)
    days = _days(weekly_days, "weekly_days")
    capacity, _ = PMCapacity.objects.select_for_update().get_or_create(user=pm)
    capacity.weekly_days = days
    capacity.updated_at = timezone.now()
    capacity.save(update_fields=["weekly_days", "updated_at"])
    return capacity


@transaction.atomic
def capacity_exception_add(
    *, pm: User, actor: User, week_start: date, days: Any, note: str = ""
) -> CapacityException:
    """Time off or reduced capacity for one ISO week; adding the same week again replaces it."""
    _require_self_or_manager(pm, actor)
    errors = {}
    if week_start is None:
        errors["week_start"] = "Choose the week."
    elif week_start.weekday() != 0:
        errors["week_start"] = "Weeks start on a Monday."
    if errors:
        raise ValidationError(errors)
    validate_field_values(CapacityException, {"week_start": week_start, "note": note})
    days = _days(days, "days")
    exception, _ = CapacityException.objects.update_or_create(
        pm=pm, week_start=week_start, defaults={"days": days, "note": (note or "").strip()[:200]}
    )
    return exception


@transaction.atomic
def capacity_exception_remove(*, exception: CapacityException, actor: User) -> None:
    _require_self_or_manager(exception.pm, actor)
    CapacityException.objects.filter(pk=exception.pk).delete()
