"""Actual effort: the delivery team's time entries on deliverables, within bounds.

A person logs at most 24 hours a day across every project, on days from the project's start
to today; entries are kept in hours (a person-day is HOURS_PER_DAY of them). Editing and
removing an entry is for the person it is for, or whoever entered it, while the project is
open; the history keeps a line for each change and removal.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from handoff.errors import ActionForbidden
from handoff.models import User
from handoff.roles import is_pm
from handoff.templatetags.formats import day as day_text
from handoff.validators import validate_field_values
from projects.models import (
    HOURS_PER_DAY,
    MAX_HOURS_PER_DAY,
    Deliverable,
    Project,
    ProjectEventKind,
    ProjectStatus,
    TimeEntry,
)
from projects.services import _lock, _record, _require_open, delivery_earliest

MAX_NOTE = 200


def can_log_time(project: Project, user: User) -> bool:
    """Project managers log delivery time, on any open project."""
    return is_pm(user) and user.is_active and project.status != ProjectStatus.COMPLETED


def can_change_entry(entry: TimeEntry, user: User) -> bool:
    return user.pk in (entry.person_id, entry.created_by_id)


def _number(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "Enter a number."}) from None
    if not number.is_finite():
        raise ValidationError({field: "Enter a number."})
    return number


def entry_hours(*, hours: Any = None, days: Any = None) -> Decimal:
    """The hours of an entry given in hours or in person-days (one of them), within a day."""
    given = [(f, v) for f, v in (("hours", hours), ("days", days)) if v not in (None, "")]
    if len(given) != 1:
        raise ValidationError({"hours": "Give the time in hours or in person-days, one of them."})
    field, value = given[0]
    number = _number(value, field)
    result = number if field == "hours" else number * HOURS_PER_DAY
    if result <= 0:
        raise ValidationError({field: "Enter more than zero."})
    if result > MAX_HOURS_PER_DAY:
        limit = "24 hours" if field == "hours" else "3 person-days (24 hours)"
        raise ValidationError({field: f"A day has at most {limit}."})
    if result < Decimal("0.25"):
        raise ValidationError({field: "Enter at least a quarter of an hour."})
    if result != result.quantize(Decimal("0.01")):
        raise ValidationError({field: "Use at most two decimal places of an hour."})
    return result.quantize(Decimal("0.01"))


def _check_day(project: Project, day: date | None) -> None:
    if day is None:
        raise ValidationError({"day": "Give the day the work was done."})
    today = timezone.localdate()
    if day > today:
        raise ValidationError({"day": "Time can be entered up to today, not for days to come."})
    earliest = delivery_earliest(project)
    if day < earliest:
        raise ValidationError(
            {"day": f"The day cannot be before the project started ({day_text(earliest)})."}
        )


def _check_day_total(person: User, day: date, hours: Decimal, *, leaving_out: int | None) -> None:
    """At most 24 hours a day for one person, across every project. The person's row is locked
    first, so two entries at once cannot both pass."""
    User.objects.select_for_update().filter(pk=person.pk).first()
    others = TimeEntry.objects.filter(person=person, day=day)
    if leaving_out is not None:
        others = others.exclude(pk=leaving_out)
    logged = others.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    if logged + hours > MAX_HOURS_PER_DAY:
        left = max(Decimal("0"), MAX_HOURS_PER_DAY - logged)
        raise ValidationError(
            {
                "hours": f"{person.display_name} has {logged.normalize():f} hours on "
                f"{day_text(day)} already: at most {left.normalize():f} more fit in the day."
            }
        )


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"Keep the note under {MAX_NOTE} characters."})
    validate_field_values(TimeEntry, {"note": note})
    return note


@transaction.atomic
def time_entry_add(
    *,
    deliverable: Deliverable,
    actor: User,
    day: date | None,
    hours: Any = None,
    days: Any = None,
    note: str = "",
    person: User | None = None,
) -> TimeEntry:
    """Log time on a deliverable: one's own, or, for the project's PM, a colleague's."""
    project = _lock(deliverable.project_id)
    person = person or actor
    if not is_pm(actor):
        raise ActionForbidden("Only delivery enters time on deliverables.")
    if person.pk != actor.pk and project.pm_id != actor.pk:
        raise ActionForbidden("Only the project's manager enters time for someone else.")
    _require_open(project)
    if not (is_pm(person) and person.is_active):
        raise ValidationError({"person": "Time is entered for active project managers."})
    _check_day(project, day)
    amount = entry_hours(hours=hours, days=days)
    note = _clean_note(note)
    _check_day_total(person, day, amount, leaving_out=None)
    return TimeEntry.objects.create(
        deliverable=deliverable,
        person=person,
        day=day,
        hours=amount,
        note=note,
        created_by=actor,
    )


def _entry_data(entry: TimeEntry) -> dict:
    return {
        "entry": entry.pk,
        "summary": entry.deliverable.summary,
        "person": entry.person_id,
        "day": entry.day.isoformat(),
        "hours": str(entry.hours),
        "note": entry.note,
    }


@transaction.atomic
def time_entry_update(
    *,
    entry: TimeEntry,
    actor: User,
    day: date | None,
    hours: Any = None,
    days: Any = None,
    note: str = "",
) -> TimeEntry:
    project = _lock(entry.deliverable.project_id)
    entry = TimeEntry.objects.select_for_update().select_related("deliverable").get(pk=entry.pk)
    if not can_change_entry(entry, actor):
        raise ActionForbidden("You can change only your own time entries.")
    _require_open(project)
    _check_day(project, day)
    amount = entry_hours(hours=hours, days=days)
    note = _clean_note(note)
    _check_day_total(entry.person, day, amount, leaving_out=entry.pk)
    before = _entry_data(entry)
    entry.day, entry.hours, entry.note = day, amount, note
    after = _entry_data(entry)
    if after == before:
        return entry
    entry.updated_at = timezone.now()
    entry.save(update_fields=["day", "hours", "note", "updated_at"])
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.TIME_ENTRY_CHANGED,
        data={**after, "before": before, "to_label": f"{after['hours']} h on {after['day']}"},
    )
    return entry


@transaction.atomic
def time_entry_remove(*, entry: TimeEntry, actor: User) -> None:
    project = _lock(entry.deliverable.project_id)
    entry = TimeEntry.objects.select_for_update().select_related("deliverable").get(pk=entry.pk)
    if not can_change_entry(entry, actor):
        raise ActionForbidden("You can remove only your own time entries.")
    _require_open(project)
    data = _entry_data(entry)
    _record(
        project,
        actor=actor,
        kind=ProjectEventKind.TIME_ENTRY_REMOVED,
        data={**data, "to_label": f"{data['hours']} h on {data['day']} removed"},
    )
    entry.delete()
