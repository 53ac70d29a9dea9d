"""The agenda as it stood when the meeting started: later changes never rewrite the minutes,
in the ORM and, on PostgreSQL, whatever SQL runs."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from deals import services as deal_services
from deals.models import Deal
from meetings import minutes, services
from meetings.models import AgendaItem, CarryOver, MeetingEvent
from tests.meetings.conftest import add_action, started

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(manager, teams, in_review):
    meeting = services.meeting_create(actor=manager, held_on=timezone.localdate())
    return started(meeting, manager)


def test_changing_a_deal_afterwards_leaves_the_minutes_as_they_were(
    running, manager, in_review, pm2
):
    item = AgendaItem.objects.filter(meeting=running, deal_id=in_review.pk).first()
    services.item_decide(item=item, actor=manager, note="Keep pm on it")
    services.meeting_close(meeting=running, actor=manager, present=[manager])
    before = minutes.minutes_markdown(running, manager)
    assert in_review.title in before

    Deal.objects.filter(pk=in_review.pk).update(title="Renamed after the meeting")
    deal_services.review_assign(deal=in_review, actor=manager, reviewer=pm2)
    after = minutes.minutes_markdown(running, manager)
    assert after == before
    assert "Renamed after the meeting" not in after


def test_the_live_link_follows_the_deal_as_it_is_now(running, in_review):
    item = AgendaItem.objects.filter(meeting=running, deal_id=in_review.pk).first()
    assert item.url == in_review.get_absolute_url()


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
class TestInPostgres:
    def test_raw_update_and_delete_of_an_agenda_item_raise(self, running):
        item = AgendaItem.objects.filter(meeting=running).first()
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("UPDATE meetings_agendaitem SET title = 'rewritten' WHERE id = %s", [item.pk])
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("DELETE FROM meetings_agendaitem WHERE id = %s", [item.pk])
        assert AgendaItem.objects.get(pk=item.pk).title == item.title

    def test_raw_update_of_a_carry_over_and_an_event_raise(self, running, manager, rep):
        event = MeetingEvent.objects.filter(meeting=running).first()
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("UPDATE meetings_meetingevent SET kind = 'x' WHERE id = %s", [event.pk])
        action = add_action(running, manager, rep)
        carry = CarryOver.objects.create(meeting=running, action_item=action)
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("DELETE FROM meetings_carryover WHERE id = %s", [carry.pk])
