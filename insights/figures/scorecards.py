"""Scorecards: a rep's or PM's own figures beside their team's."""

from datetime import date
from typing import Any

from handoff.models import Role, Team, TeamKind, User
from insights.figures.flags import flag_rate
from insights.figures.promises import promise_figures, renegotiated_figure
from insights.figures.results import Figure
from insights.figures.reviews import first_pass_approval, review_turnaround, sla_breaches
from insights.figures.window import Window, window_for, window_for_person


def team_of(person: User) -> Team | None:
    kind = TeamKind.DELIVERY if person.role == Role.PM else TeamKind.SALES
    return person.teams.filter(kind=kind).order_by("name").first()


def _person_figures(w: Window, is_pm: bool) -> list[Figure]:
    """Promises kept as sold and as renegotiated side by side: a change agreed after the win
    shows in the second, never in the first."""
    kept, slip = promise_figures(w)
    renegotiated = renegotiated_figure(w)
    if is_pm:
        median_figure = review_turnaround(w)[0]
        return [median_figure, sla_breaches(w), kept, renegotiated]
    return [flag_rate(w), first_pass_approval(w), kept, renegotiated, slip]


def scorecard(person: User, start: date, end: date) -> dict[str, Any]:
    """A rep's or PM's own figures beside their team's (everyone's when in no team)."""
    is_pm = person.role == Role.PM
    team = team_of(person)
    own = _person_figures(window_for_person(start, end, person), is_pm)
    if team is not None:
        team_window = window_for(start, end, team)
    else:
        role_ids = tuple(
            User.objects.filter(role=person.role, is_active=True).values_list("pk", flat=True)
        )
        team_window = (
            Window(start, end, pms=role_ids) if is_pm else Window(start, end, reps=role_ids)
        )
    theirs = _person_figures(team_window, is_pm)
    return {
        "person": person,
        "team": team,
        "team_label": team.name if team else ("All project managers" if is_pm else "All reps"),
        "rows": [{"own": o, "team": t} for o, t in zip(own, theirs, strict=True)],
    }
