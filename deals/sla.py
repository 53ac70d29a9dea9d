"""Review SLA: due times counted in working days (handoff.calendar)."""

from datetime import datetime

from django.conf import settings

from handoff.calendar import add_working_days


def review_due_at(submitted_at: datetime) -> datetime:
    return add_working_days(submitted_at, settings.REVIEW_SLA_WORKING_DAYS)
