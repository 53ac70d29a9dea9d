"""The demo shows delivery truth on first run: time spent, an overrun, a renegotiated date
the rep approved, a descoping waiting for the PM; and seeding twice adds nothing."""

import pytest
from django.core.management import call_command

from projects.models import ChangeRequest, ChangeRequestStatus, Deliverable, TimeEntry
from projects.selectors_delivery import attach_effort


def _seed():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.django_db
def test_the_demo_has_time_and_changes_and_is_safe_twice(settings):
    settings.DEBUG = True
    _seed()
    entries = TimeEntry.objects.count()
    assert TimeEntry.objects.filter(note="Workshops and build").count() > 5
    approved = ChangeRequest.objects.get(status=ChangeRequestStatus.APPROVED)
    assert approved.deliverable.renegotiated_date == approved.proposed_date
    assert approved.deliverable.promised_date != approved.proposed_date
    waiting = ChangeRequest.objects.get(status=ChangeRequestStatus.OPEN)
    assert waiting.descope and waiting.side == "sales"
    delivered = attach_effort(
        list(Deliverable.objects.filter(time_entries__isnull=False).distinct())
    )
    assert any(d.effort["overrun"] > 0 for d in delivered)
    _seed()
    assert TimeEntry.objects.count() == entries and ChangeRequest.objects.count() == 2
