"""Promise tracking: whether what sales promised was delivered, in one place.

- kept: delivered on or before the promised date.
- late: still open (planned, in progress, at risk) after the promised date;
  shown as late without anyone marking it.
- resolved: delivered or missed. Descoped promises were withdrawn by
  agreement and count neither way.
- slip: for a resolved promise, the days past its promised date (delivered on,
  or the day it was marked missed, minus the promised date). Early delivery
  counts as 0, so an early delivery never hides another one's lateness.
- kept rate: kept / resolved; average slip: mean slip over resolved promises.
  Both are None when nothing is resolved yet.
- as sold and as renegotiated: an approved change request gives a promise a new date or
  effort, or withdraws it, while the sold promise stays. Kept as sold compares the delivery
  with the sold date, and counts a promise withdrawn by a change as not kept; kept as
  renegotiated compares it with the date agreed last, and leaves withdrawn ones out.

Every function takes a Deliverable queryset, so the dashboard reuses them on
whatever slice it needs (a team, a period).
"""

from datetime import date

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects.models import (
    OPEN_DELIVERABLE_STATUSES,
    RESOLVED_DELIVERABLE_STATUSES,
    Deliverable,
    DeliverableStatus,
)

KEPT = Q(status=DeliverableStatus.DELIVERED, delivered_on__lte=F("promised_date"))
RESOLVED = Q(status__in=RESOLVED_DELIVERABLE_STATUSES)
KEPT_AS_RENEGOTIATED = Q(
    status=DeliverableStatus.DELIVERED,
    delivered_on__lte=Coalesce(F("renegotiated_date"), F("promised_date")),
)
RESOLVED_AS_SOLD = RESOLVED | Q(descoped_by_change=True)
RENEGOTIATED = (
    Q(renegotiated_date__isnull=False)
    | Q(renegotiated_effort_days__isnull=False)
    | Q(descoped_by_change=True)
)


def late_q(today: date | None = None) -> Q:
    return Q(status__in=OPEN_DELIVERABLE_STATUSES, promised_date__lt=today or timezone.localdate())


def slip_days(promised_date: date, resolved_on: date) -> int:
    return max(0, (resolved_on - promised_date).days)


def _summary(kept: int, resolved: int, avg_slip: float | None) -> dict:
    return {
        "kept": kept,
        "resolved": resolved,
        "kept_rate": kept / resolved if resolved else None,
        "avg_slip_days": float(avg_slip) if resolved and avg_slip is not None else None,
    }


def _aggregates(today: date) -> dict:
    return {
        "kept": Count("pk", filter=KEPT),
        "resolved": Count("pk", filter=RESOLVED),
        "avg_slip": Avg("slip_days", filter=RESOLVED),
        "late": Count("pk", filter=late_q(today)),
    }


def _summary_of(row: dict, prefix: str = "") -> dict:
    """The summary from a row of _aggregates, their names under `prefix`."""
    return {
        **_summary(row[f"{prefix}kept"], row[f"{prefix}resolved"], row[f"{prefix}avg_slip"]),
        "late": row[f"{prefix}late"],
    }


def promise_summary(deliverables: QuerySet[Deliverable], today: date | None = None) -> dict:
    """{"kept", "resolved", "kept_rate", "avg_slip_days", "late"} over the deliverables."""
    today = today or timezone.localdate()
    return _summary_of(deliverables.order_by().aggregate(**_aggregates(today)))


def promise_summary_by(
    deliverables: QuerySet[Deliverable], field: str, today: date | None = None
) -> dict:
    """The same summary grouped by a field path: {value: summary}, in one query."""
    today = today or timezone.localdate()
    rows = deliverables.order_by().values(field).annotate(**_aggregates(today))
    return {row[field]: _summary_of(row) for row in rows}


def by_project(deliverables: QuerySet[Deliverable], today: date | None = None) -> dict:
    return promise_summary_by(deliverables, "project_id", today)


def by_rep(deliverables: QuerySet[Deliverable], today: date | None = None) -> dict:
    """Keyed by the user id of the rep who owned the won deal."""
    return promise_summary_by(deliverables, "project__deal__owner_id", today)


def by_pm(deliverables: QuerySet[Deliverable], today: date | None = None) -> dict:
    """Keyed by the user id of the project's PM."""
    return promise_summary_by(deliverables, "project__pm_id", today)


def deliverable_summary(deliverable: Deliverable) -> dict:
    """One deliverable's own figures, in the same shape."""
    resolved = deliverable.status in RESOLVED_DELIVERABLE_STATUSES
    kept = int(deliverable.is_kept)
    return {
        **_summary(kept, int(resolved), deliverable.slip_days if resolved else None),
        "late": int(deliverable.is_late),
    }


def _rate(kept: int, resolved: int) -> dict:
    return {"kept": kept, "resolved": resolved, "kept_rate": kept / resolved if resolved else None}


def _both_aggregates() -> dict:
    return {
        "sold_kept": Count("pk", filter=KEPT),
        "sold_resolved": Count("pk", filter=RESOLVED_AS_SOLD),
        "kept": Count("pk", filter=KEPT_AS_RENEGOTIATED),
        "resolved": Count("pk", filter=RESOLVED),
        "changed": Count("pk", filter=RENEGOTIATED),
    }


def _both(row: dict) -> dict:
    return {
        "sold": _rate(row["sold_kept"], row["sold_resolved"]),
        "renegotiated": _rate(row["kept"], row["resolved"]),
        "changed": row["changed"],
    }


def sold_and_renegotiated(deliverables: QuerySet[Deliverable]) -> dict:
    """{"sold": {...}, "renegotiated": {...}, "changed": n}: kept, resolved and kept rate as
    sold and as renegotiated, and how many promises changed after the win; one query."""
    return _both(deliverables.order_by().aggregate(**_both_aggregates()))


def summary_and_both(
    deliverables: QuerySet[Deliverable], today: date | None = None
) -> tuple[dict, dict]:
    """promise_summary and sold_and_renegotiated of the same deliverables, in one query."""
    today = today or timezone.localdate()
    summary = {f"summary_{k}": v for k, v in _aggregates(today).items()}
    row = deliverables.order_by().aggregate(**summary, **_both_aggregates())
    return _summary_of(row, prefix="summary_"), _both(row)
