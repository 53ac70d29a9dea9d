"""A file of deals read into rows: tablib parses the CSV, Django's form fields coerce each cell.

One row per commitment; the rows of one deal share its external_id. Every cell is bounded by
its model field's validators; what is wrong is said per row, with the column and the reason.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import tablib
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from tablib.exceptions import InvalidDimensions

from deals.models import (
    MAX_DEAL_VALUE,
    MAX_EFFORT_DAYS,
    MAX_EXTERNAL_ID_LENGTH,
    CommitmentKind,
    Currency,
)
from handoff.validators import multi_line, single_line, within_years

COLUMNS = (
    "external_id",
    "title",
    "client",
    "owner",
    "value",
    "currency",
    "expected_close_date",
    "expected_start_date",
    "kind",
    "summary",
    "promised_date",
    "effort_days",
    "detail",
)
DEAL_COLUMNS = (
    "title",
    "client",
    "owner",
    "value",
    "currency",
    "expected_close_date",
    "expected_start_date",
)
ISO_DATE = ["%Y-%m-%d"]


def _text(max_length: int, *, required: bool = True, lines: bool = False) -> forms.CharField:
    return forms.CharField(
        max_length=max_length,
        required=required,
        validators=[multi_line if lines else single_line],
    )


def _date(*, required: bool = True) -> forms.DateField:
    return forms.DateField(
        input_formats=ISO_DATE,
        required=required,
        validators=[within_years],
        error_messages={"invalid": "Give a date as YYYY-MM-DD."},
    )


def _number(maximum: Decimal, places: int) -> forms.DecimalField:
    return forms.DecimalField(
        min_value=0,
        max_value=maximum,
        decimal_places=places,
        required=False,
        error_messages={"invalid": "Give a number, like 1250.50."},
    )


class RowForm(forms.Form):
    """The cells of one row, as the models take them."""

    external_id = _text(MAX_EXTERNAL_ID_LENGTH)
    title = _text(200)
    client = _text(200)
    owner = _text(150, required=False)
    value = _number(MAX_DEAL_VALUE, 2)
    currency = forms.ChoiceField(choices=Currency.choices, required=False)
    expected_close_date = _date()
    expected_start_date = _date(required=False)
    kind = forms.ChoiceField(choices=CommitmentKind.choices)
    summary = _text(200)
    promised_date = _date()
    effort_days = _number(MAX_EFFORT_DAYS, 1)
    detail = _text(5000, required=False, lines=True)


@dataclass
class Row:
    line: int
    cells: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    field: str = ""
    message: str = ""
    fate: str = ""  # a RowFate once planned

    @property
    def external_id(self) -> str:
        return (self.cells.get("external_id") or "").strip()[:MAX_EXTERNAL_ID_LENGTH]


class FileRefused(ValidationError):
    """The file as a whole cannot be read: too large, not UTF-8, not CSV, wrong columns."""


def read_file(upload) -> list[Row]:
    """The upload's rows, coerced; a file that cannot be read at all raises FileRefused."""
    limit = settings.IMPORT_MAX_BYTES
    if upload.size > limit:
        raise FileRefused(f"The file is larger than {limit // 1_000_000} MB; split it.")
    raw = upload.read(limit + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused("The file is not UTF-8 text; save it as CSV UTF-8.") from error
    if "\x00" in text:
        raise FileRefused("The file is not CSV text.")
    _check_shape(text)
    try:
        dataset = tablib.Dataset().load(text, format="csv")
    except (csv.Error, InvalidDimensions) as error:
        raise FileRefused(f"The file is not well-formed CSV: {error}.") from error
    headers = [(h or "").strip().lower() for h in (dataset.headers or [])]
    missing = [c for c in COLUMNS if c not in headers]
    unknown = [h for h in headers if h not in COLUMNS]
    if missing or unknown:
        said = []
        if missing:
            said.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            said.append(f"unknown columns: {', '.join(unknown)}")
        raise FileRefused(f"The first line must name the columns ({'; '.join(said)}).")
    if dataset.height > settings.IMPORT_MAX_ROWS:
        raise FileRefused(
            f"The file has {dataset.height:,} rows; at most {settings.IMPORT_MAX_ROWS:,}."
        )
    if dataset.height == 0:
        raise FileRefused("The file has no rows under its first line.")
    rows = [
        Row(line=n, cells={h: (cell or "") for h, cell in zip(headers, values, strict=True)})
        for n, values in enumerate(dataset, start=2)
    ]
    for row in rows:
        coerce(row)
    return rows


def _check_shape(text: str) -> None:
    """Quotes that never close and lines longer than the first, named by line: tablib pads
    short lines, and would only say that the dimensions are wrong."""
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        width = len(next(reader, []))
        for values in reader:
            if len(values) > width:
                raise FileRefused(
                    f"Line {reader.line_num} has {len(values)} cells; the first line names "
                    f"{width} columns. Quote a cell that holds a comma."
                )
    except csv.Error as error:
        raise FileRefused(
            f"The file is not well-formed CSV near line {reader.line_num}: {error}."
        ) from error


# RowForm's fields, used as the form uses them: a form instance per row would deep-copy all
# thirteen fields first, most of the cost of reading a row.
ROW_FIELDS = RowForm.base_fields


def coerce(row: Row) -> None:
    """The row's values, each cell cleaned by its RowForm field; else the first column that is
    wrong (in the columns' order) and its message, as RowForm would say them."""
    values = {}
    for name, form_field in ROW_FIELDS.items():
        try:
            values[name] = form_field.clean((row.cells.get(name) or "").strip())
        except ValidationError as error:
            row.field, row.message = name, error.messages[0]
            return
    row.values = values
