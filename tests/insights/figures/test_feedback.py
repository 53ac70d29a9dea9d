"""Feedback loop health: notes each way, acknowledged and how fast."""

import pytest

from feedback import services as feedback_services
from feedback.models import Direction, FeedbackNote, Topic
from insights.figures.feedback import feedback_health
from tests.insights.crafted import (
    JUNE,
    at,
    day,
)


@pytest.mark.django_db
def test_feedback_loop_health(rep, pm):
    to_delivery = feedback_services.note_create(
        author=rep, direction=Direction.TO_DELIVERY, topic=Topic.CUSTOMER_INSIGHT, body="A"
    )
    feedback_services.note_create(
        author=rep, direction=Direction.TO_DELIVERY, topic=Topic.COMPETITOR, body="B"
    )
    to_sales = feedback_services.note_create(
        author=pm, direction=Direction.TO_SALES, topic=Topic.PRAISE, body="C"
    )
    feedback_services.note_acknowledge(note=to_delivery, actor=pm)
    feedback_services.note_acknowledge(note=to_sales, actor=rep)
    FeedbackNote.objects.filter(pk=to_delivery.pk).update(
        created_at=at(day(0)), acknowledged_at=at(day(0), 15)
    )
    FeedbackNote.objects.filter(pk=to_sales.pk).update(
        created_at=at(day(1)), acknowledged_at=at(day(2))
    )
    FeedbackNote.objects.exclude(pk__in=[to_delivery.pk, to_sales.pk]).update(created_at=at(day(3)))
    figures, table = feedback_health(JUNE)
    assert [f.value for f in figures] == [3, 0.6667, 15.0]  # median of 6 and 24 hours
    assert [
        (r["direction"], r["notes"], r["acknowledged"], r["median_hours"]) for r in table.rows
    ] == [
        ("To sales", 1, 1, 24.0),
        ("To delivery", 2, 1, 6.0),
    ]
