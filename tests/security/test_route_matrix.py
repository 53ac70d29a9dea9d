"""Every route against every role: the URL configuration is walked, nothing is listed by hand.

A route the resolver serves and the table does not know fails the test, so a new page or
endpoint cannot ship without someone deciding who may open it.
"""

import json
import os
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.security.conftest import FAST_HASHERS
from tests.security.route_expectations import EXPECTATIONS, ROLES, Expect, default_param
from tests.security.routes import all_routes, is_unnamed
from tests.security.world import build_world

ROUTES = all_routes()
CASES = [
    (route, method)
    for route in ROUTES
    if route.key in EXPECTATIONS
    for method in EXPECTATIONS[route.key].methods
]


def test_every_route_has_an_expectation():
    problems = []
    for route in ROUTES:
        if is_unnamed(route):
            problems.append(f"give the route {route.pattern!r} a name")
            continue
        expect = EXPECTATIONS.get(route.key)
        if expect is None:
            problems.append(
                f"add an expectation for {route.key!r} ({route.pattern}) "
                f"in tests/security/route_expectations.py"
            )
            continue
        missing = [m for m in route.methods if m not in expect.methods]
        if missing:
            problems.append(f"add an expectation for {', '.join(missing)} on {route.key!r}")
        unfilled = [
            p for p in route.params if not (expect.params.get(p) or default_param(route.key, p))
        ]
        if unfilled:
            problems.append(f"name the world object for {unfilled} of {route.key!r}")
    assert not problems, "\n".join(problems)


def test_no_expectation_for_a_route_that_is_gone():
    served = {route.key for route in ROUTES}
    stale = sorted(set(EXPECTATIONS) - served)
    assert not stale, f"remove the expectations of routes that no longer exist: {stale}"


def _resolve_params(route, params: dict[str, str], world) -> dict[str, object]:
    values = {}
    for param in route.params:
        key = params.get(param) or default_param(route.key, param)
        if key.startswith("password_reset"):
            user = world.users["rep"]
            # A forged link: the right user id, never a valid token.
            values[param] = (
                urlsafe_base64_encode(force_bytes(user.pk)) if param == "uidb64" else "bad-token"
            )
        elif key.startswith("literal:"):
            values[param] = key.removeprefix("literal:")
        elif key.startswith("username:"):
            values[param] = world.users[key.removeprefix("username:")].username
        elif key == "client":
            values[param] = world.client.pk
        else:
            values[param] = world.get(key).pk
    return values


def _client_for(role: str, world) -> HttpClient:
    http = HttpClient(raise_request_exception=False)
    if role != "anonymous":
        http.force_login(world.users[role])
    return http


def _matches(status: int, expected) -> bool:
    if isinstance(expected, int):
        return status == expected
    return status in expected


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world for the whole matrix; every request runs in a savepoint that is rolled back."""
    from handoff.models import Role
    from tests.factories import UserFactory

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        users = {
            "rep": UserFactory(username="rep", role=Role.SALES),
            "rep2": UserFactory(username="rep2", role=Role.SALES),
            "pm": UserFactory(username="pm", role=Role.PM),
            "pm2": UserFactory(username="pm2", role=Role.PM),
            "manager": UserFactory(username="manager", role=Role.MANAGER),
        }
        yield build_world(users)
        transaction.set_rollback(True)


def _body(route, expect: Expect, world, method: str):
    data = {
        # Form prefixes carry ids: "rule-{commitment.in_review}-verdict".
        re.sub(r"\{([\w.]+)\}", lambda m: str(world.get(m.group(1)).pk), key): (
            world.get(value[1:]).pk if isinstance(value, str) and value.startswith("@") else value
        )
        for key, value in expect.data.items()
    }
    if method == "GET":
        return None
    if route.is_api:
        return json.dumps(data)
    return urlencode(data)


def request_as(role: str, route, expect: Expect, method: str, world):
    url = reverse(route.key, kwargs=_resolve_params(route, expect.params, world))
    if expect.query:
        url = f"{url}?{expect.query}"
    # Each role starts from the same world: whatever a write did is rolled back.
    savepoint = transaction.savepoint()
    try:
        http = _client_for(role, world)
        body = _body(route, expect, world, method)
        if body is None:
            response = http.generic(method, url)
        else:
            response = http.generic(method, url, data=body, content_type=_content_type(route))
    finally:
        transaction.savepoint_rollback(savepoint)
    return url, response


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{r.key}-{m}" for r, m in CASES] or None)
def test_route_answers_each_role_as_expected(route, method, shared_world):
    expect = EXPECTATIONS[route.key]
    wrong = []
    for role in ROLES:
        url, response = request_as(role, route, expect, method, shared_world)
        expected = expect.methods[method][role]
        assert response.status_code < 500, f"{method} {url} as {role}: {response.status_code}"
        if not _matches(response.status_code, expected):
            wrong.append(f"{role}: got {response.status_code}, expected {expected}")
    assert not wrong, f"{method} {url} ({route.key}):\n  " + "\n  ".join(wrong)


def _content_type(route) -> str:
    return "application/json" if route.is_api else "application/x-www-form-urlencoded"


@pytest.mark.django_db
def test_password_reset_link_of_another_user_cannot_be_replayed(shared_world):
    """A valid token for one user does not open the form for another."""
    rep, rep2 = shared_world.users["rep"], shared_world.users["rep2"]
    token = default_token_generator.make_token(rep)
    url = reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(rep2.pk)), "token": token},
    )
    response = HttpClient().get(url, follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is False


@pytest.mark.skipif(
    not os.environ.get("OBSERVE_ROUTES"), reason="OBSERVE_ROUTES=1 prints what routes answer now"
)
def test_observe_routes_without_expectations(shared_world):
    """A starting point for new entries: what each role gets today. Review before pasting."""
    from tests.security.route_expectations import E

    lines = []
    for route in ROUTES:
        if route.key in EXPECTATIONS and not os.environ.get("OBSERVE_ALL"):
            continue
        params = {p: default_param(route.key, p) for p in route.params}
        if None in params.values():
            lines.append(f"# {route.key}: no default for {params}")
            continue
        expect = EXPECTATIONS.get(route.key) or E(params=params)
        methods = ["GET", *route.methods] if route.methods else ["GET", "POST"]
        observed = {
            method: {
                role: request_as(role, route, expect, method, shared_world)[1].status_code
                for role in ROLES
            }
            for method in methods
        }
        parts = [
            f"{m.lower()}=roles({', '.join(f'{r}={s}' for r, s in row.items())})"
            for m, row in observed.items()
        ]
        lines.append(f'    "{route.key}": E({", ".join(parts)}),')
    print("\n" + "\n".join(lines))
