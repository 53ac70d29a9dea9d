"""The hot reads use an index at moderate scale, as PostgreSQL's planner sees them.

A few thousand deals with their history (the benchmark's generator, COPY into
the test database, then ANALYZE); each query is planned with EXPLAIN (FORMAT
JSON) and no plan may read deals_deal (or the events table) from end to end.
"""

import json

import pytest
from django.db import connection

from bench.generate import bench_user, generate
from deals.models import Deal, DealEvent
from deals.selectors import deal_events, deals_visible_to, review_queue
from handoff.models import User

pytestmark = [pytest.mark.postgres]

DEALS = 3_000
PAGE = 25
INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker):
    """Committed once for the module, removed after it, so each test plans on the same data."""
    with django_db_blocker.unblock():
        tables = generate(DEALS, log=lambda *_: None)["tables"]
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def plan_of(queryset) -> list[tuple[str, str | None, str | None]]:
    """Every node of the plan as (node type, relation, index)."""
    plan = json.loads(queryset.explain(format="json"))
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes = []

    def walk(node: dict) -> None:
        nodes.append((node["Node Type"], node.get("Relation Name"), node.get("Index Name")))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return nodes


def assert_indexed(queryset, table: str) -> list[str]:
    nodes = plan_of(queryset)
    scans = [(kind, index) for kind, relation, index in nodes if relation == table]
    assert ("Seq Scan", None) not in scans, f"sequential scan of {table}: {nodes}"
    used = [index for kind, index in scans if kind in INDEX_NODES]
    bitmap = [index for kind, _, index in nodes if kind == "Bitmap Index Scan"]
    assert used or bitmap, f"no index on {table}: {nodes}"
    return used + bitmap


@pytest.fixture
def user(scale, db):
    def get(role: str) -> User:
        return User.objects.get(username=bench_user(role))

    return get


def test_the_dataset_is_there(scale, db):
    assert Deal.objects.count() == DEALS


def test_rep_deal_list_reads_an_owner_index(user):
    rep = user("sales")
    assert any(
        "owner" in index for index in assert_indexed(deals_visible_to(rep)[:PAGE], "deals_deal")
    )
    assert_indexed(deals_visible_to(rep).values("pk"), "deals_deal")


def test_pm_deal_list_reads_an_index_in_page_order(user):
    pm = user("pm")
    assert_indexed(deals_visible_to(pm)[:PAGE], "deals_deal")


def test_manager_deal_list_reads_an_index_in_page_order(user):
    assert_indexed(deals_visible_to(user("manager"))[:PAGE], "deals_deal")


def test_review_queue_reads_open_rounds_and_deals_by_index(user):
    queue = review_queue(user("pm"))[:PAGE]
    assert_indexed(queue, "deals_reviewround")
    assert_indexed(queue, "deals_deal")


def test_events_of_a_deal_read_the_deal_index(scale, db):
    deal = Deal.objects.filter(status="won").order_by("pk").first()
    assert DealEvent.objects.filter(deal=deal).count() > 3
    assert_indexed(deal_events(deal), "deals_dealevent")
