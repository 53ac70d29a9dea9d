"""Review reminders: "due soon" once REVIEW_REMINDER_AT of the SLA has passed in working time,
an overdue notice at the breach that reaches the delivery team lead (or the managers), and
one reminder each working day while the review stays overdue.

Each (round, kind, day) goes out once however often the job runs and however many workers
run it: the job inserts its ReviewReminder row first, then notifies in the same transaction,
and a unique violation means another run sent it.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from deals.models import DealStatus, ReminderKind, ReviewReminder, ReviewRound
from feedback.emails import deal_url
from feedback.models import NotificationKind
from feedback.notify import notify
from feedback.review_notices import RoundPicture, round_context
from handoff.calendar import DAY_SECONDS, is_working_day, working_days_between, working_days_in
from handoff.models import Role, Team, TeamKind, User
from handoff.roles import has_role
from handoff.templatetags import formats
from handoff.templatetags.formats import when


def after_working_time(start: datetime, days: float) -> datetime:
    """The moment `days` of working time (handoff.calendar: Monday to Friday) after `start`."""
    tz = timezone.get_current_timezone()
    current = timezone.localtime(start, tz).replace(tzinfo=None)
    remaining = days * DAY_SECONDS
    while True:
        midnight = datetime.combine(current.date() + timedelta(days=1), time.min)
        if is_working_day(current.date()):
            left_today = (midnight - current).total_seconds()
            if remaining <= left_today:
                return timezone.make_aware(current + timedelta(seconds=remaining), tz)
            remaining -= left_today
        current = midnight


def due_soon_at(review_round: ReviewRound, share: float | None = None) -> datetime:
    """When `share` (REVIEW_REMINDER_AT) of the round's working time to its due time has passed."""
    share = settings.REVIEW_REMINDER_AT if share is None else share
    total = working_days_between(review_round.submitted_at, review_round.due_at)
    return after_working_time(review_round.submitted_at, total * share)


def _local(moment: datetime) -> date:
    return timezone.localdate(moment)


def reminders_due(
    review_round: ReviewRound, now: datetime, sent: dict[tuple[str, date], datetime]
) -> Iterator[tuple[str, date]]:
    """The (kind, day) reminders the round is owed now, whether or not they were sent.

    `sent` holds the round's reminders already sent, (kind, day) -> when: the daily reminder
    starts the working day after the breach notice went out, never on the same day.
    """
    if now < review_round.due_at:
        soon = due_soon_at(review_round)
        if soon <= now:
            yield ReminderKind.DUE_SOON, _local(soon)
        return
    breach_day = _local(review_round.due_at)
    yield ReminderKind.OVERDUE, breach_day
    today = _local(now)
    breach_sent = sent.get((ReminderKind.OVERDUE, breach_day))
    if is_working_day(today) and breach_sent is not None and _local(breach_sent) < today:
        yield ReminderKind.OVERDUE_DAILY, today


def _horizon(now: datetime) -> datetime:
    """No round due later than this can be owed a reminder: the rest of its SLA after the due
    soon moment, in calendar days, is at most 7/5 of it plus a weekend."""
    rest = (1 - settings.REVIEW_REMINDER_AT) * settings.REVIEW_SLA_WORKING_DAYS
    return now + timedelta(days=rest * 7 / 5 + 2)


def send_review_reminders(*, now: datetime | None = None) -> int:
    """Send every reminder the open reviews are owed now, each once. How many were sent."""
    now = now or timezone.now()
    rounds = list(
        ReviewRound.objects.filter(
            decided_at__isnull=True, deal__status=DealStatus.IN_REVIEW, due_at__lte=_horizon(now)
        )
        .select_related("deal__client", "deal__owner", "reviewer")
        .order_by("due_at", "id")
    )
    sent: dict[int, dict[tuple[str, date], datetime]] = {r.pk: {} for r in rounds}
    rows = ReviewReminder.objects.filter(round__in=rounds).values_list(
        "round_id", "kind", "day", "sent_at"
    )
    for round_id, kind, day, sent_at in rows:
        sent[round_id][(kind, day)] = sent_at
    count = 0
    for review_round in rounds:
        for kind, day in list(reminders_due(review_round, now, sent[review_round.pk])):
            if (kind, day) not in sent[review_round.pk]:
                count += _send(review_round, kind, day, now)
    return count


def _send(review_round: ReviewRound, kind: str, day: date, now: datetime) -> int:
    """Claim the reminder by its unique row, then tell everyone it is for: 1 if this call did."""
    try:
        with transaction.atomic():
            ReviewReminder.objects.create(round=review_round, kind=kind, day=day, sent_at=now)
            _notify(review_round, kind, day, now)
    except IntegrityError:
        return 0  # another run claimed it first
    return 1


def _escalation(picture: RoundPicture) -> list[User]:
    """The leads of the reviewer's delivery teams; without one, the managers."""
    reviewer = picture.review_round.reviewer
    if reviewer is not None:
        teams = Team.objects.filter(kind=TeamKind.DELIVERY, members=reviewer, lead__isnull=False)
        leads = picture.sees(
            team.lead for team in teams.select_related("lead") if team.lead_id != reviewer.pk
        )
        if leads:
            return leads
    return [user for user in picture.seers.values() if has_role(user, Role.MANAGER)]


def _notify(review_round: ReviewRound, kind: str, day: date, now: datetime) -> None:
    deal = review_round.deal
    picture = RoundPicture.of(deal, review_round)
    asked = [picture.seers[pk] for pk in picture.asked_by_rules()]
    pending = formats.count(len(picture.pending()), "commitment")
    due = when(review_round.due_at)
    if kind == ReminderKind.DUE_SOON:
        recipients, escalated = [*picture.lead(), *asked], []
        text = f"The review of {deal} is due {due}: {pending} still to rule."
        notification_kind, key = NotificationKind.REVIEW_DUE_SOON, ""
    else:
        escalated = _escalation(picture)
        recipients = [*picture.lead(), *asked, *escalated]
        notification_kind = NotificationKind.REVIEW_OVERDUE
        if kind == ReminderKind.OVERDUE:
            text = f"The review of {deal} was due {due} and is not decided: {pending} to rule."
            # The key the overdue notice had before reminders: nobody gets it twice.
            key = f"review_overdue:{review_round.pk}"
        else:
            breach = _local(review_round.due_at)
            late = working_days_in(breach + timedelta(days=1), (day - breach).days)
            days_late = formats.count(late, "working day")
            text = (
                f"The review of {deal} is still not decided, {days_late} "
                f"after it was due ({due}): {pending} to rule."
            )
            key = ""
    personal = dict(picture.personal(recipients))  # the escalated are told why, below
    for user in escalated:
        personal[user.pk]["escalated"] = "manager" if has_role(user, Role.MANAGER) else "lead"
    notify(
        recipients=recipients,
        kind=notification_kind,
        text=text,
        url=deal_url(deal),
        deal=deal,
        key=key,
        context={**round_context(picture), "reminder": kind, "pending": pending},
        personal=personal,
    )
