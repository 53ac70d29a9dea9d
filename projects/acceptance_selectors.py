"""Customer acceptance, the reads: requests scoped to the user, a project's requests, and the
delivered deliverables that may go to a customer now."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from handoff.models import User
from projects.acceptance_models import AcceptanceRequest, AcceptanceStatus
from projects.models import Deliverable, DeliverableStatus, Project
from projects.selectors import projects_visible_to

# The state filter of the lists: a pending request past its time is "expired".
STATES = (
    ("pending", "Waiting for the customer"),
    ("expired", "Link expired"),
    ("accepted", "Accepted"),
    ("declined", "Declined"),
    ("cancelled", "Cancelled"),
)
# A project page shows its latest requests; the list page has them all.
ON_PROJECT_PAGE = 10


def acceptance_requests_visible_to(user: User) -> QuerySet[AcceptanceRequest]:
    """The requests of the projects the user may see (a rep: own deals' projects)."""
    return AcceptanceRequest.objects.filter(
        deliverable__project__in=projects_visible_to(user).values("pk")
    ).select_related("deliverable__project__deal__client", "deliverable__project__pm", "sent_by")


def acceptance_get_for_user(user: User, pk: int | str) -> AcceptanceRequest:
    return get_object_or_404(acceptance_requests_visible_to(user), pk=pk)


def state_q(state: str) -> Q:
    now = timezone.now()
    if state == "pending":
        return Q(status=AcceptanceStatus.PENDING, expires_at__gt=now)
    if state == "expired":
        return Q(status=AcceptanceStatus.PENDING, expires_at__lte=now)
    return Q(status=state)


def acceptance_list(
    user: User, *, state: str = "", project: int | None = None
) -> QuerySet[AcceptanceRequest]:
    requests = acceptance_requests_visible_to(user)
    if state:
        requests = requests.filter(state_q(state))
    if project:
        requests = requests.filter(deliverable__project_id=project)
    return requests.order_by("-sent_at", "-id")


def project_acceptance_requests(project: Project) -> list[AcceptanceRequest]:
    return list(
        AcceptanceRequest.objects.filter(deliverable__project=project)
        .select_related("deliverable", "sent_by")
        .order_by("-sent_at", "-id")[:ON_PROJECT_PAGE]
    )


def latest_decisions(
    *, project: Project | None = None, deliverable_ids: list[int] | None = None
) -> dict[int, AcceptanceRequest]:
    """The latest accepted or declined request of each deliverable, by deliverable id."""
    decided = AcceptanceRequest.objects.filter(
        status__in=(AcceptanceStatus.ACCEPTED, AcceptanceStatus.DECLINED)
    )
    if project is not None:
        decided = decided.filter(deliverable__project=project)
    if deliverable_ids is not None:
        decided = decided.filter(deliverable_id__in=deliverable_ids)
    found: dict[int, AcceptanceRequest] = {}
    for request in decided.only(
        "deliverable_id", "status", "contact_name", "decided_at", "rating", "delivered_on"
    ).order_by("deliverable_id", "-decided_at", "-id"):
        found.setdefault(request.deliverable_id, request)
    return found


def deliverables_to_send(project: Project) -> QuerySet[Deliverable]:
    """Delivered, not waiting for a customer now, and not accepted for this delivery."""
    now = timezone.now()
    busy = AcceptanceRequest.objects.filter(deliverable=OuterRef("pk")).filter(
        Q(status=AcceptanceStatus.PENDING, expires_at__gt=now)
        | Q(status=AcceptanceStatus.ACCEPTED, delivered_on=OuterRef("delivered_on"))
    )
    return (
        project.deliverables.filter(status=DeliverableStatus.DELIVERED)
        .exclude(Exists(busy))
        .order_by("promised_date", "id")
    )
