"""Demo data only: delivered history, so the deal form shows what history says on first run.

Three past projects of pm2, won through the workflow and played out through the services:
integration promises of 10-20 days delivered a median of 9 days late, scope promises of 5-10
days mostly on time, timeline promises of up to 5 days a little late; the integration work
with its time recorded, most of it over the estimate. Safe to run twice.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deals import services as deal_services
from deals.demo_history import date_trail
from deals.models import Client, Deal, ReviewRound, Verdict, VerdictKind
from handoff.calendar import add_working_days
from handoff.models import User
from projects import services
from projects.demo_history import date_history
from projects.models import Deliverable, DeliverableStatus, Project
from projects.services_time import time_entry_add

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
CLIENT = "Fabrikam Manufacturing"
HOURS_PER_ENTRY = Decimal("8")

# (deal title, kind, effort in days, [(slip in days, effort overrun)])
HISTORY = [
    (
        "ERP and MES integration",
        "integration",
        "12",
        [(0, 0.1), (3, 0.2), (6, 0.0), (8, 0.3), (9, 0.25), (10, 0.5), (14, 0.4), (21, 0.6)],
    ),
    (
        "Plant dashboards, phase one",
        "scope",
        "8",
        [(0, None), (0, None), (1, None), (2, None), (4, None), (6, None)],
    ),
    (
        "Shop-floor go-lives",
        "timeline",
        "3",
        [(0, None), (0, None), (1, None), (2, None), (3, None), (7, None)],
    ),
]


def _won(users: dict[str, User], title: str, kind: str, effort: str, count: int) -> Deal:
    today = timezone.localdate()
    client, _ = Client.objects.get_or_create(name=CLIENT)
    rep, pm = users["rep2"], users["pm2"]
    deal = deal_services.deal_create(
        actor=rep,
        data={
            "title": title,
            "client": client,
            "value": Decimal("60000"),
            "expected_close_date": today + 10 * DAY,
            "expected_start_date": today + 7 * DAY,
        },
        commitments=[
            {
                "kind": kind,
                "summary": f"{title}: part {i + 1}",
                "promised_date": today + (30 + 7 * i) * DAY,
                "effort_days": Decimal(effort),
            }
            for i in range(count)
        ],
    )
    deal_services.deal_submit(deal=deal, actor=rep)
    deal_services.review_claim(deal=deal, actor=pm)
    for commitment in deal.commitments.all():
        deal_services.commitment_rule(commitment=commitment, actor=pm, verdict=VerdictKind.APPROVED)
    deal_services.deal_sign_off(deal=deal, actor=pm)
    deal_services.deal_win(deal=deal, actor=rep)
    _backdate(deal)
    return deal


def _backdate(deal: Deal) -> None:
    """The deal was reviewed and won some five months ago: its rounds and trail say so."""
    created = timezone.now() - 170 * DAY
    submitted = created + DAY
    ReviewRound.objects.filter(deal=deal).update(
        submitted_at=submitted,
        due_at=add_working_days(submitted, 2),
        claimed_at=submitted + HOUR,
        decided_at=submitted + 4 * HOUR,
    )
    Verdict.objects.filter(round__deal=deal).update(decided_at=submitted + 2 * HOUR)
    Deal.objects.filter(pk=deal.pk).update(created_at=created)
    date_trail(deal, created=created)


def _play_out(project: Project, outcomes: list[tuple[int, float | None]], days: list) -> None:
    """Promised in the past, delivered `slip` days after it, with the time it took."""
    today = timezone.localdate()
    services.project_accept_handoff(project=project, actor=project.pm)
    deliverables = list(project.deliverables.order_by("id"))
    for i, (deliverable, (slip, overrun)) in enumerate(zip(deliverables, outcomes, strict=True)):
        promised = today - (90 - 6 * i) * DAY
        Deliverable.objects.filter(pk=deliverable.pk).update(promised_date=promised)
        deliverable.refresh_from_db()
        if overrun is not None:
            hours = deliverable.effort_days * Decimal("8") * Decimal(str(1 + overrun))
            while hours > 0:
                chunk = min(hours, HOURS_PER_ENTRY)
                time_entry_add(
                    deliverable=deliverable, actor=project.pm, day=days.pop(0), hours=chunk
                )
                hours -= chunk
        services.deliverable_update_status(
            deliverable=deliverable,
            actor=project.pm,
            status=DeliverableStatus.DELIVERED,
            reason="",
            delivered_on=promised + slip * DAY,
        )


@transaction.atomic
def seed(users: dict[str, User]) -> dict[str, User]:
    if Deal.objects.filter(client__name=CLIENT, title=HISTORY[0][0]).exists():
        return users
    today = timezone.localdate()
    # One day after another for the time entries, 8 hours a day, from the first project's start.
    days = [today - (150 - i) * DAY for i in range(150)]
    for title, kind, effort, outcomes in HISTORY:
        deal = _won(users, title, kind, effort, len(outcomes))
        project = Project.objects.get(deal=deal)
        Project.objects.filter(pk=project.pk).update(start_date=today - 150 * DAY)
        project.refresh_from_db()
        _play_out(project, outcomes, days)
        date_history(project)
    return users
