"""The value of a set of deals per currency, in one aggregate query: the deal list's total line
and the dashboard's open pipeline."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from deals.models import Deal


@dataclass(frozen=True)
class CurrencyTotal:
    """The summed value of the deals in one currency, and how many deals that is."""

    currency: str
    total: Decimal
    deals: int


def currency_sums(deals: QuerySet[Deal]) -> QuerySet:
    """One GROUP BY query: the list's order and joins are dropped, its filters kept."""
    return (
        deals.order_by()
        .values("currency")
        .annotate(total=Sum("value"), deals=Count("pk"))
        .order_by("-total", "currency")
    )


def value_by_currency(deals: QuerySet[Deal]) -> list[CurrencyTotal]:
    """Every deal of `deals` (not one page of them) summed per currency, the largest sum first."""
    rows = currency_sums(deals)
    return [
        CurrencyTotal(row["currency"], Decimal(row["total"] or 0), row["deals"]) for row in rows
    ]
