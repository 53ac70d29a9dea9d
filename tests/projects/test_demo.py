"""The demo's projects start when their deals were won, and their trail reads like their dates."""

from django.utils import timezone

from deals.models import DealEvent, EventKind
from projects.models import DeliverableStatus, Project, ProjectEvent, ProjectEventKind


def test_demo_projects_are_created_when_their_deals_were_won(seeded):
    won = dict(DealEvent.objects.filter(kind=EventKind.WON).values_list("deal_id", "at"))
    projects = list(Project.objects.all())

    assert len(projects) == len(won) >= 4
    for project in projects:
        assert project.created_at == won[project.deal_id]
        created = project.events.get(kind=ProjectEventKind.CREATED)
        assert created.at == project.created_at


def test_demo_deliverable_changes_are_dated_by_the_day_they_describe(seeded):
    now = timezone.now()
    changes = ProjectEvent.objects.filter(kind=ProjectEventKind.DELIVERABLE_STATUS_CHANGED)

    assert changes.count() >= 5
    for event in changes.select_related("project"):
        assert event.project.created_at <= event.at <= now
        if event.data["to"] == DeliverableStatus.DELIVERED:
            assert event.at.date().isoformat() == event.data["delivered_on"]
    for project in Project.objects.filter(accepted_at__isnull=False):
        accepted = project.events.get(kind=ProjectEventKind.HANDOFF_ACCEPTED)
        assert project.created_at < accepted.at == project.accepted_at < now
