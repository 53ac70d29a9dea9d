"""A figure's value as a spreadsheet cell: a plain number in its unit, the unit said apart."""

from decimal import Decimal
from typing import Any

# How a unit reads in a header or a Unit column; counts have none.
UNIT_NAMES = {"percent": "%", "days": "days", "hours": "hours"}


def csv_cell(value: Any, unit: str) -> Any:
    if value is None or value == "":
        return ""
    if unit == "percent":
        return round(float(value) * 100, 1)
    if isinstance(value, Decimal | float):
        return round(float(value), 2)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet must not run a name as a formula
    return value
