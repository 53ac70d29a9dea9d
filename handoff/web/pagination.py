"""Pages of long lists whose cost does not grow with the list.

Counting every row a filter matches costs as much as reading them: about 4 ms for
100,000 deals, and more with each filter no index serves, on every page of every list.
A person paging through a list needs to know "37 deals" or "more than 10,000", not the
exact size of a big one. CappedPaginator counts at most COUNT_CAP + 1 rows; past the cap
it still pages on, and tells whether a next page exists by reading one row more.
"""

from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.formats import number_format

COUNT_CAP = 10_000
# Past the cap a page number is not checked against a count; this bounds the OFFSET.
MAX_PAGE = 1_000_000


class CappedPage(Page):
    def __init__(self, object_list: Any, number: int, paginator: Paginator, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        """Rows up to the cap, plus one when there are more: `exact` tells which."""
        rows = self.object_list
        if hasattr(rows, "order_by"):
            # Neither the order nor the annotated columns change how many rows there are.
            return rows.order_by().values("pk")[: self.cap + 1].count()
        return min(len(rows), self.cap + 1)

    @property
    def exact(self) -> bool:
        return self.count <= self.cap

    @property
    def count_label(self) -> str:
        if self.exact:
            return number_format(self.count, force_grouping=True)
        return f"more than {number_format(self.cap, force_grouping=True)}"

    @property
    def pages_label(self) -> str:
        if self.exact:
            return number_format(self.num_pages, force_grouping=True)
        return f"more than {number_format(self.cap // self.per_page, force_grouping=True)}"

    def validate_number(self, number: Any) -> int:
        if self.exact:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number > MAX_PAGE:
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if self.exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return CappedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number: Any) -> Page:
        """As Paginator.get_page, and also past the real end of a list longer than the cap."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)
