"""The load test's people and work from generated data: sessions and tokens that sign in, and
each step's reviews held by one PM only, never by two steps."""

import json

import pytest
from django.test import Client as HttpClient

from bench.generate import generate
from bench.load_users import PEOPLE, features, prepare
from deals.models import ReviewRound

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def parts(tmp_path):
    generate(300, log=lambda *_: None)
    return [json.loads(p.read_text()) for p in prepare(tmp_path, [3, 25, 50])]


def test_each_role_gets_its_people_with_a_session_and_a_token_that_sign_in(parts):
    users = parts[0]["users"]
    assert {role: len(people) for role, people in users.items()} == PEOPLE
    rep, pm = users["sales"][0], users["pm"][0]
    browser = HttpClient()
    browser.cookies["sessionid"] = rep["session"]
    assert browser.get("/deals/").status_code == 200
    api = HttpClient(headers={"Authorization": f"Token {pm['token']}"})
    assert api.get("/api/v1/deals/").status_code == 200
    assert all(len(person["deals"]) <= 50 for person in users["sales"])


def test_the_reviews_are_open_rounds_held_by_one_pm_in_one_step(parts):
    handed = [deal for part in parts for deals in part["reviews"].values() for deal in deals]
    assert handed
    assert len(handed) == len(set(handed))
    pms = {person["pk"]: person["username"] for person in parts[0]["users"]["pm"]}
    open_rounds = ReviewRound.objects.filter(decided_at__isnull=True, deal__status="in_review")
    reviewer = dict(open_rounds.filter(deal_id__in=handed).values_list("deal_id", "reviewer_id"))
    assert set(reviewer) == set(handed)
    for part in parts:
        for username, deals in part["reviews"].items():
            for deal in deals:
                assert reviewer[deal] is None or pms[reviewer[deal]] == username
    # The bigger the step, the more of the pool it gets.
    sizes = [sum(len(d) for d in part["reviews"].values()) for part in parts]
    assert sizes[0] <= sizes[1] <= sizes[2]


def test_this_code_has_the_import_and_the_webhooks_and_says_their_columns(parts):
    assert features() == {"imports", "webhooks"}
    assert parts[0]["features"] == ["imports", "webhooks"]
    assert parts[0]["import_columns"][:2] == ["external_id", "title"]
