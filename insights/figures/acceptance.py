"""Customer acceptance figures: how often customers accepted what was delivered, and how they
rated it, over the requests they decided in the range."""

from django.db.models import Avg, Count, Q, QuerySet

from insights.figures.links import url_for
from insights.figures.results import Figure
from insights.figures.stats import ratio, rounded
from insights.figures.window import Window
from projects.acceptance_models import AcceptanceRequest, AcceptanceStatus

DECIDED = (AcceptanceStatus.ACCEPTED, AcceptanceStatus.DECLINED)

ACCEPTANCE_HOW = (
    "Customer acceptance requests decided in the range (accepted or declined through their "
    "link): accepted out of decided, and the customers' average rating from 1 to 5. Pending, "
    "expired and cancelled requests count neither way."
)


def decided_in(w: Window) -> QuerySet[AcceptanceRequest]:
    """Requests the customer decided in the range, over the window's people."""
    requests = AcceptanceRequest.objects.filter(
        status__in=DECIDED, decided_at__gte=w.start_at, decided_at__lt=w.end_at
    )
    if w.reps is not None:
        requests = requests.filter(deliverable__project__deal__owner_id__in=w.reps)
    if w.pms is not None:
        requests = requests.filter(deliverable__project__pm_id__in=w.pms)
    return requests


def acceptance_figures(w: Window) -> list[Figure]:
    """Acceptance rate and customer satisfaction; one query."""
    row = decided_in(w).aggregate(
        decided=Count("pk"),
        accepted=Count("pk", filter=Q(status=AcceptanceStatus.ACCEPTED)),
        rating=Avg("rating"),
    )
    decided, accepted = row["decided"], row["accepted"]
    url = url_for("projects:acceptance_list")
    return [
        Figure(
            key="acceptance_rate",
            label="Accepted by customers",
            value=ratio(accepted, decided),
            unit="percent",
            how=ACCEPTANCE_HOW,
            url=url,
            detail=f"{accepted} of {decided} decided deliverables",
        ),
        Figure(
            key="customer_satisfaction",
            label="Customer rating",
            value=rounded(
                float(row["rating"]) if decided and row["rating"] is not None else None, 2
            ),
            unit="decimal",
            how=ACCEPTANCE_HOW,
            url=url,
            detail=f"out of 5, from {decided} ratings",
        ),
    ]
