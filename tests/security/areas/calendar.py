"""Calendar feeds in the route matrix: the secret ICS address answers anyone who has it, the
settings actions and the API answer only the address's owner (rep's personal feed here)."""

from types import SimpleNamespace

from tests.security.route_expectations import (
    API_WRITE,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    UNAUTHENTICATED,
    E,
    api,
    everyone,
    page,
    roles,
)

DEFAULT_PARAMS = {
    "calendar:": {"pk": "calendar_feed", "secret": "calendar_secret"},
    "api:calendar-feed-": {"pk": "calendar_feed"},
}

NOT_THEIRS = {"rep2": HIDDEN, "pm": HIDDEN, "manager": HIDDEN}

EXPECTATIONS = {
    # No sign-in: calendar apps cannot; the secret is the key (revoked: 410, unknown: 404).
    "calendar:feed": E(everyone(200)),
    # A personal address for whoever posts; rep has one already and is told so (302 both).
    "calendar:create": E(roles(NOT_ALLOWED, anonymous=LOGIN), post=roles(302, anonymous=LOGIN)),
    "calendar:reset": E(page(**NOT_THEIRS), post=roles(302, anonymous=LOGIN, **NOT_THEIRS)),
    "calendar:revoke": E(page(**NOT_THEIRS), post=roles(302, anonymous=LOGIN, **NOT_THEIRS)),
    # Everyone lists their own; an empty body makes a personal feed (rep's: 409, it exists).
    "api:calendar-feed-list": E(api(), post=roles(API_WRITE, anonymous=UNAUTHENTICATED)),
    "api:calendar-feed-detail": E(api(**NOT_THEIRS)),
    "api:calendar-feed-revoke": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(200, anonymous=UNAUTHENTICATED, **NOT_THEIRS),
    ),
    "api:calendar-feed-reset": E(
        roles(NOT_ALLOWED, anonymous=UNAUTHENTICATED),
        post=roles(201, anonymous=UNAUTHENTICATED, **NOT_THEIRS),
    ),
}


def add_to_world(world) -> None:
    from feedback.calendar_services import calendar_feed_create

    feed, secret = calendar_feed_create(actor=world.users["rep"])
    world.objects["calendar_feed"] = feed
    # The path parameter is the secret itself, read as the object's pk.
    world.objects["calendar_secret"] = SimpleNamespace(pk=secret)
