"""The site search: the deals, clients, projects and people a user may see, grouped by kind.

Every kind reads through the selector that scopes it to the user, so the search can never
show what the lists and pages would not. Each kind is one query of at most PER_KIND + 1 rows
(the extra row only tells that there are more), so a search costs the same for any data.
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from deals.filters import deals_matching
from deals.models import Deal
from deals.selectors import clients_matching, deals_visible_to
from handoff.models import Role, Team, User
from handoff.roles import is_manager
from projects.selectors import projects_visible_to

MAX_QUERY_LENGTH = 200
PER_KIND = 20
# People with a scorecard: the roles whose promises and reviews are measured.
SCORED_ROLES = (Role.SALES, Role.PM)


@dataclass(frozen=True)
class Hit:
    id: int
    title: str
    detail: str
    url: str


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False
    more_url: str = ""


@dataclass
class SearchResult:
    q: str
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(len(group.hits) for group in self.groups)


def people_visible_to(user: User) -> QuerySet[User]:
    """The people whose scorecard `user` may open: insights.rules.can_see_scorecard as a query."""
    people = User.objects.filter(is_active=True, role__in=SCORED_ROLES)
    if not (user and user.is_authenticated):
        return people.none()
    if is_manager(user):
        return people
    teammates = Team.members.through.objects.filter(team__members=user).values("user_id")
    return people.filter(Q(pk=user.pk) | Q(pk__in=teammates))


def _first(rows, limit: int) -> tuple[list, bool]:
    rows = list(rows[: limit + 1])
    return rows[:limit], len(rows) > limit


def _deals(user: User, q: str, limit: int) -> Group:
    deals = deals_matching(deals_visible_to(user), q).order_by("-updated_at", "-id")
    rows, more = _first(deals, limit)
    return Group(
        kind="deals",
        label="Deals",
        hits=[
            Hit(
                id=d.pk,
                title=d.title,
                detail=f"{d.client.name} · {d.get_status_display()}",
                url=d.get_absolute_url(),
            )
            for d in rows
        ],
        more=more,
        more_url=f"{reverse('deals:list')}?{urlencode({'q': q})}",
    )


def _clients(user: User, q: str, limit: int) -> Group:
    rows = clients_matching(user, q, limit=limit + 1)
    deals_url = reverse("deals:list")
    return Group(
        kind="clients",
        label="Clients",
        hits=[
            Hit(
                id=c.pk,
                title=c.name,
                detail="Their deals",
                url=f"{deals_url}?{urlencode({'client': c.pk})}",
            )
            for c in rows[:limit]
        ],
        more=len(rows) > limit,
    )


def _projects(user: User, q: str, limit: int) -> Group:
    matching = deals_matching(Deal.objects.order_by(), q).values("pk")
    projects = projects_visible_to(user).filter(deal__in=matching).order_by("-created_at", "-id")
    rows, more = _first(projects, limit)
    return Group(
        kind="projects",
        label="Projects",
        hits=[
            Hit(
                id=p.pk,
                title=p.deal.title,
                detail=f"{p.deal.client.name} · {p.get_status_display()}",
                url=p.get_absolute_url(),
            )
            for p in rows
        ],
        more=more,
    )


def _people(user: User, q: str, limit: int) -> Group:
    matches = Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
    people = (
        people_visible_to(user)
        .filter(matches)
        .only(*User.NAME_FIELDS, "role")
        .order_by("first_name", "last_name", "username", "id")
    )
    rows, more = _first(people, limit)
    return Group(
        kind="people",
        label="People",
        hits=[
            Hit(
                id=person.pk,
                title=person.display_name,
                detail=person.get_role_display(),
                url=reverse("scorecard", args=[person.username]),
            )
            for person in rows
        ],
        more=more,
    )


def search(user: User, q: str, *, limit: int = PER_KIND) -> SearchResult:
    """What `user` may see that matches `q` (stripped, at most MAX_QUERY_LENGTH): four queries."""
    q = q.strip()[:MAX_QUERY_LENGTH]
    if not q or not (user and user.is_authenticated):
        return SearchResult(q=q, groups=[])
    groups = [kind(user, q, limit) for kind in (_deals, _clients, _projects, _people)]
    return SearchResult(q=q, groups=groups)
