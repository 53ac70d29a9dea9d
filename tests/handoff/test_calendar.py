"""The working-day calendar: Saturdays and Sundays are not counted."""

import datetime

import pytest

from handoff.calendar import add_working_days, working_days_between, working_days_in

UTC = datetime.UTC


def _at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


@pytest.mark.parametrize(
    ("submitted", "days", "due"),
    [
        ("2026-11-23", 2, "2026-11-25"),  # Monday -> Wednesday
        ("2026-11-26", 2, "2026-11-30"),  # Thursday -> Monday
        ("2026-11-27", 2, "2026-12-01"),  # Friday -> Tuesday
        ("2026-11-28", 2, "2026-12-01"),  # Saturday -> Tuesday
        ("2026-11-29", 2, "2026-12-01"),  # Sunday -> Tuesday
        ("2026-11-27", 1, "2026-11-30"),  # Friday -> Monday
        ("2026-11-23", 5, "2026-11-30"),  # a whole working week
        ("2026-11-25", 0, "2026-11-25"),
    ],
)
def test_add_working_days(submitted, days, due):
    assert add_working_days(_at(submitted), days) == _at(due)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (_at("2026-06-01", 0), _at("2026-06-02", 0), 1.0),  # Monday -> Tuesday
        (_at("2026-06-05", 12), _at("2026-06-08", 12), 1.0),  # Friday noon -> Monday noon
        (_at("2026-06-06", 0), _at("2026-06-07", 0), 0.0),  # Saturday -> Sunday
        (_at("2026-06-02", 0), _at("2026-06-01", 0), 0.0),  # backwards
        (_at("2026-06-01", 6), _at("2026-06-01", 18), 0.5),  # within one working day
        (_at("2026-06-01", 0), _at("2026-06-15", 0), 10.0),  # two whole weeks
    ],
)
def test_working_days_between(start, end, days):
    assert working_days_between(start, end, UTC) == days


def test_working_days_in_counts_mondays_to_fridays():
    monday = datetime.date(2026, 6, 1)
    assert [working_days_in(monday, n) for n in (0, 5, 6, 7, 8, 14)] == [0, 5, 5, 5, 6, 10]
    assert working_days_in(datetime.date(2026, 6, 6), 2) == 0  # Saturday and Sunday
