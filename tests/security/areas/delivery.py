"""Delivery truth in the route matrix: time entries and change requests.

World: on the won project (rep's deal, run by pm), an hour pm entered on its first open
deliverable, and an open change pm asked for on it, which waits for rep. A rep sees the
project (so a refusal is 403), rep2 never does (404). Time is entered by PMs; a change is
asked for by the project's PM or the deal's rep and decided by the other side, never by the
one who asked.
"""

import datetime

from django.utils import timezone

from tests.security.route_expectations import (
    API_WRITE,
    FORBIDDEN,
    FORM,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    PAGE_ACTION,
    UNAUTHENTICATED,
    E,
    api,
    page,
    roles,
)

ENTRY = {"pk": "delivery.time_entry"}
CHANGE = {"pk": "delivery.change"}
NOT_REP2 = {"rep2": HIDDEN}
# pm asked for the change: rep decides it; pm may not decide own, a manager is not needed.
DECIDERS = {"rep2": HIDDEN, "pm": FORBIDDEN, "manager": FORBIDDEN}


def _today() -> str:
    return timezone.localdate().isoformat()


EXPECTATIONS = {
    "projects:time_entry_add": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(PAGE_ACTION, anonymous=LOGIN, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN),
        params={"pk": "project"},
        data={
            "deliverable": "@delivery.deliverable",
            "day": _today(),
            "amount": "1",
            "unit": "hours",
        },
    ),
    "projects:time_entry_edit": E(
        roles(200, anonymous=LOGIN, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN),
        post=roles(FORM, anonymous=LOGIN, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN),
        params=ENTRY,
        data={"day": _today(), "amount": "2", "unit": "hours", "note": "Longer"},
    ),
    # Removing cannot be undone: the GET is its confirmation page, for the one who entered it.
    "projects:time_entry_remove": E(
        roles(200, anonymous=LOGIN, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN),
        post=roles(302, anonymous=LOGIN, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN),
        params=ENTRY,
    ),
    # A change is waiting on the deliverable already: the form opens, sending it is refused.
    "projects:change_new": E(
        page(rep2=HIDDEN, manager=FORBIDDEN),
        post=roles(PAGE_ACTION, anonymous=LOGIN, rep2=HIDDEN, manager=FORBIDDEN),
        params={"pk": "delivery.deliverable"},
        data={"proposed_effort_days": "3", "reason": "Smaller than sold"},
    ),
    "projects:change_approve": E(
        roles(200, anonymous=LOGIN, **DECIDERS),
        post=roles(302, anonymous=LOGIN, **DECIDERS),
        params=CHANGE,
    ),
    "projects:change_reject": E(
        roles(200, anonymous=LOGIN, **DECIDERS),
        post=roles(302, anonymous=LOGIN, **DECIDERS),
        params=CHANGE,
        data={"reason": "Still needed as sold"},
    ),
    "api:time-entry-list": E(
        api(),
        post=roles(
            API_WRITE, anonymous=UNAUTHENTICATED, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN
        ),
        data={"deliverable": "@delivery.deliverable", "day": _today(), "hours": "1"},
    ),
    "api:time-entry-detail": E(
        api(**NOT_REP2),
        put=roles(
            API_WRITE, anonymous=UNAUTHENTICATED, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN
        ),
        patch=roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        delete=roles(204, anonymous=UNAUTHENTICATED, rep=FORBIDDEN, rep2=HIDDEN, manager=FORBIDDEN),
        params=ENTRY,
        data={"day": _today(), "hours": "2", "note": "Longer"},
    ),
    # The deliverable has a change waiting: asking again is a conflict (409).
    "api:change-request-list": E(
        api(),
        post=roles(API_WRITE, anonymous=UNAUTHENTICATED, rep2=HIDDEN, manager=FORBIDDEN),
        data={
            "deliverable": "@delivery.deliverable",
            "proposed_effort_days": "3",
            "reason": "Smaller",
        },
    ),
    "api:change-request-detail": E(api(**NOT_REP2), params=CHANGE),
    "api:change-request-approve": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(200, anonymous=UNAUTHENTICATED, **DECIDERS),
        params=CHANGE,
    ),
    "api:change-request-reject": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(200, anonymous=UNAUTHENTICATED, **DECIDERS),
        params=CHANGE,
        data={"reason": "Still needed as sold"},
    ),
}


def add_to_world(world) -> None:
    from projects import services_changes, services_time
    from projects.models import OPEN_DELIVERABLE_STATUSES

    pm = world.users["pm"]
    deliverable = (
        world.objects["project"]
        .deliverables.filter(status__in=OPEN_DELIVERABLE_STATUSES)
        .order_by("promised_date", "id")
        .first()
    )
    world.objects["delivery.deliverable"] = deliverable
    world.objects["delivery.time_entry"] = services_time.time_entry_add(
        deliverable=deliverable, actor=pm, day=timezone.localdate(), hours="1", note="Kickoff"
    )
    world.objects["delivery.change"] = services_changes.change_request_raise(
        deliverable=deliverable,
        actor=pm,
        reason="The client's data arrives a month late",
        proposed_date=deliverable.promised_date + datetime.timedelta(days=30),
    )
