"""The weekly sync's routes: attendees (rep, pm) and managers run a meeting; rep2 attends
none, reads the minutes without rep's items, and closes only their own action items."""

import datetime

from django.utils import timezone

from meetings import services
from meetings.models import AgendaItem
from tests.security.route_expectations import (
    API_WRITE,
    FORBIDDEN,
    FORM,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    UNAUTHENTICATED,
    E,
    api,
    page,
    roles,
)

RUNNERS_FORBIDDEN = {"rep2": FORBIDDEN}

DEFAULT_PARAMS = {
    "meetings:decide": {"pk": "meeting.running", "item_pk": "agenda_item"},
    "meetings:start": {"pk": "meeting.scheduled"},
    "meetings:attendees": {"pk": "meeting.scheduled"},
    "meetings:minutes": {"pk": "meeting.closed"},
    "meetings:action_item_status": {"pk": "action_item"},
    "meetings:": {"pk": "meeting.running"},
    "api:meeting-start": {"pk": "meeting.scheduled"},
    "api:meeting-": {"pk": "meeting.running"},
    "api:action-item-": {"pk": "action_item"},
}

EXPECTATIONS = {
    "meetings:list": E(page(), query="q=Warehouse"),
    "meetings:create": E(
        page(rep=FORBIDDEN, rep2=FORBIDDEN, pm=FORBIDDEN),
        post=roles(FORBIDDEN, anonymous=LOGIN, manager=FORM),
    ),
    # Everyone signed in reads a meeting; what its agenda names is filtered per reader.
    "meetings:detail": E(page()),
    # Starting freezes the agenda: GET asks, POST starts; for its attendees and managers.
    "meetings:start": E(
        page(**RUNNERS_FORBIDDEN), post=roles(302, anonymous=LOGIN, **RUNNERS_FORBIDDEN)
    ),
    "meetings:attendees": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN, **RUNNERS_FORBIDDEN),
    ),
    # An empty decision is refused on the form (400); rep2 may not see rep's item at all.
    "meetings:decide": E(
        roles(NOT_ALLOWED, anonymous=LOGIN), post=roles(400, anonymous=LOGIN, rep2=HIDDEN)
    ),
    "meetings:action_item_add": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(400, anonymous=LOGIN, **RUNNERS_FORBIDDEN),
    ),
    "meetings:close": E(
        page(**RUNNERS_FORBIDDEN), post=roles(400, anonymous=LOGIN, **RUNNERS_FORBIDDEN)
    ),
    "meetings:minutes": E(page()),
    "meetings:minutes_markdown": E(page(), params={"pk": "meeting.closed"}),
    "meetings:action_items": E(page(), query="owner=&status=all&due=overdue"),
    # rep's action item on rep's deal: rep2 cannot see it, pm sees it but it is not theirs.
    "meetings:action_item_status": E(
        roles(NOT_ALLOWED, anonymous=LOGIN),
        post=roles(302, anonymous=LOGIN, rep2=HIDDEN, pm=FORBIDDEN),
    ),
    "api:meeting-list": E(
        api(), post=roles(FORBIDDEN, anonymous=UNAUTHENTICATED, manager=400), query="q=x"
    ),
    "api:meeting-detail": E(api()),
    "api:meeting-start": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(200, anonymous=UNAUTHENTICATED, **RUNNERS_FORBIDDEN),
    ),
    "api:meeting-close": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(400, anonymous=UNAUTHENTICATED, **RUNNERS_FORBIDDEN),
    ),
    "api:action-item-list": E(api(), query="status=open&due=week"),
    "api:action-item-detail": E(
        api(rep2=HIDDEN),
        patch=roles(API_WRITE, anonymous=UNAUTHENTICATED, rep2=HIDDEN, pm=FORBIDDEN),
        data={"status": "done"},
    ),
}


def add_to_world(world) -> None:
    """Three meetings of rep, pm and manager: ready, running (with an item on rep's deal in
    review and rep's action item on it) and closed."""
    rep, pm, manager = world.users["rep"], world.users["pm"], world.users["manager"]
    today = timezone.localdate()

    def meeting():
        made = services.meeting_create(actor=manager, held_on=today)
        return services.attendees_set(meeting=made, actor=manager, users=[rep, pm, manager])

    world.objects["meeting.scheduled"] = meeting()
    running = services.meeting_start(meeting=meeting(), actor=manager)
    world.objects["meeting.running"] = running
    item = AgendaItem.objects.filter(
        meeting=running, deal_id=world.deals["in_review"].pk, section="waiting_for_review"
    ).get()
    world.objects["agenda_item"] = item
    world.objects["action_item"] = services.action_item_add(
        meeting=running,
        actor=manager,
        what="Confirm the scanners' delivery window",
        owner=rep,
        due_on=today + datetime.timedelta(days=5),
        agenda_item=item,
    )
    closed = services.meeting_start(meeting=meeting(), actor=manager)
    services.item_decide(item=closed.agenda_items.first(), actor=manager, note="Agreed")
    world.objects["meeting.closed"] = services.meeting_close(
        meeting=closed, actor=manager, present=[manager, rep]
    )
