"""Lists as CSV files, streamed: UTF-8 with a byte order mark, numbers as numbers, no formulas.

Excel reads a file without the mark in the machine's legacy code page and garbles accented
names; a cell that starts with = + - or @ would run as a formula, so such text gets a leading
apostrophe (numbers are written as numbers and are never touched).
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from handoff.db_router import reading_from_replica

BOM = "\ufeff"
_END = object()
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """One value as a spreadsheet should read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).isoformat(timespec="seconds")
            if timezone.is_aware(value)
            else value.isoformat(timespec="seconds")
        )
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like that hands back what csv.writer writes, one line at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, replica: bool = False
) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([cell(h) for h in header])
    if not replica:
        yield from (writer.writerow([cell(v) for v in row]) for row in rows)
        return
    # Each line's reads happen inside, and nothing outside (between lines) reads the replica.
    rows = iter(rows)
    while True:
        with reading_from_replica():
            row = next(rows, _END)
            if row is _END:
                return
            line = writer.writerow([cell(v) for v in row])
        yield line


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, replica: bool = True
) -> StreamingHttpResponse:
    """The rows streamed as a download: the query runs as the file is written, on the read
    replica if there is one (an export may be a moment behind), unless `replica` is False."""
    response = StreamingHttpResponse(
        csv_lines(header, rows, replica=replica), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
