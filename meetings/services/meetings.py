"""A meeting's life: made ready (by the job or on demand), attendees, started, closed."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from handoff.errors import ActionForbidden
from handoff.models import Role, Team, TeamKind, User
from handoff.validators import date_input_range
from meetings import agenda, minutes, rules
from meetings.models import (
    AgendaItem,
    Attendee,
    CarryOver,
    Meeting,
    MeetingEventKind,
    MeetingKind,
    MeetingStatus,
    team_key,
)
from meetings.services._common import lock, record, require_runner, require_status
from projects.capacity import week_of

MAX_ATTENDEES = 200


def _default_attendees(sales_team: Team | None, delivery_team: Team | None) -> list[User]:
    """The teams' members (and leads); for all teams, every active rep, PM and manager."""
    people = User.objects.filter(is_active=True)
    teams = [team for team in (sales_team, delivery_team) if team]
    if not teams:
        return list(people.filter(role__in=(Role.SALES, Role.PM, Role.MANAGER)))
    return list(
        people.filter(Q(teams__in=teams) | Q(led_teams__in=teams)).distinct().order_by("pk")
    )


def _check_teams(sales_team: Team | None, delivery_team: Team | None) -> None:
    errors = {}
    if sales_team is not None and sales_team.kind != TeamKind.SALES:
        errors["sales_team"] = "Choose a sales team."
    if delivery_team is not None and delivery_team.kind != TeamKind.DELIVERY:
        errors["delivery_team"] = "Choose a delivery team."
    if errors:
        raise ValidationError(errors)


def _check_day(held_on: date) -> None:
    low, high = date_input_range()
    if not (low <= held_on <= high):
        raise ValidationError({"held_on": f"Choose a day between {low} and {high}."})


@transaction.atomic
def meeting_create(
    *,
    actor: User | None,
    held_on: date,
    sales_team: Team | None = None,
    delivery_team: Team | None = None,
    kind: str = MeetingKind.ON_DEMAND,
) -> Meeting:
    """A meeting ready to start, its attendees the teams' members. A manager, or the job."""
    if actor is not None and not rules.can_create_meeting(actor):
        raise ActionForbidden("Only a manager can call a meeting.")
    _check_teams(sales_team, delivery_team)
    _check_day(held_on)
    meeting = Meeting.objects.create(
        kind=kind,
        held_on=held_on,
        week_of=week_of(held_on),
        sales_team=sales_team,
        delivery_team=delivery_team,
        team_key=team_key(sales_team, delivery_team),
        created_by=actor,
    )
    Attendee.objects.bulk_create(
        Attendee(meeting=meeting, user=user)
        for user in _default_attendees(sales_team, delivery_team)
    )
    record(meeting, actor=actor, kind=MeetingEventKind.CREATED, data={"kind": kind})
    meeting_carry_overdue(meeting=meeting)
    return meeting


def weekly_meetings_prepare(*, today: date | None = None) -> list[Meeting]:
    """This week's meeting of every pair that met weekly before, and of all teams: once each.

    The unique (week, pair) of weekly meetings makes any number of runs create one; each run
    carries overdue action items into the meetings not started yet, once per meeting.
    """
    today = today or timezone.localdate()
    monday = week_of(today)
    pairs = {(None, None)}
    earlier = (
        Meeting.objects.filter(kind=MeetingKind.WEEKLY, week_of__lt=monday)
        .values_list("sales_team_id", "delivery_team_id")
        .distinct()
    )
    pairs.update(earlier)
    teams = Team.objects.in_bulk({pk for pair in pairs for pk in pair if pk})
    ready = []
    for sales_id, delivery_id in sorted(pairs, key=lambda pair: (pair[0] or 0, pair[1] or 0)):
        sales, delivery = teams.get(sales_id), teams.get(delivery_id)
        key = team_key(sales, delivery)
        meeting = Meeting.objects.filter(
            kind=MeetingKind.WEEKLY, week_of=monday, team_key=key
        ).first()
        if meeting is None:
            try:
                meeting = meeting_create(
                    actor=None,
                    held_on=today,
                    sales_team=sales,
                    delivery_team=delivery,
                    kind=MeetingKind.WEEKLY,
                )
            except IntegrityError:  # another run made it a moment ago
                meeting = Meeting.objects.get(kind=MeetingKind.WEEKLY, week_of=monday, team_key=key)
        if meeting.is_scheduled:
            meeting_carry_overdue(meeting=meeting)
        ready.append(meeting)
    return ready


@transaction.atomic
def meeting_carry_overdue(*, meeting: Meeting) -> int:
    """Carry the pair's overdue open action items into this meeting; each at most once."""
    meeting = lock(meeting)
    if not meeting.is_scheduled:
        return 0
    carried = 0
    for item in agenda.overdue_to_carry(meeting):
        try:
            with transaction.atomic():
                CarryOver.objects.create(meeting=meeting, action_item=item)
        except IntegrityError:  # carried by a run at the same time
            continue
        carried += 1
    if carried:
        record(meeting, actor=None, kind=MeetingEventKind.CARRIED, data={"count": carried})
    return carried


@transaction.atomic
def attendees_set(*, meeting: Meeting, actor: User, users: list[User]) -> Meeting:
    """Who is invited, until the meeting closes."""
    meeting = lock(meeting)
    require_runner(meeting, actor, "change who attends")
    if meeting.is_closed:
        raise ActionForbidden("A closed meeting's attendance is recorded; it no longer changes.")
    if len(users) > MAX_ATTENDEES:
        raise ValidationError({"attendees": f"Invite at most {MAX_ATTENDEES} people."})
    if not users:
        raise ValidationError({"attendees": "Invite at least one person."})
    wanted = {user.pk for user in users}
    current = set(meeting.attendees.values_list("user_id", flat=True))
    meeting.attendees.exclude(user_id__in=wanted).delete()
    Attendee.objects.bulk_create(
        Attendee(meeting=meeting, user_id=pk) for pk in sorted(wanted - current)
    )
    record(
        meeting,
        actor=actor,
        kind=MeetingEventKind.ATTENDEES_CHANGED,
        data={"added": sorted(wanted - current), "removed": sorted(current - wanted)},
    )
    return meeting


@transaction.atomic
def meeting_start(*, meeting: Meeting, actor: User) -> Meeting:
    """Freeze the agenda as it stands now, carried action items first, and open the meeting."""
    meeting_carry_overdue(meeting=meeting)
    meeting = lock(meeting)
    require_runner(meeting, actor, "start it")
    require_status(
        meeting, MeetingStatus.SCHEDULED, "This meeting has already started.", "already_started"
    )
    rows = agenda.carried_rows(meeting) + agenda.sync_rows(meeting, timezone.localdate())
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            position=position,
            section=row.section,
            section_title=row.section_title[:200],
            title=row.title[:300],
            detail=row.detail[:500],
            url=row.url[:300],
            action=row.action,
            carried_times=row.carried_times,
            **row.links,
        )
        for position, row in enumerate(rows, start=1)
    )
    meeting.status = MeetingStatus.IN_PROGRESS
    meeting.started_at = timezone.now()
    meeting.started_by = actor
    meeting.save(update_fields=["status", "started_at", "started_by"])
    record(meeting, actor=actor, kind=MeetingEventKind.STARTED, data={"items": len(rows)})
    return meeting


@transaction.atomic
def meeting_close(*, meeting: Meeting, actor: User, present: list[User]) -> Meeting:
    """Record who attended and send the minutes to every attendee through the outbox."""
    meeting = lock(meeting)
    require_runner(meeting, actor, "close it")
    require_status(
        meeting,
        MeetingStatus.IN_PROGRESS,
        "Only a meeting in progress can be closed.",
        "meeting_not_running",
    )
    invited = set(meeting.attendees.values_list("user_id", flat=True))
    here = {user.pk for user in present}
    if here - invited:
        raise ValidationError({"present": "Mark only invited people as present."})
    if not here:
        raise ValidationError({"present": "Mark who attended."})
    meeting.attendees.filter(user_id__in=here).update(present=True)
    meeting.attendees.exclude(user_id__in=here).update(present=False)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.closed_by = actor
    meeting.minutes_sent_to = minutes.send_minutes(meeting)
    meeting.save(update_fields=["status", "closed_at", "closed_by", "minutes_sent_to"])
    record(
        meeting,
        actor=actor,
        kind=MeetingEventKind.CLOSED,
        data={"present": sorted(here), "absent": sorted(invited - here)},
    )
    return meeting
