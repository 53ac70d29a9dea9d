"""Demo customer acceptance: one delivery accepted and rated, one declined (back in progress),
one waiting for the customer. Through the real services and links. Safe to run twice."""

from django.db import transaction

from handoff.models import User
from projects import acceptance
from projects.acceptance_links import acceptance_token
from projects.acceptance_models import AcceptanceRequest
from projects.models import Deliverable, DeliverableStatus, ProjectStatus

# (contact, email, decision, rating, comment); None: the request still waits.
ANSWERS = [
    ("Grace Hopper", "grace.hopper@example.com", "accepted", 5, "Exactly what we signed for."),
    (
        "Alan Turing",
        "alan.turing@example.com",
        "declined",
        2,
        "The export to our finance system is missing two of the agreed fields.",
    ),
    ("Ada Lovelace", "ada.lovelace@example.com", None, None, ""),
]


@transaction.atomic
def seed(users: dict[str, User]) -> dict[str, User]:
    if AcceptanceRequest.objects.exists():
        return users
    delivered = list(
        Deliverable.objects.filter(status=DeliverableStatus.DELIVERED)
        .exclude(project__status=ProjectStatus.COMPLETED)
        .select_related("project__pm")
        .order_by("delivered_on", "id")[: len(ANSWERS)]
    )
    for deliverable, (name, email, decision, rating, comment) in zip(
        delivered, ANSWERS, strict=False
    ):
        request = acceptance.acceptance_send(
            deliverable=deliverable,
            actor=deliverable.project.pm,
            contact_name=name,
            contact_email=email,
        )
        if decision:
            acceptance.acceptance_decide(
                token=acceptance_token(request), decision=decision, rating=rating, comment=comment
            )
    return users
