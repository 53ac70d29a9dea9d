"""What history suggests for a promise while it is written: a registry the projects app fills.

Deals cannot read deliverables (projects sits above it), so projects registers, from its
apps.py, a function that calibrates one promise against resolved ones, and a template that
shows it. The deal form, the review and the commitment services ask only this module.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from deals.models import MAX_EFFORT_DAYS, CommitmentKind
from handoff.validators import within_years

# (promises: [(kind, effort_days, promised_date)], pm_id) -> one calibration per promise, each
# an object with .suggested_date (None when history is too thin).
Calibrate = Callable[[list[tuple[str, Decimal, date]], int | None], list[Any]]


@dataclass
class _Registry:
    calibrate: Calibrate | None = None
    template: str = ""


_REGISTRY = _Registry()


def register_calibration(calibrate: Calibrate, *, template: str) -> None:
    _REGISTRY.calibrate = calibrate
    _REGISTRY.template = template


def calibration_template() -> str:
    return _REGISTRY.template


def calibrations(
    promises: list[tuple[str, Decimal, date]], *, pm_id: int | None = None
) -> list[Any | None]:
    """What history says about each promise (for the PM `pm_id`'s team when given)."""
    if _REGISTRY.calibrate is None or not promises:
        return [None] * len(promises)
    return _REGISTRY.calibrate(promises, pm_id)


def suggested_date_for(*, kind: str, effort_days: Decimal, promised_date: date) -> date | None:
    (found,) = calibrations([(kind, effort_days, promised_date)])
    return getattr(found, "suggested_date", None)


def parse_promise(kind: Any, effort: Any, promised: Any) -> tuple[str, Decimal, date] | None:
    """A promise as typed into a form (strings), or None while any part is missing or invalid."""
    if kind not in CommitmentKind.values:
        return None
    try:
        effort_days = Decimal(str(effort).strip() or "0")
        promised_date = date.fromisoformat(str(promised).strip())
        within_years(promised_date)
    except (InvalidOperation, ValueError, ValidationError):
        return None
    if not effort_days.is_finite() or not 0 <= effort_days <= MAX_EFFORT_DAYS:
        return None
    return kind, effort_days, promised_date


def _typed(form: Any, name: str) -> Any:
    if form.is_bound:
        return form.data.get(form.add_prefix(name), "")
    return form.initial.get(name, "")


@dataclass(frozen=True)
class Typed:
    """A promise as typed, with the date it was planned for when a suggestion replaced it."""

    kind: str
    effort_days: Decimal
    promised_date: date
    planned_date: date | None = None


def typed_promise(kind: Any, effort: Any, promised: Any, planned: Any = "") -> Typed | None:
    promise = parse_promise(kind, effort, promised)
    if promise is None:
        return None
    base = parse_promise(kind, effort, planned) if planned else None
    return Typed(*promise, planned_date=base[2] if base else None)


def advise(typed: list[Typed | None], *, pm_id: int | None = None) -> list[tuple[Any, bool]]:
    """(calibration, taken) per typed promise: taken when its date is the one suggested for the
    date it was planned for; then the calibration shown is that one, not one for the new date."""
    wanted = [t for t in typed if t is not None]
    bases = [(t.kind, t.effort_days, t.planned_date or t.promised_date) for t in wanted]
    found = iter(calibrations(bases, pm_id=pm_id))
    answers: list[tuple[Any, bool]] = []
    retry: list[int] = []
    for t in typed:
        if t is None:
            answers.append((None, False))
            continue
        calibration = next(found)
        taken = t.planned_date is not None and (
            getattr(calibration, "suggested_date", None) == t.promised_date
        )
        answers.append((calibration, taken))
        if t.planned_date is not None and not taken:
            retry.append(len(answers) - 1)
    # Planned for one date but promised another: what history says about the promise as it is.
    again = calibrations(
        [(typed[i].kind, typed[i].effort_days, typed[i].promised_date) for i in retry],
        pm_id=pm_id,
    )
    for i, calibration in zip(retry, again, strict=True):
        answers[i] = (calibration, False)
    return answers


def _typed(form: Any, name: str) -> Any:
    if form.is_bound:
        return form.data.get(form.add_prefix(name), "")
    return form.initial.get(name, "")


def attach_calibrations(forms: list[Any]) -> None:
    """Give each commitment form of the deal form what history says about its promise.

    Shown when the form is drawn again (a button without script, errors, an edit), so the
    page says without JavaScript what the htmx fragment says while a rep types.
    """
    typed = [
        typed_promise(
            _typed(form, "kind"),
            _typed(form, "effort_days"),
            _typed(form, "promised_date"),
            _typed(form, "planned_date"),
        )
        for form in forms
    ]
    for form, (calibration, taken) in zip(forms, advise(typed), strict=True):
        if calibration is not None:
            form.calibration = calibration
            form.calibration_taken = taken
            form.calibration_template = calibration_template()


def take_suggestion(data: Any, prefix: str) -> Any:
    """The form data with one row's promised date set to the suggestion its button carried,
    and the date it replaced kept as the date planned.

    The button says "<row>:<date>"; anything else leaves the data as it was.
    """
    row, _, day = str(data.get("take_suggestion", "")).partition(":")
    if not row.isdigit() or int(row) > 999 or not parse_promise("other", "0", day):
        return data
    data = data.copy()
    field = f"{prefix}-{int(row)}-promised_date"
    data[f"{prefix}-{int(row)}-planned_date"] = data.get(field, "")
    data[field] = day
    return data
