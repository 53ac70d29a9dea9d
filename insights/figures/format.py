"""How figures read: a value in its unit as text, a chart's number, a person's name.

No queries: the pages, the CSV exports and the result types format through here.
"""

from typing import Any

from handoff.templatetags import formats

# How each unit's value reads on a page, as the templates' filters write it.
SHOWN = {
    "percent": formats.percent,
    "days": formats.duration_days,
    "hours": formats.duration_hours,
    "decimal": formats.number,
    "count": formats.number,
}


def format_value(value: Any, unit: str) -> str:
    """None shows as an em dash: no misleading 0 % when nothing was measured."""
    if value is None or value == "":
        return "—"
    shown = SHOWN.get(unit)
    return shown(value) if shown else str(value)


def chart_number(value: Any, scale: int) -> float | None:
    if value is None:
        return None
    return round(float(value) * scale, 2)


def person_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username
