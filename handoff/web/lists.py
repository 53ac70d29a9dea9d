"""Sortable, searchable lists: the sort keys a list takes, its headers' links, its search box.

A list names its columns once; `?sort=key` sorts by one in its first direction and
`?sort=-key` the other way. Anything else, a hand-edited or stale link, gets the default
order: an unknown sort is never an error. Each header links to the same list with every other
parameter kept (filters, search, tab) except the page, as Django's admin does, since page 3 of
another order is another set of rows.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.utils.http import urlencode

ASCENDING, DESCENDING = "ascending", "descending"
SEARCH_MAX_LENGTH = 200


def reverse_order(order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f[1:] if f.startswith("-") else f"-{f}" for f in order)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # The order of the first direction, ending with a tie-breaker so that pages never overlap.
    order: tuple[str, ...] = ()
    # How the first direction reads: dates and sizes are usually wanted newest or largest first.
    first: str = ASCENDING


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    url: str
    # The header's aria-sort: "ascending" or "descending" on the sorted column, else "".
    aria_sort: str = ""

    @property
    def arrow(self) -> str:
        return {ASCENDING: "▲", DESCENDING: "▼"}.get(self.aria_sort, "")


@dataclass(frozen=True)
class Sort:
    column: Column
    reversed: bool

    @property
    def value(self) -> str:
        return f"-{self.column.key}" if self.reversed else self.column.key

    @property
    def order(self) -> tuple[str, ...]:
        return reverse_order(self.column.order) if self.reversed else self.column.order

    @property
    def direction(self) -> str:
        if self.reversed:
            return DESCENDING if self.column.first == ASCENDING else ASCENDING
        return self.column.first


class Sorting:
    """The sortable columns of one list and its default sort."""

    def __init__(self, *columns: Column, default: str, param: str = "sort") -> None:
        self.columns = {column.key: column for column in columns}
        self.param = param
        self.default = self._parse(default)
        assert self.default is not None, f"unknown default sort {default!r}"

    def _parse(self, value: str) -> Sort | None:
        key = value.removeprefix("-")
        column = self.columns.get(key)
        return Sort(column, value.startswith("-")) if column else None

    @property
    def values(self) -> list[str]:
        """Every sort the list takes: each key and its reverse."""
        return [v for key in self.columns for v in (key, f"-{key}")]

    def current(self, params: Mapping[str, str]) -> Sort:
        value = params.get(self.param)
        return (self._parse(value) if isinstance(value, str) else None) or self.default

    def order_by(self, params: Mapping[str, str]) -> tuple[str, ...]:
        return self.current(params).order

    def headers(self, params: QueryDict) -> dict[str, Header]:
        """{column key: Header}: a click on the sorted column turns it, on another sorts by it."""
        current = self.current(params)
        headers = {}
        for key, column in self.columns.items():
            sorted_here = current.column.key == key
            value = f"-{key}" if sorted_here and not current.reversed else key
            query = params.copy()
            query[self.param] = value
            query.pop("page", None)
            headers[key] = Header(
                key=key,
                label=column.label,
                url=f"?{query.urlencode()}",
                aria_sort=current.direction if sorted_here else "",
            )
        return headers


class ListSearchForm(forms.Form):
    """A list's search box: `q`, trimmed, at most SEARCH_MAX_LENGTH characters."""

    q = forms.CharField(
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        error_messages={"max_length": f"Search for at most {SEARCH_MAX_LENGTH} characters."},
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, params: QueryDict, *, label: str, placeholder: str = "") -> None:
        super().__init__(params if "q" in params else None)
        self.params = params
        self.fields["q"].label = label
        if placeholder:
            self.fields["q"].widget.attrs["placeholder"] = placeholder

    @property
    def text(self) -> str:
        """What to search for: "" when blank or refused (the box then shows why)."""
        return self.cleaned_data["q"] if self.is_valid() else ""

    @property
    def kept(self) -> list[tuple[str, str]]:
        """The list's other parameters (sort, tab, filters), sent again as hidden fields."""
        return [
            (name, value)
            for name, values in self.params.lists()
            if name not in ("q", "page")
            for value in values
        ]

    @property
    def clear_url(self) -> str:
        """The same list without the search."""
        return f"?{urlencode(self.kept)}"
