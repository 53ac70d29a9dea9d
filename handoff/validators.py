"""Bounds on what users type: dates near today, plain text without control characters.

Model fields carry them, so ModelForms, the admin and every service that runs full_clean()
refuse the same input with the same message. None of them reads the database.
"""

import unicodedata
import zoneinfo
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible


def _years_from(day: date, years: int) -> date:
    """The same day `years` later (or earlier when negative); 29 February becomes the 28th."""
    year = min(max(day.year + years, date.min.year), date.max.year)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def date_input_range(today: date | None = None) -> tuple[date, date]:
    """The earliest and latest date a user may enter: DATE_INPUT_RANGE_YEARS around today."""
    today = today or timezone.localdate()
    years = settings.DATE_INPUT_RANGE_YEARS
    return _years_from(today, -years), _years_from(today, years)


@deconstructible
class WithinYears:
    """A date at most settings.DATE_INPUT_RANGE_YEARS years before or after today.

    The setting is read at each check, not stored in migrations, so changing it needs none.
    """

    code = "date_out_of_range"

    def __call__(self, value: Any) -> None:
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            return
        earliest, latest = date_input_range()
        if not earliest <= value <= latest:
            raise ValidationError(
                "Enter a date between %(earliest)s and %(latest)s: "
                "no more than %(years)s years from today.",
                code=self.code,
                params={
                    "earliest": earliest.isoformat(),
                    "latest": latest.isoformat(),
                    "years": settings.DATE_INPUT_RANGE_YEARS,
                },
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WithinYears)

    def __hash__(self) -> int:
        return hash(WithinYears)


@deconstructible
class QuarterWithinYears:
    """A quarter written like 2026-Q4 whose year lies within DATE_INPUT_RANGE_YEARS of today."""

    code = "quarter_out_of_range"

    def __call__(self, value: Any) -> None:
        year = str(value or "")[:4]
        if not year.isdecimal():
            return  # the quarter's own format check says what is wrong
        earliest, latest = date_input_range()
        if not earliest.year <= int(year) <= latest.year:
            raise ValidationError(
                "Choose a quarter between %(earliest)s and %(latest)s.",
                code=self.code,
                params={"earliest": f"{earliest.year}-Q1", "latest": f"{latest.year}-Q4"},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QuarterWithinYears)

    def __hash__(self) -> int:
        return hash(QuarterWithinYears)


# Single-line text also refuses the Unicode line and paragraph separators: they break lines too.
_LINE_BREAKS = frozenset({"Zl", "Zp"})


@deconstructible
class PlainText:
    """Text without control characters (Unicode category Cc).

    A single line allows none, nor line separators: a title with "\\r\\n" would break every
    email header it reaches. Multi-line text (multiline=True) keeps line breaks and tabs.
    """

    code = "control_characters"
    MULTILINE_ALLOWED = frozenset("\n\r\t")

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def _refused(self, character: str) -> bool:
        if self.multiline:
            return (
                character not in self.MULTILINE_ALLOWED and unicodedata.category(character) == "Cc"
            )
        category = unicodedata.category(character)
        return category == "Cc" or category in _LINE_BREAKS

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str) or value.isprintable():
            return  # printable text holds no control character nor line separator
        refused = next((c for c in value if self._refused(c)), None)
        if refused is None:
            return
        if self.multiline:
            message = (
                "Remove the control character %(character)s: only line breaks and tabs "
                "are allowed among the text."
            )
        else:
            message = (
                "Write this on one line without control characters: %(character)s is not allowed."
            )
        raise ValidationError(
            message, code=self.code, params={"character": f"U+{ord(refused):04X}"}
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainText) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((PlainText, self.multiline))


within_years = WithinYears()
single_line = PlainText()
multi_line = PlainText(multiline=True)


def validate_field_values(model: type[models.Model], values: dict[str, Any]) -> None:
    """Run the model fields' validators on values a service receives outside a full_clean().

    Raises one ValidationError naming every field that failed.
    """
    errors: dict[str, list] = {}
    for name, value in values.items():
        try:
            model._meta.get_field(name).run_validators(value)
        except ValidationError as error:
            errors[name] = error.error_list
    if errors:
        raise ValidationError(errors)


def valid_time_zone(value: str) -> None:
    """A time zone the IANA database knows, such as "Europe/Berlin"; blank is the default."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            "Choose a time zone from the list, such as Europe/Berlin.", code="invalid_time_zone"
        )
