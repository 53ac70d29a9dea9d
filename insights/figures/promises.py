"""Promise figures: kept rate and slip of the deliverables due in the range, by rep and by PM.

The promise rules themselves are projects.promises'.
"""

from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from deals.models import DealStatus
from handoff.models import User
from insights.figures.links import deals_url, url_for
from insights.figures.results import PAGE_ROWS, Figure, Table
from insights.figures.stats import rounded
from insights.figures.window import Window, owner_param
from projects import promises as promise_rules
from projects.models import RESOLVED_DELIVERABLE_STATUSES, Deliverable, DeliverableStatus

# Descoped promises count neither way; leaving them out lets (status, promised_date) serve.
PROMISE_STATUSES = tuple(s for s in DeliverableStatus.values if s != DeliverableStatus.DESCOPED)

# Calibration: delivered by the date history suggested; promised earlier than it.
DELIVERED_BY_SUGGESTION = Q(
    status=DeliverableStatus.DELIVERED, delivered_on__lte=F("commitment__suggested_date")
)
AGAINST = Q(promised_date__lt=F("commitment__suggested_date"))


def promise_aggregates(today: date | None = None) -> dict[str, Any]:
    """Every count the promise and calibration figures take over deliverables, as
    projects.promises defines them: one aggregate for the figures, summed per day by the
    summaries."""
    resolved = promise_rules.RESOLVED
    suggested = Q(
        status__in=RESOLVED_DELIVERABLE_STATUSES, commitment__suggested_date__isnull=False
    )
    return {
        "kept": Count("pk", filter=promise_rules.KEPT),
        "resolved": Count("pk", filter=resolved),
        "slip_total": Sum("slip_days", filter=resolved),
        "slip_count": Count("slip_days", filter=resolved),
        "late": Count("pk", filter=promise_rules.late_q(today)),
        "sold_resolved": Count("pk", filter=promise_rules.RESOLVED_AS_SOLD),
        "renegotiated_kept": Count("pk", filter=promise_rules.KEPT_AS_RENEGOTIATED),
        "changed": Count("pk", filter=promise_rules.RENEGOTIATED),
        "suggested": Count("pk", filter=suggested),
        "suggestion_held": Count("pk", filter=suggested & DELIVERED_BY_SUGGESTION),
        "against_suggestion": Count("pk", filter=suggested & AGAINST),
        "against_suggestion_missed": Count("pk", filter=suggested & AGAINST & ~promise_rules.KEPT),
        "suggestion_taken": Count("pk", filter=suggested & Q(commitment__suggestion_taken=True)),
    }


PROMISE_COUNTS = tuple(promise_aggregates())


def summary_of(sums: dict[str, Any]) -> dict[str, Any]:
    """projects.promises.promise_summary's shape from promise_aggregates' counts."""
    kept, resolved = sums["kept"], sums["resolved"]
    slip = (sums["slip_total"] or 0) / sums["slip_count"] if sums["slip_count"] else None
    return {
        "kept": kept,
        "resolved": resolved,
        "kept_rate": kept / resolved if resolved else None,
        "avg_slip_days": float(slip) if resolved and slip is not None else None,
        "late": sums["late"],
    }


def sold_of(sums: dict[str, Any]) -> dict[str, Any]:
    """sold_and_renegotiated's "sold" from promise_aggregates' counts."""
    kept, resolved = sums["kept"], sums["sold_resolved"]
    return {"kept": kept, "resolved": resolved, "kept_rate": kept / resolved if resolved else None}


def promises_due(first: date, last: date) -> QuerySet[Deliverable]:
    """Promises whose promised (sold) date falls from first to last; of the descoped, only
    those withdrawn by a change request, which as sold count as not kept."""
    return Deliverable.objects.filter(
        Q(status__in=PROMISE_STATUSES) | Q(descoped_by_change=True),
        promised_date__gte=first,
        promised_date__lte=last,
    )


def deliverables_in(w: Window) -> QuerySet[Deliverable]:
    """The range's promises (promises_due), over the window's people."""
    deliverables = promises_due(w.start, w.end)
    if w.reps is not None:
        deliverables = deliverables.filter(project__deal__owner_id__in=w.reps)
    if w.pms is not None:
        deliverables = deliverables.filter(project__pm_id__in=w.pms)
    return deliverables


PROMISE_HOW = (
    "Promises (deliverables) due in the range: kept = delivered on or before the promised "
    "date, out of those delivered or missed; slip = days past the promised date, early = 0."
)
SOLD_HOW = (
    "Promises due in the range, against the date sold with the deal: kept = delivered on or "
    "before it, out of those delivered, missed or withdrawn by a change request after the win."
)
RENEGOTIATED_HOW = (
    "Promises due in the range, against the date agreed last: a change request approved after "
    "the win moves it; kept = delivered on or before it, out of those delivered or missed. "
    "Promises withdrawn by agreement count neither way."
)


def promise_figures(
    w: Window, summary: dict | None = None, sold: dict | None = None
) -> list[Figure]:
    """summary and sold: projects.promises' promise_summary and sold_and_renegotiated's
    "sold", when already summed (insights.figures.summarised)."""
    if summary is None or sold is None:
        sums = deliverables_in(w).order_by().aggregate(**promise_aggregates())
        summary, sold = summary_of(sums), sold_of(sums)
    owner = owner_param(w)
    return [
        Figure(
            key="kept_rate",
            label="Promises kept as sold",
            value=rounded(sold["kept_rate"]),
            unit="percent",
            how=SOLD_HOW,
            url=deals_url(status=DealStatus.WON, owner=owner),
            detail=f"{sold['kept']} of {sold['resolved']} resolved promises",
        ),
        Figure(
            key="avg_slip_days",
            label="Average slip",
            value=rounded(summary["avg_slip_days"], 2),
            unit="days",
            how=PROMISE_HOW,
            url=deals_url(status=DealStatus.WON, owner=owner),
            detail=f"{summary['late']} open past their date",
        ),
    ]


def _promise_table(key: str, title: str, who: str, summaries: dict, names: dict) -> Table:
    rows = []
    for user_id, summary in sorted(summaries.items(), key=lambda kv: names[kv[0]].username):
        person = names[user_id]
        rows.append(
            {
                who: person.display_name,
                f"{who}_url": url_for("scorecard", person.username),
                "resolved": summary["resolved"],
                "kept": summary["kept"],
                "kept_rate": rounded(summary["kept_rate"]),
                "avg_slip_days": rounded(summary["avg_slip_days"], 2),
                "late": summary["late"],
                "resolved_url": deals_url(status=DealStatus.WON, owner=user_id)
                if who == "rep"
                else "",
            }
        )
    return Table(
        key=key,
        title=title,
        columns=[
            (who, "Rep" if who == "rep" else "Project manager"),
            ("resolved", "Resolved promises"),
            ("kept", "Kept"),
            ("kept_rate", "Kept rate"),
            ("avg_slip_days", "Average slip (days)"),
            ("late", "Open past date"),
        ],
        rows=rows,
        how=PROMISE_HOW,
        units={"kept_rate": "percent", "avg_slip_days": "decimal"},
        chart={"type": "bar", "label": who, "series": ["kept_rate"]},
        shown=PAGE_ROWS,
        rank="resolved",
    )


def promise_tables(
    w: Window, per_rep: dict | None = None, per_pm: dict | None = None
) -> list[Table]:
    """per_rep and per_pm: projects.promises' by_rep and by_pm, when already summed."""
    if per_rep is None or per_pm is None:
        deliverables = deliverables_in(w)
        per_rep = promise_rules.by_rep(deliverables)
        per_pm = promise_rules.by_pm(deliverables)
    names = User.objects.in_bulk([*per_rep, *per_pm]) if per_rep or per_pm else {}
    return [
        _promise_table("kept-by-rep", "Promises kept by rep", "rep", per_rep, names),
        _promise_table("kept-by-pm", "Promises kept by project manager", "pm", per_pm, names),
    ]


def renegotiated_figure(w: Window) -> Figure:
    """The kept rate against the promises as renegotiated after the win."""
    both = promise_rules.sold_and_renegotiated(deliverables_in(w))
    again = both["renegotiated"]
    changed = both["changed"]
    return Figure(
        key="kept_rate_renegotiated",
        label="Promises kept as renegotiated",
        value=rounded(again["kept_rate"]),
        unit="percent",
        how=RENEGOTIATED_HOW,
        url=deals_url(status=DealStatus.WON, owner=owner_param(w)),
        detail=f"{again['kept']} of {again['resolved']} resolved promises; "
        f"{changed} changed after the win",
    )
