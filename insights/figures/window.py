"""The range a figure covers and whose work it counts: a window over a team or one person."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from handoff.models import Role, Team, TeamKind, User

DEFAULT_RANGE_DAYS = 90


@dataclass(frozen=True)
class Window:
    """A date range (both ends inclusive) and, optionally, whose work it covers.

    `reps` limits to deals owned by those reps; `pms` to reviews and projects of
    those PMs. None means everyone.
    """

    start: date
    end: date
    team: Team | None = None
    reps: tuple[int, ...] | None = None
    pms: tuple[int, ...] | None = None

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_range(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_RANGE_DAYS - 1), today


def window_for(start: date, end: date, team: Team | None = None) -> Window:
    """A window over a team: a sales team's members' deals, a delivery team's PMs' work."""
    if team is None:
        return Window(start, end)
    members = tuple(team.members.values_list("pk", flat=True))
    if team.kind == TeamKind.SALES:
        return Window(start, end, team=team, reps=members)
    return Window(start, end, team=team, pms=members)


def window_params(w: Window) -> dict[str, str | int | None]:
    """A window over everyone or a team, as a job's JSON arguments (window_from_params reads it)."""
    return {
        "start": w.start.isoformat(),
        "end": w.end.isoformat(),
        "team": w.team.pk if w.team else None,
    }


def window_from_params(params: dict) -> Window | None:
    """The window of window_params; None when its team no longer exists."""
    team = None
    if params.get("team") is not None:
        team = Team.objects.filter(pk=params["team"]).first()
        if team is None:
            return None
    return window_for(date.fromisoformat(params["start"]), date.fromisoformat(params["end"]), team)


def window_for_person(start: date, end: date, person: User) -> Window:
    if person.role == Role.PM:
        return Window(start, end, pms=(person.pk,))
    return Window(start, end, reps=(person.pk,))


def owner_param(w: Window) -> int | None:
    """A deal-list link can name one owner; a window over one rep links to theirs."""
    return w.reps[0] if w.reps is not None and len(w.reps) == 1 else None
