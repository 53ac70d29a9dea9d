"""The weekly sync's scheduled job: this week's meetings ready, overdue action items carried."""

from celery import shared_task

from meetings import services


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def prepare_weekly_meetings() -> list[int]:
    """Safe to run any number of times: one meeting per pair and week, one carry per meeting."""
    return [meeting.pk for meeting in services.weekly_meetings_prepare()]
