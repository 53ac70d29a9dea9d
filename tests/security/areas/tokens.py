"""API tokens in the route matrix: every signed-in user manages their own tokens, on the
settings page and through the API; another user's token is not found. World: rep's token
"CRM sync" with the read scope."""

from tests.security.route_expectations import (
    HIDDEN,
    LOGIN,
    UNAUTHENTICATED,
    E,
    api,
    page,
    roles,
)

REPS_OWN = {"rep2": HIDDEN, "pm": HIDDEN, "manager": HIDDEN}

DEFAULT_PARAMS = {
    "api_tokens:": {"pk": "api_token"},
    "api:api-token-": {"pk": "api_token"},
}

EXPECTATIONS = {
    # The list and the form of a new token; an empty form comes back with its errors (400).
    "api_tokens:list": E(page(), post=roles(400, anonymous=LOGIN)),
    "api_tokens:revoke": E(page(**REPS_OWN), post=roles(302, anonymous=LOGIN, **REPS_OWN)),
    # A body without name and scopes is bad input for everyone signed in.
    "api:api-token-list": E(api(), post=roles(400, anonymous=UNAUTHENTICATED)),
    "api:api-token-detail": E(
        api(**REPS_OWN), delete=roles(204, anonymous=UNAUTHENTICATED, **REPS_OWN)
    ),
}


def add_to_world(world) -> None:
    from handoff.tokens.services import api_token_create

    token, _secret = api_token_create(actor=world.users["rep"], name="CRM sync", scopes=["read"])
    world.objects["api_token"] = token
