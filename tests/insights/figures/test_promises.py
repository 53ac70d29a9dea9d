"""Promise figures: kept rate and slip, by rep and by PM."""

import datetime

import pytest
from django.utils import timezone

from insights.figures.promises import promise_figures, promise_tables
from insights.figures.window import Window
from projects.models import DeliverableStatus
from projects.services import deliverable_update_status
from tests.insights.crafted import (
    won_deliverables,
)


@pytest.mark.django_db
def test_kept_rate_and_average_slip_reuse_the_promise_rules(rep, pm, manager):
    today = timezone.localdate()
    promised = today - datetime.timedelta(days=10)
    kept, late, missed, _still_open = won_deliverables(rep, pm, promised, ["1", "2", "3", "4"])
    deliverable_update_status(
        deliverable=kept, actor=pm, status=DeliverableStatus.DELIVERED, delivered_on=promised
    )
    deliverable_update_status(
        deliverable=late,
        actor=pm,
        status=DeliverableStatus.DELIVERED,
        delivered_on=promised + datetime.timedelta(days=4),
    )
    deliverable_update_status(deliverable=missed, actor=pm, status=DeliverableStatus.MISSED)
    w = Window(promised, today)
    kept_rate, slip = promise_figures(w)
    assert kept_rate.value == 0.3333
    assert kept_rate.detail == "1 of 3 resolved promises"
    assert slip.value == 4.67  # (0 + 4 + 10) / 3
    assert slip.detail == "1 open past their date"
    by_rep, by_pm = promise_tables(w)
    assert [(r["rep"], r["kept_rate"], r["late"]) for r in by_rep.rows] == [
        ("Rita Reyes", 0.3333, 1)
    ]
    assert [(r["pm"], r["resolved"], r["avg_slip_days"]) for r in by_pm.rows] == [
        ("Priya Mehta", 3, 4.67)
    ]
    before = Window(promised - datetime.timedelta(days=30), promised - datetime.timedelta(days=1))
    assert promise_figures(before)[0].value is None
