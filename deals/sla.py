"""Review SLA: due times counted in working days (Monday to Friday)."""

from datetime import datetime, timedelta

from django.conf import settings


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day, `days` working days (Monday to Friday) later."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def review_due_at(submitted_at: datetime) -> datetime:
    return add_working_days(submitted_at, settings.REVIEW_SLA_WORKING_DAYS)
