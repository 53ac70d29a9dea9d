"""Customer acceptance in the route matrix: the signed link answers anyone who has it (no
account), the PM's pages and actions answer the project's PM and managers, the API answers
PMs and managers only. World: a pending request on the won project (rep's deal, run by pm)."""

from types import SimpleNamespace

from tests.security.route_expectations import (
    API_WRITE,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    PAGE_ACTION,
    UNAUTHENTICATED,
    E,
    api,
    everyone,
    page,
    roles,
)

PENDING = {"pk": "acceptance.pending"}
# Reps see their own projects (so a refusal, 403) but never rep's other projects (404).
PM_ONLY = {"rep": FORBIDDEN, "rep2": HIDDEN}
API_STAFF_ONLY = {"rep": FORBIDDEN, "rep2": FORBIDDEN}

EXPECTATIONS = {
    "projects:acceptance_list": E(page(rep=FORBIDDEN, rep2=FORBIDDEN)),
    # No sign-in: the customer has no account; the signed link is the key. Its answer is
    # taken by anyone holding it (each role's write is rolled back).
    "projects:acceptance_respond": E(
        everyone(200),
        post=everyone(302),
        params={"token": "acceptance.token"},
        data={"decision": "accepted", "rating": "5", "comment": "All there."},
    ),
    # The deliverable is waiting for the customer already: the form comes back (400).
    "projects:acceptance_send": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(PAGE_ACTION, anonymous=LOGIN, **PM_ONLY),
        params={"pk": "project"},
        data={
            "deliverable": "@acceptance.deliverable",
            "contact_name": "Dana Client",
            "contact_email": "dana@client.example",
        },
    ),
    "projects:acceptance_resend": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN, **PM_ONLY),
        params=PENDING,
    ),
    # Cancelling cannot be undone: a GET is its confirmation page, for who may cancel.
    "projects:acceptance_cancel": E(
        roles(200, anonymous=LOGIN, **PM_ONLY),
        post=roles(302, anonymous=LOGIN, **PM_ONLY),
        params=PENDING,
    ),
    # Sending the waiting deliverable again is a conflict (409).
    "api:acceptance-request-list": E(
        api(**API_STAFF_ONLY),
        post=roles(API_WRITE, anonymous=UNAUTHENTICATED, **API_STAFF_ONLY),
        data={
            "deliverable": "@acceptance.deliverable",
            "contact_name": "Dana Client",
            "contact_email": "dana@client.example",
        },
    ),
    "api:acceptance-request-detail": E(api(**API_STAFF_ONLY), params=PENDING),
    "api:acceptance-request-resend": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED, **API_STAFF_ONLY),
        post=roles(200, anonymous=UNAUTHENTICATED, **API_STAFF_ONLY),
        params=PENDING,
    ),
    "api:acceptance-request-cancel": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED, **API_STAFF_ONLY),
        post=roles(200, anonymous=UNAUTHENTICATED, **API_STAFF_ONLY),
        params=PENDING,
    ),
}


def add_to_world(world) -> None:
    from django.utils import timezone

    from projects import acceptance, services
    from projects.acceptance_links import acceptance_token

    pm = world.users["pm"]
    deliverable = world.objects["project"].deliverables.order_by("promised_date", "id").last()
    deliverable = services.deliverable_update_status(
        deliverable=deliverable, actor=pm, status="delivered", delivered_on=timezone.localdate()
    )
    request = acceptance.acceptance_send(
        deliverable=deliverable,
        actor=pm,
        contact_name="Dana Client",
        contact_email="dana@client.example",
    )
    world.objects["acceptance.deliverable"] = deliverable
    world.objects["acceptance.pending"] = request
    world.objects["acceptance.token"] = SimpleNamespace(pk=acceptance_token(request))
