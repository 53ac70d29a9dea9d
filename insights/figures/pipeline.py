"""The open pipeline: the value of the deals in review or signed off right now, per currency."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import OuterRef, Subquery

from deals.models import Deal, DealStatus, ReviewRound
from deals.totals import CurrencyTotal, value_by_currency
from insights.figures.links import deals_url
from insights.figures.window import Window, owner_param

OPEN_STATUSES = (DealStatus.IN_REVIEW, DealStatus.SIGNED_OFF)


@dataclass(frozen=True)
class Pipeline:
    """The open deals' value in each currency, and the deal list filtered to them."""

    totals: list[CurrencyTotal]
    url: str

    @property
    def deals(self) -> int:
        return sum(total.deals for total in self.totals)


def open_pipeline(w: Window) -> Pipeline:
    """Not limited by the range, like the deals in review now; one query.

    A sales team's pipeline is its reps' deals; a delivery team's, the deals whose latest
    round one of its PMs reviews or reviewed.
    """
    deals = Deal.objects.filter(status__in=OPEN_STATUSES)
    if w.reps is not None:
        deals = deals.filter(owner_id__in=w.reps)
    if w.pms is not None:
        latest = ReviewRound.objects.filter(deal=OuterRef("pk")).order_by("-number")
        deals = deals.alias(reviewer=Subquery(latest.values("reviewer_id")[:1])).filter(
            reviewer__in=w.pms
        )
    query = [("status", status) for status in OPEN_STATUSES]
    if (owner := owner_param(w)) is not None:
        query.append(("owner", owner))
    return Pipeline(value_by_currency(deals), f"{deals_url()}?{urlencode(query)}")
