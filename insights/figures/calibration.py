"""Calibration figures: how often the date history suggested held, and how often promises
made earlier than the suggestion were missed.

Over the resolved promises due in the range whose commitment recorded a suggested date
(deals.promise_advice, projects.calibration). One aggregate query.
"""

from django.db.models import Count, F, Q

from deals.models import DealStatus
from insights.figures.links import deals_url
from insights.figures.promises import AGAINST, DELIVERED_BY_SUGGESTION, deliverables_in
from insights.figures.results import Figure
from insights.figures.stats import rounded
from insights.figures.window import Window, owner_param
from projects.models import RESOLVED_DELIVERABLE_STATUSES, DeliverableStatus

CALIBRATION_HOW = (
    "Resolved promises due in the range whose commitment recorded the date history suggested "
    "(the date 80 % of similar promises met): held = delivered on or before that date; "
    "against the suggestion = promised earlier than it, missed = not delivered by the promised "
    "date. A well-calibrated suggestion holds about 80 % of the time."
)

_KEPT = Q(status=DeliverableStatus.DELIVERED, delivered_on__lte=F("promised_date"))


def calibration_figures(w: Window, counts: dict[str, int] | None = None) -> list[Figure]:
    """counts: {"suggested", "held", "against", "against_missed", "taken"} when already
    summed (insights.figures.summarised)."""
    if counts is None:
        counts = (
            deliverables_in(w)
            .filter(
                status__in=RESOLVED_DELIVERABLE_STATUSES, commitment__suggested_date__isnull=False
            )
            .aggregate(
                suggested=Count("pk"),
                held=Count("pk", filter=DELIVERED_BY_SUGGESTION),
                against=Count("pk", filter=AGAINST),
                against_missed=Count("pk", filter=AGAINST & ~_KEPT),
                taken=Count("pk", filter=Q(commitment__suggestion_taken=True)),
            )
        )
    suggested, against = counts["suggested"], counts["against"]
    url = deals_url(status=DealStatus.WON, owner=owner_param(w))
    return [
        Figure(
            key="suggestion_held_rate",
            label="Suggested dates held",
            value=rounded(counts["held"] / suggested) if suggested else None,
            unit="percent",
            how=CALIBRATION_HOW,
            url=url,
            detail=f"{counts['held']} of {suggested} resolved promises with a suggested date; "
            f"{counts['taken']} took it",
        ),
        Figure(
            key="against_suggestion_missed_rate",
            label="Promises against the suggestion missed",
            value=rounded(counts["against_missed"] / against) if against else None,
            unit="percent",
            how=CALIBRATION_HOW,
            url=url,
            detail=f"{counts['against_missed']} of {against} promised earlier than suggested",
        ),
    ]
