"""The demo has delivered history, so the deal form shows a real calibration on first run."""

import datetime
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from deals.models import Deal
from projects.calibration import calibrations_for
from projects.demo_calibration import CLIENT


def test_the_demo_calibrates_an_integration_promise(seeded):
    promised = timezone.localdate() + datetime.timedelta(days=60)
    (found,) = calibrations_for([("integration", Decimal("15"), promised)])
    assert found.enough and found.scope == "kind_band"
    assert found.slip.median == 8.5 and found.slip.p80 == 14
    assert found.suggested_date == promised + datetime.timedelta(days=14)
    assert found.overrun.enough  # time was recorded on the integration work
    (scope,) = calibrations_for([("scope", Decimal("6"), promised)])
    assert scope.enough


def test_seeding_twice_adds_no_second_history(seeded):
    count = Deal.objects.filter(client__name=CLIENT).count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Deal.objects.filter(client__name=CLIENT).count() == count == 3
