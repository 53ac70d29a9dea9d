"""Capacity figures: delivery load and open pipeline against the PMs' capacity, week by week."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils import timezone

from deals.models import Commitment, DealStatus
from insights.figures.results import Table
from insights.figures.stats import ratio
from insights.figures.window import Window
from projects import capacity as capacity_math
from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable
from projects.selectors import project_managers, team_capacity_by_week

CAPACITY_WEEKS = 12


def weekly_load(rows: QuerySet, start_field: str, today: date) -> dict[date, Decimal]:
    """projects.capacity's load of rows with effort_days and promised_date, week by week.

    Promises already past load this week in full, so their effort is summed in the
    database; the ones ahead are summed per (first week, promised week) and spread,
    so a team total may differ from the sum of per-PM loads by a cent.
    """
    this_week = capacity_math.week_of(today)
    overdue = rows.filter(promised_date__lt=today).aggregate(total=Sum("effort_days"))["total"]
    # The load of a promise depends only on its first and last week: spread each group once.
    groups: dict[tuple[date, date], Decimal] = defaultdict(Decimal)
    for promised, start, effort in (
        rows.filter(promised_date__gte=today)
        .values("promised_date", start_field)
        .annotate(effort=Sum("effort_days"))
        .order_by()
        .values_list("promised_date", start_field, "effort")
    ):
        first = max(this_week, capacity_math.week_of(start or today))
        groups[first, capacity_math.week_of(promised)] += effort
    load: dict[date, Decimal] = defaultdict(Decimal)
    for (first, last), effort in groups.items():
        for week, days in capacity_math.spread(effort, first, last).items():
            load[week] += days
    if overdue:
        load[this_week] += overdue
    return dict(load)


def pipeline_capacity(w: Window, today: date | None = None) -> Table:
    """Delivery load and open pipeline against capacity, week by week, from this week on."""
    today = today or timezone.localdate()
    weeks = capacity_math.next_weeks(today, CAPACITY_WEEKS)
    pms = project_managers() if w.pms is None else project_managers().filter(pk__in=w.pms)
    delivery = weekly_load(
        Deliverable.objects.filter(
            status__in=OPEN_DELIVERABLE_STATUSES, effort_days__gt=0, project__pm__in=pms
        ),
        "project__start_date",
        today,
    )
    commitments = Commitment.objects.filter(
        deal__status__in=(DealStatus.IN_REVIEW, DealStatus.SIGNED_OFF), effort_days__gt=0
    )
    if w.reps is not None:
        commitments = commitments.filter(deal__owner_id__in=w.reps)
    pipeline = weekly_load(commitments, "deal__expected_start_date", today)
    capacities = team_capacity_by_week(pms, weeks).team
    zero = capacity_math.ZERO
    rows = []
    for week in weeks:
        capacity = capacities[week]
        load = delivery.get(week, zero)
        open_pipeline = pipeline.get(week, zero)
        rows.append(
            {
                "week": f"W{week.isocalendar().week} ({week.isoformat()})",
                "delivery": load,
                "pipeline": open_pipeline,
                "capacity": capacity,
                "use": ratio(load + open_pipeline, capacity),
            }
        )
    return Table(
        key="pipeline-capacity",
        title="Pipeline effort against delivery capacity, next 12 weeks",
        columns=[
            ("week", "Week"),
            ("delivery", "Delivery load (days)"),
            ("pipeline", "Open pipeline (days)"),
            ("capacity", "Capacity (days)"),
            ("use", "Load with pipeline / capacity"),
        ],
        rows=rows,
        how=(
            "Delivery load: effort of open deliverables spread evenly over the weeks up to their "
            "promised dates. Open pipeline: effort of commitments of deals in review or signed "
            "off, spread the same way from the deal's expected start. Capacity: the PMs' "
            "person-days per week, with their exceptions. Not limited by the range; a sales team "
            "limits the pipeline to its reps' deals, a delivery team the load and capacity to "
            "its PMs."
        ),
        units={"use": "percent"},
        chart={
            "type": "bar",
            "label": "week",
            "series": ["delivery", "pipeline", "capacity"],
            "kinds": {"capacity": "line"},
            "stacked": True,
        },
    )
