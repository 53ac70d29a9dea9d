"""A table of figures as a CSV file: the cells as a spreadsheet should read them."""

import csv
from decimal import Decimal
from typing import Any

from insights.figures.results import Table


def csv_cell(value: Any, unit: str) -> Any:
    if value is None:
        return ""
    if unit == "percent":
        return round(float(value) * 100, 1)
    if isinstance(value, Decimal | float):
        return round(float(value), 2)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet must not run a name as a formula
    return value


def write_csv(out, table: Table) -> None:
    """The table's header and every row (not only those the page shows) to a file-like `out`."""
    writer = csv.writer(out)
    writer.writerow(
        [
            label + (" (%)" if table.units.get(key) == "percent" else "")
            for key, label in table.columns
        ]
    )
    for row in table.rows:
        writer.writerow(
            [csv_cell(row.get(key), table.units.get(key, "text")) for key, _ in table.columns]
        )
