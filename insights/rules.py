"""Who may see what among the insights pages: one predicate per action."""

from handoff.models import Team, User
from handoff.roles import SEES_EVERYTHING, is_manager

# The dashboard, its exports and API, the agenda and the goals pages are for these roles.
MANAGERS = tuple(SEES_EVERYTHING)


def can_see_scorecard(viewer: User, person: User) -> bool:
    """Managers see everyone's; a rep or PM sees their own and their teammates'."""
    if is_manager(viewer) or viewer.pk == person.pk:
        return True
    return Team.objects.filter(members=viewer).filter(pk__in=person.teams.values("pk")).exists()
