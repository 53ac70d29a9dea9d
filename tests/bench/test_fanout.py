"""The fan-out benchmark: both cases at both sizes, the same queries for each, every row rolled
back after."""

import pytest

from bench import fanout
from feedback.models import Announcement, Notification
from handoff.models import User

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
