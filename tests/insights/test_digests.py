"""The managers' digest sections, registered with feedback's digest registry: the alignment
summary in every digest, the sync agenda in the weekly one."""

import pytest
from django.conf import settings

from feedback import digests, services
from handoff.models import Role
from insights.digests import manager_alignment, register, weekly_sync_agenda
from tests.feedback.conftest import changes_requested, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_week(rep, rep2, pm, pm2, manager):
    changes_requested(rep, pm)
    submitted(rep2)
    services.note_create(
        author=pm, direction="to_sales", topic="hard_to_deliver", body="SSO took 3 weeks"
    )
    services.note_create(
        author=rep, direction="to_delivery", topic="customer_insight", body="They love demos"
    )


def test_the_sections_are_registered_once_for_managers_and_admins_only():
    register()  # the app registered them at start; again changes nothing
    for role in (Role.MANAGER, Role.ADMIN):
        assert digests.SECTIONS[role].count(manager_alignment) == 1
        assert digests.WEEKLY_SECTIONS[role] == [weekly_sync_agenda]
    for role in (Role.SALES, Role.PM):
        assert manager_alignment not in digests.SECTIONS[role]
        assert digests.WEEKLY_SECTIONS[role] == []


def test_manager_digest_has_the_alignment_summary(busy_week, manager):
    digest = digests.build_digest(manager, "weekly")
    [alignment] = [s for s in digest.sections if s.title == "Alignment"]
    texts = [i.text for i in alignment.items]
    assert texts[0] == "1 deal in review"
    assert texts[2] == "0 open escalations"
    assert texts[3] == "Notes since your last digest: 1 to delivery, 1 to sales"


def test_manager_weekly_digest_carries_the_sync_agenda(busy_week, manager):
    weekly = {s.title: s for s in digests.build_digest(manager, "weekly").sections}
    waiting = weekly["Sync agenda: Deals waiting for review, oldest first"]
    assert len(waiting.items) == 1
    assert waiting.items[0].url.startswith(settings.SITE_URL + "/deals/")
    assert "Sync agenda: Decisions of the past week" in weekly
    text, html = digests.render_digest(digests.build_digest(manager, "weekly"))
    assert "SYNC AGENDA: OPEN ESCALATIONS" in text
    assert "Sync agenda: Open escalations" in html
    assert "No escalation is waiting for a decision." in text

    daily = digests.build_digest(manager, "daily")
    assert not [s for s in daily.sections if s.title.startswith("Sync agenda")]
