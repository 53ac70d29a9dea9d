"""The fan-out benchmark: both cases at both sizes, the same queries for each, every row rolled
back after."""

import pytest

from bench import fanout
from feedback.models import Announcement, Notification, WebhookEndpoint
from handoff.models import Role, User

pytestmark = pytest.mark.django_db


def test_it_times_both_cases_for_both_teams_and_leaves_nothing_behind():
    results = fanout.run(repeats=1, log=lambda *args: None)
    for case in ("submission", "team_mention"):
        small, large = (results[case][str(size)] for size in fanout.SIZES)
        assert (small["told"], large["told"]) == fanout.SIZES
        assert small["queries"] == large["queries"]
        assert small["median_ms"] > 0 and results[case]["ratio"] > 0
    assert not User.objects.exists()
    assert not Notification.objects.exists() and not Announcement.objects.exists()


def test_the_databases_endpoints_are_off_during_the_timing_and_on_after(monkeypatch):
    """Generated endpoints post nowhere while it times; they are turned off with the time the
    constraint asks for, and the rollback turns them back on."""
    owner = User.objects.create(username="owner", role=Role.MANAGER)
    endpoint = WebhookEndpoint.objects.create(
        owner=owner, url="https://192.0.2.1/hooks", events=["deal.submitted"], secret="s"
    )
    active_while_timed = []
    once = fanout._once

    def timed(*args):
        active_while_timed.append(WebhookEndpoint.objects.filter(active=True).exists())
        return once(*args)

    monkeypatch.setattr(fanout, "_once", timed)
    fanout.run(repeats=1, log=lambda *args: None)
    assert active_while_timed and not any(active_while_timed)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None
