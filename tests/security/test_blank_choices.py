"""No select on any page offers Django's "---------": a blank choice says what to choose."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests.security.route_expectations import EXPECTATIONS
from tests.security.routes import all_routes


@pytest.mark.django_db
def test_no_page_offers_a_dashes_choice(world):
    from tests.security.test_route_matrix import _resolve_params

    checked, dashes = [], []
    for role in ("rep", "pm", "manager"):
        http = HttpClient()
        http.force_login(world.users[role])
        for route in all_routes():
            expect = EXPECTATIONS.get(route.key)
            if route.is_api or not expect or expect.methods.get("GET", {}).get(role) != 200:
                continue
            url = reverse(route.key, kwargs=_resolve_params(route, expect.params, world))
            response = http.get(url)
            if "html" not in response.get("Content-Type", ""):
                continue
            if "---------" in response.content.decode():
                dashes.append(f"{role} {url}")
            checked.append(url)
    assert not dashes
    assert len(checked) > 20


@pytest.mark.django_db
def test_the_commitment_kind_asks_to_choose_a_kind(client_for, rep):
    body = client_for(rep).get(reverse("deals:create")).content.decode()

    assert '<option value="" selected>Choose a kind</option>' in body
