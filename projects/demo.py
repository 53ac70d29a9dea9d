"""Demo projects: kept, late, missed and at-risk promises, and one overloaded week. Safe to run twice."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deals import services as deal_services
from deals.models import Client, Deal, DealStatus, VerdictKind
from handoff.models import User
from projects import capacity as math
from projects import demo_acceptance, services
from projects.demo_history import date_history
from projects.models import (
    CapacityException,
    Deliverable,
    PMCapacity,
    Project,
    ProjectEvent,
    ProjectEventKind,
    ProjectStatus,
)
from projects.selectors import team_capacity

DAY = datetime.timedelta(days=1)

# Used only when no won deal exists yet: (title, client, rep, signing PM, commitments).
FALLBACK_DEALS = [
    (
        "Loyalty app relaunch",
        "Northwind Retail",
        "rep",
        "pm",
        [
            ("scope", "Loyalty app MVP", "12"),
            ("integration", "POS integration", "8"),
            ("timeline", "Go-live in 40 stores", "6"),
            ("support", "Hypercare for a month", "5"),
            ("staffing", "Dedicated tech lead", "10"),
        ],
    ),
    (
        "Warehouse analytics",
        "Contoso Logistics",
        "rep2",
        "pm2",
        [
            ("scope", "Stock dashboards", "6"),
            ("integration", "WMS data feed", "9"),
            ("timeline", "Forecasts live before peak", "7"),
        ],
    ),
]

# Applied in order to the deliverables of projects nobody has touched yet:
# (days from today to the promised date, status, days from today delivered, reason).
OUTCOMES = [
    (-30, "delivered", -32, ""),
    (-20, "delivered", -14, ""),
    (-10, "missed", None, ""),
    (-4, "planned", None, ""),
    (20, "at_risk", None, "The client's test environment is still not ready."),
    (14, "in_progress", None, ""),
    (-15, "delivered", -15, ""),
]


def _won_deal(users: dict[str, User], title, client_name, rep, pm, commitments) -> None:
    today = timezone.localdate()
    client, _ = Client.objects.get_or_create(name=client_name)
    deal = deal_services.deal_create(
        actor=users[rep],
        data={
            "title": title,
            "client": client,
            "value": Decimal("120000"),
            "expected_close_date": today + 30 * DAY,
            "expected_start_date": today + 7 * DAY,
        },
        commitments=[
            {
                "kind": kind,
                "summary": summary,
                "promised_date": today + 60 * DAY,
                "effort_days": Decimal(effort),
            }
            for kind, summary, effort in commitments
        ],
    )
    deal_services.deal_submit(deal=deal, actor=users[rep])
    for commitment in deal.commitments.all():
        condition = (
            "Only with the client's staging data by then"
            if commitment.kind == "integration"
            else ""
        )
        deal_services.commitment_rule(
            commitment=commitment,
            actor=users[pm],
            verdict=VerdictKind.APPROVED_WITH_CONDITION if condition else VerdictKind.APPROVED,
            condition=condition,
        )
    deal_services.deal_sign_off(deal=deal, actor=users[pm])
    deal_services.deal_win(deal=deal, actor=users[rep])


def _untouched(project: Project) -> bool:
    return not project.events.exclude(kind=ProjectEventKind.CREATED).exists()


def _play_out(project: Project, outcomes: list) -> None:
    """Backdate the project and move its deliverables through the services."""
    today = timezone.localdate()
    Project.objects.filter(pk=project.pk).update(start_date=today - 45 * DAY)
    project.refresh_from_db()
    services.project_update_brief(
        project=project,
        actor=project.deal.owner,
        data={
            "customer_context": f"{project.deal.client} wants this live before their busy season.",
            "stakeholders": "Head of operations (decides), IT lead (integration), store managers.",
            "risks": "Their IT team is small and shared with another programme.",
        },
    )
    services.kickoff_item_toggle(item=project.kickoff_items.first(), actor=project.pm, done=True)
    services.project_accept_handoff(project=project, actor=project.pm)
    for deliverable, (promised, status, delivered, reason) in zip(
        project.deliverables.order_by("promised_date", "id"), outcomes, strict=False
    ):
        Deliverable.objects.filter(pk=deliverable.pk).update(promised_date=today + promised * DAY)
        deliverable.refresh_from_db()
        if status != "planned":
            services.deliverable_update_status(
                deliverable=deliverable,
                actor=project.pm,
                status=status,
                reason=reason,
                delivered_on=today + delivered * DAY if delivered is not None else None,
            )


def _overload_one_week(pm: User) -> None:
    """Time off in the PM's busiest coming week, so the heat map shows an overload."""
    if CapacityException.objects.filter(pm=pm).exists():
        return
    row = next((r for r in team_capacity(weeks=12)["rows"] if r.pm.pk == pm.pk), None)
    cells = [c for c in row.cells[1:] if c["load"] > 0] if row else []
    week = (
        max(cells, key=lambda c: c["load"])["week"]
        if cells
        else math.next_weeks(timezone.localdate(), 3)[2]
    )
    services.capacity_exception_add(
        pm=pm, actor=pm, week_start=week, days=Decimal("0.5"), note="Training week"
    )


@transaction.atomic
def seed(users: dict[str, User]) -> dict[str, User]:
    pm, pm2 = users["pm"], users["pm2"]
    PMCapacity.objects.get_or_create(user=pm, defaults={"weekly_days": Decimal("4")})
    PMCapacity.objects.get_or_create(user=pm2, defaults={"weekly_days": Decimal("3")})

    if not Deal.objects.filter(status=DealStatus.WON).exists():
        for title, client, rep, signer, commitments in FALLBACK_DEALS:
            _won_deal(users, title, client, rep, signer, commitments)

    played = ProjectEvent.objects.filter(kind=ProjectEventKind.DELIVERABLE_STATUS_CHANGED).exists()
    queue = [] if played else list(OUTCOMES)
    for project in (
        Project.objects.filter(status=ProjectStatus.KICKOFF)
        .select_related("deal__owner", "deal__client", "pm")
        .order_by("created_at", "id")[:4]
    ):
        if not queue or not _untouched(project):
            continue
        count = project.deliverables.count()
        _play_out(project, queue[:count])
        queue = queue[count:]
    for project in Project.objects.select_related("deal"):
        date_history(project)

    _overload_one_week(pm)
    demo_acceptance.seed(users)
    return users
