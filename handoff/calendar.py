"""The one working-day calendar: Monday to Friday are working days, in the site time zone.

Review due times (deals.sla) and turnaround figures both count in these days.
"""

from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

DAY_SECONDS = 86400


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day, `days` working days (Monday to Friday) later."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if is_working_day(current):
            added += 1
    return current


def working_days_between(start: datetime, end: datetime, tz: tzinfo | None = None) -> float:
    """Elapsed days from start to end not counting Saturdays and Sundays (site time zone)."""
    if end <= start:
        return 0.0
    tz = tz or timezone.get_current_timezone()
    start = start.astimezone(tz).replace(tzinfo=None)
    end = end.astimezone(tz).replace(tzinfo=None)
    first, last = start.date(), end.date()
    if first == last:
        return (end - start).total_seconds() / DAY_SECONDS if is_working_day(first) else 0.0
    seconds = 0.0
    if is_working_day(first):
        seconds += (datetime.combine(first + timedelta(days=1), time.min) - start).total_seconds()
    if is_working_day(last):
        seconds += (end - datetime.combine(last, time.min)).total_seconds()
    seconds += DAY_SECONDS * working_days_in(first + timedelta(days=1), (last - first).days - 1)
    return seconds / DAY_SECONDS


def working_days_in(first: date, days: int) -> int:
    """Monday-to-Friday days among `days` consecutive days from `first`."""
    weeks, rest = divmod(days, 7)
    return weeks * 5 + sum(1 for i in range(rest) if (first.weekday() + i) % 7 < 5)
