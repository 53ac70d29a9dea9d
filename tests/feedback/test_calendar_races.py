"""Calendar addresses changed twice at once, each side in its own PostgreSQL connection: one
success and one clear refusal, never two live addresses or a server error."""

import pytest
from django.db import connection

from feedback import calendar_services as services
from feedback.calendar_models import CalendarFeed
from handoff.errors import DomainError
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are proven on PostgreSQL only (set DATABASE_URL to postgres://…)")


def outcomes(results) -> list[str]:
    for outcome, value in results:
        if outcome == "error":
            assert isinstance(value, DomainError), value
    return sorted(outcome for outcome, _ in results)


def test_two_makes_at_once_make_one_address(rep):
    results = race(
        lambda: services.calendar_feed_create(actor=rep),
        lambda: services.calendar_feed_create(actor=rep),
    )
    assert outcomes(results) == ["error", "ok"]
    assert CalendarFeed.objects.filter(owner=rep, revoked_at__isnull=True).count() == 1


def test_reset_and_revoke_at_once_leave_one_outcome(rep):
    feed, _ = services.calendar_feed_create(actor=rep)
    results = race(
        lambda: services.calendar_feed_reset(feed=feed, actor=rep),
        lambda: services.calendar_feed_revoke(feed=feed, actor=rep),
    )
    assert outcomes(results) == ["error", "ok"]
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
    assert CalendarFeed.objects.filter(owner=rep, revoked_at__isnull=True).count() <= 1
