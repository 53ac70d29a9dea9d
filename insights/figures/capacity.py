"""Capacity figures: delivery load and open pipeline against the PMs' capacity, week by week."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Case, DateField, Q, QuerySet, Sum, When
from django.db.models.functions import TruncWeek
from django.utils import timezone

from deals.models import PIPELINE_STATUSES, Commitment
from insights.figures.results import Table
from insights.figures.stats import ratio
from insights.figures.window import Window
from projects import capacity as capacity_math
from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable
from projects.selectors import project_managers, team_capacity_by_week

CAPACITY_WEEKS = 12


def weekly_groups(rows: QuerySet, start_field: str, today: date) -> QuerySet:
    """(week promised, week it starts, effort) of the rows, summed; both weeks None for the
    promises already past. The week of the date when ahead: TruncWeek outside the Case, so
    that its conversion of PostgreSQL's timestamp back to a date applies."""
    ahead = Q(promised_date__gte=today)
    return (
        rows.order_by()
        .annotate(
            due_week=TruncWeek(Case(When(ahead, then="promised_date"), output_field=DateField())),
            start_week=TruncWeek(Case(When(ahead, then=start_field), output_field=DateField())),
        )
        .values("due_week", "start_week")
        .annotate(effort=Sum("effort_days"))
        .values_list("due_week", "start_week", "effort")
    )


def weekly_load(rows: QuerySet, start_field: str, today: date) -> dict[date, Decimal]:
    """projects.capacity's load of rows with effort_days and promised_date, week by week.

    Promises already past load this week in full, so their effort is summed in one group;
    the ones ahead are summed per (week it starts, week it is promised) and spread, so a team
    total may differ from the sum of per-PM loads by a cent. One scan of the rows, grouped in
    the database by weeks (Mondays, as week_of): the past ones fall in the group whose week is
    None, since a promised date is never empty.
    """
    this_week = capacity_math.week_of(today)
    # Efforts have the field's decimal places (tenths of a day); SQLite sums them as floats,
    # which a spread to the cent would show.
    step = Decimal(1).scaleb(-rows.model._meta.get_field("effort_days").decimal_places)
    overdue = Decimal(0)
    # The load of a promise depends only on its first and last week: spread each group once.
    groups: dict[tuple[date, date], Decimal] = defaultdict(Decimal)
    for due_week, start_week, total in weekly_groups(rows, start_field, today):
        effort = Decimal(total).quantize(step)
        if due_week is None:
            overdue += effort
            continue
        groups[max(this_week, start_week or this_week), due_week] += effort
    return load_of_groups(groups, overdue, this_week)


def load_of_groups(
    groups: dict[tuple[date, date], Decimal], overdue: Decimal, this_week: date
) -> dict[date, Decimal]:
    """Each (first week, last week) group's effort spread over its weeks, and what is overdue
    put in this week."""
    load: dict[date, Decimal] = defaultdict(Decimal)
    for (first, last), effort in groups.items():
        for week, days in capacity_math.spread(effort, first, last).items():
            load[week] += days
    if overdue:
        load[this_week] += overdue
    return dict(load)


DELIVERY_START = "project__start_date"
PIPELINE_START = "deal__expected_start_date"


def _pms(w: Window) -> QuerySet:
    return project_managers() if w.pms is None else project_managers().filter(pk__in=w.pms)


def delivery_deliverables(w: Window) -> QuerySet[Deliverable]:
    """The open deliverables with effort of the window's active PMs' projects.

    Read whole from deliverable_open_load_idx, which holds only the open ones."""
    return Deliverable.objects.filter(
        status__in=OPEN_DELIVERABLE_STATUSES, effort_days__gt=0, project__pm__in=_pms(w)
    )


def pipeline_commitments(w: Window) -> QuerySet[Commitment]:
    """The commitments with effort of the deals in review or signed off (the window's reps').

    Read deal by deal through commitment_deal_load_idx, which holds their date and effort."""
    commitments = Commitment.objects.filter(deal__status__in=PIPELINE_STATUSES, effort_days__gt=0)
    if w.reps is not None:
        commitments = commitments.filter(deal__owner_id__in=w.reps)
    return commitments


def pipeline_capacity(w: Window, today: date | None = None) -> Table:
    """Delivery load and open pipeline against capacity, week by week, from this week on."""
    today = today or timezone.localdate()
    weeks = capacity_math.next_weeks(today, CAPACITY_WEEKS)
    pms = _pms(w)
    delivery = weekly_load(delivery_deliverables(w), DELIVERY_START, today)
    pipeline = weekly_load(pipeline_commitments(w), PIPELINE_START, today)
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
