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


def attach_calibrations(forms: list[Any]) -> None:
    """Give each commitment form of the deal form what history says about its promise.

    Shown when the form is drawn again (a button without script, errors, an edit), so the
    page says without JavaScript what the htmx fragment says while a rep types.
    """
    typed = [
        parse_promise(
            _typed(form, "kind"), _typed(form, "effort_days"), _typed(form, "promised_date")
        )
        for form in forms
    ]
    wanted = [(form, promise) for form, promise in zip(forms, typed, strict=True) if promise]
    found = calibrations([promise for _, promise in wanted])
    for (form, _), calibration in zip(wanted, found, strict=True):
        form.calibration = calibration
        form.calibration_template = calibration_template()


def take_suggestion(data: Any, prefix: str) -> Any:
    """The form data with one row's promised date set to the suggestion its button carried.

    The button says "<row>:<date>"; anything else leaves the data as it was.
    """
    row, _, day = str(data.get("take_suggestion", "")).partition(":")
    if not row.isdigit() or int(row) > 999 or not parse_promise("other", "0", day):
        return data
    data = data.copy()
    data[f"{prefix}-{int(row)}-promised_date"] = day
    return data
