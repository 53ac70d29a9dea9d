"""How figures read: a value in its unit as text, a chart's number, a person's name.

No queries: the pages, the CSV exports and the result types format through here.
"""

from typing import Any


def format_value(value: Any, unit: str) -> str:
    """None shows as an em dash: no misleading 0 % when nothing was measured."""
    if value is None or value == "":
        return "—"
    if unit == "percent":
        return f"{float(value) * 100:.0f} %"
    if unit == "days":
        return f"{float(value):.1f} days"
    if unit == "hours":
        return f"{float(value):.1f} hours"
    if unit == "decimal":
        return f"{float(value):.1f}"
    return str(value)


def chart_number(value: Any, scale: int) -> float | None:
    if value is None:
        return None
    return round(float(value) * scale, 2)


def person_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username
