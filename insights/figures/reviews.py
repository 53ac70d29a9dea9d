"""Review figures: rounds in review, turnaround, SLA breaches, first-pass approval, escalations.

Each range filters on an indexed column (ReviewRound.submitted_at, Escalation.raised_at).
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from deals.models import Deal, DealStatus, Escalation, EscalationDecision, ReviewRound, RoundOutcome
from handoff.calendar import working_days_between
from insights.figures.links import deals_url
from insights.figures.results import Figure, Table
from insights.figures.stats import median, percentile, ratio
from insights.figures.window import Window, owner_param

DECIDED_OUTCOMES = (RoundOutcome.CHANGES_REQUESTED, RoundOutcome.SIGNED_OFF)


def rounds_in(w: Window) -> QuerySet[ReviewRound]:
    rounds = ReviewRound.objects.filter(submitted_at__gte=w.start_at, submitted_at__lt=w.end_at)
    if w.reps is not None:
        rounds = rounds.filter(deal__owner_id__in=w.reps)
    if w.pms is not None:
        rounds = rounds.filter(reviewer_id__in=w.pms)
    return rounds


def deals_in_review(w: Window) -> Figure:
    deals = Deal.objects.filter(status=DealStatus.IN_REVIEW)
    if w.reps is not None:
        deals = deals.filter(owner_id__in=w.reps)
    if w.pms is not None:
        deals = deals.filter(
            Exists(
                ReviewRound.objects.filter(
                    deal=OuterRef("pk"), decided_at__isnull=True, reviewer_id__in=w.pms
                )
            )
        )
    return Figure(
        key="deals_in_review",
        label="Deals in review now",
        value=deals.count(),
        unit="count",
        how="Deals whose status is in review right now, whatever the range.",
        url=deals_url(status=DealStatus.IN_REVIEW, owner=owner_param(w)),
    )


def decided_rounds(w: Window) -> list[tuple[datetime, datetime]]:
    """(submitted at, decided at) of each round submitted in the range and decided."""
    return list(
        rounds_in(w)
        .filter(outcome__in=DECIDED_OUTCOMES)
        .order_by()
        .values_list("submitted_at", "decided_at")
    )


def turnaround_days(w: Window, pairs: list[tuple[datetime, datetime]] | None = None) -> list[float]:
    """Working days from submission to decision of each round submitted in the range."""
    pairs = decided_rounds(w) if pairs is None else pairs
    tz = timezone.get_current_timezone()
    return [working_days_between(submitted, decided, tz) for submitted, decided in pairs]


def review_turnaround(w: Window, durations: list[float] | None = None) -> list[Figure]:
    durations = turnaround_days(w) if durations is None else durations
    how = (
        "Review rounds submitted in the range and decided (signed off or changes requested): "
        "working days from submission to decision, weekends not counted: {}."
    )
    detail = f"{len(durations)} decided rounds"
    url = deals_url(owner=owner_param(w))
    return [
        Figure(
            key="review_turnaround_median_days",
            label="Review turnaround, median",
            value=median(durations),
            unit="days",
            how=how.format("the middle value"),
            url=url,
            detail=detail,
        ),
        Figure(
            key="review_turnaround_p90_days",
            label="Review turnaround, 90th percentile",
            value=percentile(durations, 0.9),
            unit="days",
            how=how.format("9 rounds in 10 took at most this"),
            url=url,
            detail=detail,
        ),
    ]


def open_past_due(w: Window) -> int:
    """Rounds submitted in the range still open past their due time, now (the open rounds'
    partial index)."""
    return rounds_in(w).filter(decided_at__isnull=True, due_at__lt=timezone.now()).count()


def sla_breaches(w: Window, counts: dict[str, int] | None = None) -> Figure:
    """counts: {"total", "breached"} when already summed (insights.figures.summarised)."""
    if counts is None:
        now = timezone.now()
        counts = rounds_in(w).aggregate(
            total=Count("pk"),
            breached=Count(
                "pk",
                filter=Q(decided_at__gt=F("due_at")) | Q(decided_at__isnull=True, due_at__lt=now),
            ),
        )
    return Figure(
        key="sla_breaches",
        label="Review SLA breaches",
        value=counts["breached"] if counts["total"] else None,
        unit="count",
        how=(
            "Review rounds submitted in the range that were decided after their due time, "
            "or are still open past it."
        ),
        url=deals_url(status=DealStatus.IN_REVIEW, owner=owner_param(w)),
        detail=f"of {counts['total']} rounds" if counts["total"] else "no rounds in the range",
    )


def first_pass_approval(w: Window, counts: dict[str, int] | None = None) -> Figure:
    """counts: {"decided", "signed"} when already summed (insights.figures.summarised)."""
    if counts is None:
        counts = (
            rounds_in(w)
            .filter(number=1, outcome__in=DECIDED_OUTCOMES)
            .aggregate(
                decided=Count("pk"),
                signed=Count("pk", filter=Q(outcome=RoundOutcome.SIGNED_OFF)),
            )
        )
    return Figure(
        key="first_pass_approval_rate",
        label="First-pass approval rate",
        value=ratio(counts["signed"], counts["decided"]),
        unit="percent",
        how=(
            "Deals first submitted in the range whose first review round was signed off, "
            "out of those whose first round is decided."
        ),
        url=deals_url(status=DealStatus.SIGNED_OFF, owner=owner_param(w)),
        detail=f"{counts['signed']} of {counts['decided']} deals",
    )


def turnaround_by_week(
    w: Window,
    pairs: list[tuple[datetime, datetime]] | None = None,
    durations: list[float] | None = None,
) -> Table:
    """Median turnaround of the rounds submitted each week of the range."""
    pairs = decided_rounds(w) if pairs is None else pairs
    durations = turnaround_days(w, pairs) if durations is None else durations
    tz = timezone.get_current_timezone()
    days = [submitted.astimezone(tz).date() for submitted, _ in pairs]
    return turnaround_table(list(zip(days, durations, strict=True)))


def turnaround_table(dated: list[tuple[date, float]]) -> Table:
    """The by-week table from (day of submission, working days) of each decided round."""
    by_week: dict[date, list[float]] = defaultdict(list)
    for day, days in dated:
        by_week[day - timedelta(days=day.weekday())].append(days)
    rows = [
        {
            "week": week.isoformat(),
            "rounds": len(by_week[week]),
            "median_days": median(by_week[week]),
            "p90_days": percentile(by_week[week], 0.9),
        }
        for week in sorted(by_week)
    ]
    return Table(
        key="review-turnaround",
        title="Review turnaround by week of submission",
        columns=[
            ("week", "Week of"),
            ("rounds", "Decided rounds"),
            ("median_days", "Median (working days)"),
            ("p90_days", "90th percentile (working days)"),
        ],
        rows=rows,
        how="Rounds grouped by the Monday of the week they were submitted.",
        units={"median_days": "decimal", "p90_days": "decimal"},
        chart={"type": "line", "label": "week", "series": ["median_days", "p90_days"]},
    )


def escalations(w: Window) -> tuple[Figure, Table]:
    found = Escalation.objects.filter(raised_at__gte=w.start_at, raised_at__lt=w.end_at)
    if w.reps is not None:
        found = found.filter(deal__owner_id__in=w.reps)
    if w.pms is not None:
        found = found.filter(verdict__decided_by_id__in=w.pms)
    counts = found.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(decision=EscalationDecision.PENDING)),
        upheld=Count("pk", filter=Q(decision=EscalationDecision.UPHELD)),
        overruled=Count("pk", filter=Q(decision=EscalationDecision.OVERRULED)),
    )
    owner = owner_param(w)
    figure = Figure(
        key="escalations",
        label="Escalations",
        value=counts["total"],
        unit="count",
        how="Flags that reps escalated in the range, and what managers decided.",
        url=deals_url(status=DealStatus.CHANGES_REQUESTED, owner=owner),
        detail=(
            f"{counts['open']} open, {counts['upheld']} upheld, {counts['overruled']} overruled"
        ),
    )
    table = Table(
        key="escalations",
        title="Escalations and their outcomes",
        columns=[("outcome", "Outcome"), ("count", "Escalations"), ("share", "Share")],
        rows=[
            {"outcome": label, "count": counts[key], "share": ratio(counts[key], counts["total"])}
            for key, label in (("open", "Open"), ("upheld", "Upheld"), ("overruled", "Overruled"))
        ],
        how=figure.how,
        units={"share": "percent"},
        chart={"type": "doughnut", "label": "outcome", "series": ["count"]},
    )
    return figure, table
