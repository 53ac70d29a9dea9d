"""The open pipeline: the value of the deals in review or signed off right now, per currency.

Computed with the dashboard's other figures and stored with them as the `open-pipeline` table
(one row per currency), so the page reads it like the rest instead of summing every open deal.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import OuterRef, Subquery

from deals.models import PIPELINE_STATUSES, Deal, ReviewRound
from deals.totals import CurrencyTotal, value_by_currency
from insights.figures.links import deals_url
from insights.figures.results import Table
from insights.figures.window import Window, owner_param

PIPELINE_TABLE = "open-pipeline"


@dataclass(frozen=True)
class Pipeline:
    """The open deals' value in each currency, and the deal list filtered to them."""

    totals: list[CurrencyTotal]
    url: str

    @property
    def deals(self) -> int:
        return sum(total.deals for total in self.totals)


def pipeline_url(w: Window) -> str:
    query = [("status", status) for status in PIPELINE_STATUSES]
    if (owner := owner_param(w)) is not None:
        query.append(("owner", owner))
    return f"{deals_url()}?{urlencode(query)}"


def open_pipeline(w: Window) -> Pipeline:
    """Not limited by the range, like the deals in review now; one query.

    A sales team's pipeline is its reps' deals; a delivery team's, the deals whose latest
    round one of its PMs reviews or reviewed.
    """
    deals = Deal.objects.filter(status__in=PIPELINE_STATUSES)
    if w.reps is not None:
        deals = deals.filter(owner_id__in=w.reps)
    if w.pms is not None:
        latest = ReviewRound.objects.filter(deal=OuterRef("pk")).order_by("-number")
        deals = deals.alias(reviewer=Subquery(latest.values("reviewer_id")[:1])).filter(
            reviewer__in=w.pms
        )
    return Pipeline(value_by_currency(deals), pipeline_url(w))


def pipeline_table(w: Window) -> Table:
    """The open pipeline as a table to store, export and serve like the dashboard's others."""
    pipeline = open_pipeline(w)
    return Table(
        key=PIPELINE_TABLE,
        title="Open pipeline by currency",
        columns=[("currency", "Currency"), ("value", "Value"), ("deals", "Deals")],
        rows=[
            {"currency": t.currency, "value": t.total, "deals": t.deals} for t in pipeline.totals
        ],
        how=(
            "The value of the deals in review or signed off right now, whatever the range, in "
            "each currency; a sales team's are its reps' deals, a delivery team's those whose "
            "latest round one of its PMs reviews or reviewed."
        ),
        units={"deals": "count"},
    )


def pipeline_from(table: Table, w: Window) -> Pipeline:
    """The stored table back as the line under the headline figures."""
    return Pipeline(
        [CurrencyTotal(r["currency"], Decimal(r["value"]), r["deals"]) for r in table.rows],
        pipeline_url(w),
    )
