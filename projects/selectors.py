"""Reads scoped to the user. Pages and the API call these, so one rule covers both.

A rep sees the projects of own deals; PMs and managers see every project.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from deals.filters import deals_matching
from deals.models import Deal, DealStatus
from handoff import settled_cache
from handoff.models import Role, User
from handoff.roles import can_review, is_manager, is_pm, is_sales
from projects import capacity as math
from projects.change_reads import deal_change_rows
from projects.models import (
    HOURS_PER_DAY,
    OPEN_DELIVERABLE_STATUSES,
    CapacityException,
    Deliverable,
    DeliverableStatus,
    PMCapacity,
    Project,
    ProjectEvent,
    TimeEntry,
    default_weekly_capacity,
)
from projects.promises import late_q, summary_and_both
from projects.tentative import deal_tentative_load, minus, tentative_load

DEAL_PROMISES_TEMPLATE = "projects/partials/deal_promises.html"
CAPACITY_CHECK_TEMPLATE = "projects/partials/capacity_check.html"


def projects_visible_to(user: User) -> QuerySet[Project]:
    projects = Project.objects.select_related("deal__client", "deal__owner", "pm")
    if is_manager(user) or is_pm(user):
        return projects
    if is_sales(user):
        return projects.filter(deal__owner=user)
    return projects.none()


def project_get_for_user(user: User, pk: int | str) -> Project:
    """The project, or 404 when the user may not see it."""
    return get_object_or_404(projects_visible_to(user), pk=pk)


def deliverables_visible_to(user: User) -> QuerySet[Deliverable]:
    return Deliverable.objects.filter(
        project__in=projects_visible_to(user).values("pk")
    ).select_related("project__deal", "project__pm")


def deliverable_get_for_user(user: User, pk: int | str) -> Deliverable:
    return get_object_or_404(deliverables_visible_to(user), pk=pk)


def _deliverable_count(condition: Q) -> Coalesce:
    """Deliverables of the project that meet `condition`, counted for the rows shown only.

    A join with Count() would group every visible project before the page is cut.
    """
    counted = (
        Deliverable.objects.filter(condition, project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted[:1]), 0)


def project_list(
    user: User,
    *,
    status: str = "",
    pm: int | str | None = None,
    at_risk: bool = False,
    late: bool = False,
    deal: int | str | None = None,
    q: str = "",
    today: date | None = None,
) -> QuerySet[Project]:
    """The list page and API: filtered (q: the deal's title or client), with deliverable counts."""
    today = today or timezone.localdate()
    projects = projects_visible_to(user).annotate(
        deliverable_count=_deliverable_count(Q()),
        late_count=_deliverable_count(
            Q(status__in=OPEN_DELIVERABLE_STATUSES, promised_date__lt=today)
        ),
        at_risk_count=_deliverable_count(Q(status=DeliverableStatus.AT_RISK)),
        kept_count=_deliverable_count(
            Q(status=DeliverableStatus.DELIVERED, delivered_on__lte=F("promised_date"))
        ),
    )
    if status:
        projects = projects.filter(status=status)
    if pm:
        projects = projects.filter(pm_id=pm)
    if deal:
        projects = projects.filter(deal_id=deal)
    if q.strip():
        projects = projects.filter(deal__in=deals_matching(Deal.objects.order_by(), q).values("pk"))
    if at_risk:
        projects = projects.filter(
            Exists(
                Deliverable.objects.filter(project=OuterRef("pk"), status=DeliverableStatus.AT_RISK)
            )
        )
    if late:
        projects = projects.filter(
            Exists(Deliverable.objects.filter(late_q(today), project=OuterRef("pk")))
        )
    return projects.order_by("-created_at", "-id")


def project_deliverables(
    project: Project, *, q: str = "", order: tuple[str, ...] = ("promised_date", "id")
) -> list[Deliverable]:
    """The project's deliverables in `order`; with `q`, those whose summary contains it."""
    deliverables = project.deliverables.select_related("commitment")
    if q.strip():
        deliverables = deliverables.filter(summary__icontains=q.strip())
    return list(deliverables.order_by(*order))


def project_events(project: Project) -> QuerySet[ProjectEvent]:
    return project.events.select_related("actor").order_by("-at", "-id")


def project_managers() -> QuerySet[User]:
    return User.objects.filter(role=Role.PM, is_active=True).order_by("first_name", "username")


def project_manager_names() -> QuerySet[User]:
    """The active PMs with only what a choice of them shows: their names."""
    return project_managers().only(*User.NAME_FIELDS)


# Promises on the deal page


def deal_promises(deal: Deal) -> dict | None:
    """How the won deal's promises are being delivered, or None before a project exists."""
    project = Project.objects.filter(deal=deal).select_related("pm").first()
    if project is None:
        return None
    project.deal = deal  # the partial names the deal through its project: not read again
    summary, both = summary_and_both(project.deliverables.all())
    return {
        "project": project,
        "deliverables": project_deliverables(project),
        "summary": summary,
        "changes": deal_change_rows(deal.pk),
        "both": both,
    }


def deal_page_context(deal: Deal, user: User) -> dict:
    """Everything the deal page needs from delivery: its promises once won, capacity in review."""
    context: dict = {}
    if deal.status == DealStatus.WON:
        promises = deal_promises(deal)
        if promises is not None:
            context.update(deal_promises_template=DEAL_PROMISES_TEMPLATE, deal_promises=promises)
    if deal.status == DealStatus.IN_REVIEW and can_review(user):
        # The check is for whoever reviews this round: its claimant, else the PM looking. The
        # deal page has read its rounds, with their reviewers (deals.selectors.deal_rounds).
        open_round = next((r for r in deal.rounds.all() if r.decided_at is None), None)
        reviewer = open_round.reviewer if open_round and open_round.reviewer else user
        context.update(
            capacity_check_template=CAPACITY_CHECK_TEMPLATE,
            capacity_check=capacity_check(deal, reviewer, viewer=user),
        )
    return context


# Capacity


def open_work() -> list[math.WorkItem]:
    """Every open deliverable with effort left, as plain values: no model is built per row.

    Its effort is what remains of the plan (renegotiated, else the PM's estimate, else sold)
    after the time entered on it, spread up to the date it is due now.
    """
    logged = (
        TimeEntry.objects.filter(deliverable=OuterRef("pk"))
        .order_by()
        .values("deliverable")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    deliverables = (
        Deliverable.objects.filter(status__in=OPEN_DELIVERABLE_STATUSES)
        .annotate(
            planned=Coalesce("renegotiated_effort_days", "estimate_days", "effort_days"),
            due=Coalesce("renegotiated_date", "promised_date"),
            logged_hours=Coalesce(Subquery(logged[:1]), Value(Decimal("0"))),
        )
        .filter(planned__gt=0)
    )
    items = []
    for pm_id, planned, hours, start, due in deliverables.values_list(
        "project__pm_id", "planned", "logged_hours", "project__start_date", "due"
    ):
        effort = math.remaining_effort(planned, Decimal(hours) / HOURS_PER_DAY)
        if effort > 0:
            items.append(math.WorkItem(pm_id=pm_id, effort=effort, start=start, promised=due))
    return items


# Every deal page in review and the heat map need the load of all open work, which grows with
# the number of projects (14,000 open deliverables at 100,000 deals: about 0.15 s to read and
# spread). It is kept in the cache for a minute and dropped whenever a deliverable or a project
# is saved or deleted, so a change shows at once; only a write that bypasses the models (raw
# SQL, a queryset update) waits for the minute to pass.
OPEN_LOAD_CACHE_SECONDS = 60


def _open_load_key(today: date) -> str:
    return f"projects:open-load:v2:{today.isoformat()}"  # v2: a new shape never reads an old one


@dataclass(frozen=True)
class OpenLoad:
    """The load of all open work by week: per PM, and the team's sum of them."""

    by_pm: dict[int | None, dict[date, Decimal]]
    team: dict[date, Decimal]


def open_load(today: date) -> OpenLoad:
    """All open work's load as of `today`, from the cache if there."""

    def build() -> OpenLoad:
        by_pm = math.load_by_pm(open_work(), today)
        return OpenLoad(by_pm=by_pm, team=math.add_loads(by_pm.values()))

    return settled_cache.read(_open_load_key(today), build, timeout=OPEN_LOAD_CACHE_SECONDS)


def forget_open_load(**signal: object) -> None:
    """Mark the cached load changed, now and again at commit; readers see it rebuilt within
    CACHED_LOAD_SETTLE_SECONDS.

    Connected to the save and delete signals of deliverables and projects (projects/apps.py).
    """
    settled_cache.mark_changed(
        _open_load_key(timezone.localdate()), timeout=OPEN_LOAD_CACHE_SECONDS
    )


def capacities(pm_ids: Iterable[int], weeks: list[date]) -> dict[int, dict[date, Decimal]]:
    """{pm id: {week: person-days}} with each PM's weekly days and exceptions."""
    pm_ids = list(pm_ids)
    weekly = dict(
        PMCapacity.objects.filter(user_id__in=pm_ids).values_list("user_id", "weekly_days")
    )
    exceptions: dict[int, dict[date, Decimal]] = {pm_id: {} for pm_id in pm_ids}
    if weeks:
        for pm_id, week, days in CapacityException.objects.filter(
            pm_id__in=pm_ids, week_start__gte=weeks[0], week_start__lte=weeks[-1]
        ).values_list("pm_id", "week_start", "days"):
            exceptions[pm_id][week] = days
    default = default_weekly_capacity()
    return {
        pm_id: math.capacity_by_week(weekly.get(pm_id, default), exceptions[pm_id], weeks)
        for pm_id in pm_ids
    }


@dataclass(frozen=True)
class TeamCapacity:
    """Person-days by week: the team's, and one of its PMs' own (None if not among them)."""

    team: dict[date, Decimal]
    own: dict[date, Decimal] | None = None


def team_capacity_by_week(
    pms: QuerySet[User], weeks: list[date], *, pm_id: int | None = None
) -> TeamCapacity:
    """The person-days of all these PMs by week (each one's weekly days, or that week's
    exception), and `pm_id`'s own. Two queries whatever the number of PMs; no row per PM."""
    default = default_weekly_capacity()
    pms = pms.order_by()
    totals = pms.aggregate(
        people=Count("pk"),
        set_days=Sum("capacity__weekly_days"),
        set_people=Count("capacity"),
        is_one=Count("pk", filter=Q(pk=pm_id)),
        own=Sum("capacity__weekly_days", filter=Q(pk=pm_id)),
    )
    weekly = (totals["set_days"] or math.ZERO) + default * (totals["people"] - totals["set_people"])
    team = dict.fromkeys(weeks, weekly)
    own = dict.fromkeys(weeks, totals["own"] or default) if totals["is_one"] else None
    if weeks and totals["people"]:
        for pm, week, days, usual in CapacityException.objects.filter(
            pm__in=pms, week_start__gte=weeks[0], week_start__lte=weeks[-1]
        ).values_list("pm_id", "week_start", "days", "pm__capacity__weekly_days"):
            if week in team:
                team[week] += days - (default if usual is None else usual)
                if own is not None and pm == pm_id:
                    own[week] = days
    return TeamCapacity(team=team, own=own)


@dataclass
class PMWeeks:
    pm: User
    cells: list[dict] = field(default_factory=list)


def team_capacity(
    *, weeks: int = 12, pm_ids: Iterable[int] | None = None, today: date | None = None
) -> dict:
    """Each PM's load against capacity for the next `weeks` weeks: the heat map and the API."""
    today = today or timezone.localdate()
    week_list = math.next_weeks(today, weeks)
    pms = list(project_managers() if pm_ids is None else project_managers().filter(pk__in=pm_ids))
    loads = open_load(today).by_pm
    tentative = tentative_load(today)
    caps = capacities([pm.pk for pm in pms], week_list)
    rows = []
    for pm in pms:
        row = PMWeeks(pm=pm)
        for week in week_list:
            load = loads.get(pm.pk, {}).get(week, math.ZERO)
            maybe = tentative.by_pm.get(pm.pk, {}).get(week, math.ZERO)
            cap = caps[pm.pk][week]
            row.cells.append(
                {
                    "week": week,
                    "iso_week": week.isocalendar().week,
                    "load": load,
                    "capacity": cap,
                    "heat": math.heat_level(load, cap),
                    "over": load > cap,
                    "tentative": maybe,
                    "with_tentative": load + maybe,
                    "over_with_tentative": load + maybe > cap,
                }
            )
        rows.append(row)
    unclaimed = tentative.by_pm.get(None, {})
    return {
        "weeks": week_list,
        "rows": rows,
        "chances": list(tentative.chances.values()),
        # Tentative load of reviews nobody has claimed yet: the team's, no one's in particular.
        "unclaimed": [unclaimed.get(week, math.ZERO) for week in week_list]
        if pm_ids is None and any(unclaimed.get(week) for week in week_list)
        else [],
    }


def _deal_items(deal: Deal, today: date, pm_id: int | None) -> list[math.WorkItem]:
    start = deal.expected_start_date or today
    return [
        math.WorkItem(pm_id=pm_id, effort=c.effort_days, start=start, promised=c.promised_date)
        for c in deal.commitments.all()
        if c.effort_days > 0
    ]


def _check(base, deal_items, capacity, today, tentative=None) -> dict:
    checks = math.check_against(base, deal_items, capacity, today, tentative)
    return {
        "weeks": checks,
        "sentence": math.verdict_sentence(checks),
        "fits": all(c.fits for c in checks),
        "tentative_sentence": math.tentative_sentence(checks),
        "has_tentative": any(c.tentative for c in checks),
        "fits_with_tentative": all(c.fits_with_tentative for c in checks),
    }


def capacity_check(
    deal: Deal, reviewer: User, today: date | None = None, viewer: User | None = None
) -> dict:
    """Load with and without this deal against capacity: for the reviewing PM and the team."""
    today = today or timezone.localdate()
    deal_items = _deal_items(deal, today, reviewer.pk)
    deal_weeks = sorted(math.load_by_week(deal_items, today)) or [math.week_of(today)]
    weeks = math.weeks_between(deal_weeks[0], deal_weeks[-1])
    load = open_load(today)
    # Other deals in review or signed off, weighted: this deal's own share is taken out.
    tentative = tentative_load(today)
    own_share = deal_tentative_load(deal, tentative.chances, today)
    team_tentative = minus(tentative.team, math.add_loads(own_share.values()))
    caps = team_capacity_by_week(project_managers(), weeks, pm_id=reviewer.pk)
    team = _check(load.team, deal_items, caps.team, today, team_tentative)
    scopes = []
    if is_pm(reviewer):
        own = load.by_pm.get(reviewer.pk, {})
        own_capacity = caps.own
        if own_capacity is None:  # a reviewer no longer among the active PMs
            own_capacity = capacities([reviewer.pk], weeks)[reviewer.pk]
        scopes.append(
            {
                "key": "reviewer",
                "title": "You"
                if viewer is None or viewer.pk == reviewer.pk
                else f"The reviewer, {reviewer}",
                "check": _check(
                    own,
                    deal_items,
                    own_capacity,
                    today,
                    minus(tentative.by_pm.get(reviewer.pk, {}), own_share.get(reviewer.pk, {})),
                ),
            }
        )
    scopes.append({"key": "team", "title": "Delivery team", "check": team})
    return {
        "team": team,
        "reviewer": scopes[0]["check"] if len(scopes) > 1 else None,
        "scopes": scopes,
        "chances": list(tentative.chances.values()),
        "chart": {
            "labels": [f"W{c.iso_week}" for c in team["weeks"]],
            "series": {
                scope["key"]: {
                    "without": [float(c.without_deal) for c in scope["check"]["weeks"]],
                    "with": [float(c.with_deal) for c in scope["check"]["weeks"]],
                    "tentative": [float(c.with_tentative) for c in scope["check"]["weeks"]],
                    "capacity": [float(c.capacity) for c in scope["check"]["weeks"]],
                }
                for scope in scopes
            },
        },
    }
