"""A table of figures as a CSV file: the cells as a spreadsheet should read them.

Numbers stay numbers (the unit goes in the column's header, or in a Unit column where each
row has its own), and the file starts with a UTF-8 byte order mark, without which Excel
reads it in the machine's legacy code page and garbles every accented name.
"""

import csv

from insights.figures.cells import UNIT_NAMES, csv_cell
from insights.figures.results import Table

BOM = "\ufeff"


def header(label: str, unit: str | None) -> str:
    name = UNIT_NAMES.get(unit or "")
    return f"{label} ({name})" if name and f"({name})" not in label else label


def write_csv(out, table: Table) -> None:
    """The table's header and every row (not only those the page shows) to a file-like `out`."""
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([header(label, table.units.get(key)) for key, label in table.columns])
    for row in table.rows:
        writer.writerow(
            [csv_cell(row.get(key), table.units.get(key, "text")) for key, _ in table.columns]
        )
