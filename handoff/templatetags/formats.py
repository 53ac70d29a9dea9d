"""One way to write dates, deadlines, money, numbers, units and counts on every page.

A builtin of the templates (no `{% load %}`): `{{ deal.expected_close_date|day }}`,
`{{ round.due_at|deadline }}`, `{{ deal.value|money:deal.currency }}`,
`{{ effort|person_days }}`, `{{ rate|percent }}`, `{{ slip|duration_days }}`,
`{{ n|count:"commitment" }}`. Dates and times are in the user's time zone
(handoff.web.timezones activates it). Exports keep raw values and do not use these.
"""

import datetime
import functools
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import NumberPattern, format_currency, format_decimal, parse_pattern
from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import format_html
from django.utils.translation import get_language, to_locale

register = template.Library()

# As Django's date format writes them; the filters below write the same text by hand, since
# dateformat.format reads its format string anew each time (24 µs a moment, and a review
# queue writes one a row): tests/handoff/test_formats.py holds the two equal.
DAY_FORMAT = "j M Y"
TIME_FORMAT = "D j M Y, H:i"
SHORT_DAY_FORMAT = "j M"


def _language() -> str:
    return get_language() or "en-gb"


# A page writes hundreds of numbers (the capacity heat map, the dashboard's tables): the
# locale's data and each pattern are parsed once per process, not once per number.
@functools.cache
def _babel_locale(language: str) -> Locale:
    return Locale.parse(to_locale(language))


@functools.cache
def _pattern(text: str) -> NumberPattern:
    return parse_pattern(text)


@functools.cache
def _date_names(language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The language's month abbreviations (January first) and weekday ones (Monday first)."""
    months = tuple(str(MONTHS_3[month]).title() for month in range(1, 13))
    weekdays = tuple(str(WEEKDAYS_ABBR[weekday]) for weekday in range(7))
    return months, weekdays


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _number(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def day(value) -> str:
    """A date: "1 Dec 2026" (a datetime is first put in the user's time zone)."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    months, _ = _date_names(_language())
    return f"{value.day} {months[value.month - 1]} {value.year:04d}"


@register.filter
def short_day(value) -> str:
    """A date within the year's context: "1 Dec"."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    months, _ = _date_names(_language())
    return f"{value.day} {months[value.month - 1]}"


@register.filter
def when(value) -> str:
    """A moment: "Tue 1 Dec 2026, 14:05" in the user's time zone."""
    if not value:
        return ""
    if not isinstance(value, datetime.datetime):
        return day(value)
    value = _local(value)
    months, weekdays = _date_names(_language())
    return (
        f"{weekdays[value.weekday()]} {value.day} {months[value.month - 1]} {value.year:04d},"
        f" {value.hour:02d}:{value.minute:02d}"
    )


def _span(seconds: float) -> str:
    """A length of time in words: minutes under an hour, hours under a day, then days."""
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return count(minutes, "min,min")
    hours = round(seconds / 3600)
    if hours < 24:
        return f"{hours} h"
    return count(round(seconds / 86400), "day")


def relative(value: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    """ "in 5 h", "3 days ago", "just now" (under a minute)."""
    seconds = (value - (now or timezone.now())).total_seconds()
    if abs(seconds) < 60:
        return "just now"
    return f"in {_span(seconds)}" if seconds > 0 else f"{_span(-seconds)} ago"


def _due_day(value: datetime.date) -> tuple[str, bool]:
    """A due date in days from today: "due today", "due in 3 days", "1 day overdue"."""
    days = (value - timezone.localdate()).days
    if days < 0:
        return f"{count(-days, 'day')} overdue", True
    return ("due today" if days == 0 else f"due in {count(days, 'day')}"), False


@register.filter
def deadline(value) -> str:
    """A due time as people read it, "due in 5 h" or "2 days overdue", the moment on hover; a
    due date counts whole days from today."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        seconds = (value - timezone.now()).total_seconds()
        late = seconds < 0
        text = f"{_span(-seconds)} overdue" if late else f"due in {_span(seconds)}"
    else:
        text, late = _due_day(value)
    return format_html(
        '<time class="{}" datetime="{}" title="{}">{}</time>',
        "deadline overdue" if late else "deadline",
        value.isoformat(),
        when(value),
        text,
    )


@register.filter
def ago(value) -> str:
    """A past moment, "3 h ago", the moment on hover."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', value.isoformat(), when(value), relative(value)
    )


@register.filter
def money(value, currency: str = "EUR") -> str:
    """An amount in its currency as the locale writes it: "€12,000", "$1,250.50"."""
    amount = _number(value)
    if amount is None:
        return ""
    return _money(str(amount), currency or "EUR", _language())


# A list writes a value a row, and many deals are worth the same round sums.
@functools.lru_cache(maxsize=4096)
def _money(text: str, currency: str, language: str) -> str:
    amount = Decimal(text)
    pattern = _pattern("¤#,##0" if amount == amount.to_integral_value() else "¤#,##0.00")
    return format_currency(
        amount, currency, format=pattern, locale=_babel_locale(language), currency_digits=False
    )


@register.filter
def number(value, digits: int = 1) -> str:
    """A number with the locale's separators, at most `digits` decimals, no trailing zeros."""
    amount = _number(value)
    if amount is None:
        return ""
    pattern = "#,##0" + ("." + "#" * int(digits) if int(digits) > 0 else "")
    return _written(str(amount), pattern, _language())


# The same few loads and capacities fill a heat map's cells: each is written once a process.
# Keyed by the number's exact text, as -0 equals 0 yet is written "-0".
@functools.lru_cache(maxsize=4096)
def _written(text: str, pattern: str | None, language: str) -> str:
    """The number in the language's way, with `pattern` or else the locale's own."""
    return format_decimal(
        Decimal(text), format=pattern and _pattern(pattern), locale=_babel_locale(language)
    )


@register.filter
def plain(value, digits: int = 1) -> str:
    """A number for a machine (a data attribute): no separators, `digits` decimals unless it is
    whole: 1.5 -> "1.50" with plain:2, 3 -> "3"."""
    amount = _number(value)
    if amount is None:
        return ""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount:.{int(digits)}f}"


@register.filter
def person_days(value, digits: int = 1) -> str:
    """Effort: "12 person-days", "1 person-day", "0.5 person-days"; a load spread over weeks
    has cents: `person_days:2`."""
    amount = _number(value)
    if amount is None:
        return ""
    unit = "person-day" if amount == 1 else "person-days"
    return f"{number(amount, digits)} {unit}"


@register.filter
def percent(value, digits: int = 0) -> str:
    """A ratio as a percentage with a thin space before the sign: 0.51 -> "51 %"."""
    ratio = _number(value)
    if ratio is None:
        return "\u2013"
    return f"{number(ratio * 100, digits)}\u202f%"


@register.filter
def duration_hours(value) -> str:
    """Hours as people say them: "5 h" under a day, then days: "1.5 days"."""
    hours = _number(value)
    if hours is None:
        return "\u2013"
    if hours < 24:
        return f"{number(hours)} h"
    days = hours / 24
    return f"{number(days)} {'day' if days == 1 else 'days'}"


@register.filter
def duration_days(value) -> str:
    """A length of time counted in days, such as a working-day turnaround or a slip: "1 day",
    "2.5 days" (effort is person_days)."""
    days = _number(value)
    if days is None:
        return "\u2013"
    return f"{number(days)} {'day' if abs(days) == 1 else 'days'}"


@register.filter
def count(value, noun: str) -> str:
    """A count with its noun: `{{ 2|count:"commitment" }}` -> "2 commitments"; an irregular
    plural goes after a comma: `count:"person,people"`."""
    try:
        n = len(value) if isinstance(value, list | tuple | set | dict) else int(value)
    except (TypeError, ValueError):
        return ""
    singular, _, plural = noun.partition(",")
    return (
        f"{_written(str(n), None, _language())} {singular if n == 1 else plural or singular + 's'}"
    )
