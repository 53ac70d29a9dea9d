"""The hot reads use an index at moderate scale, as PostgreSQL's planner sees them.

Ten thousand deals with their history (the benchmark's generator, COPY into
the test database, then ANALYZE); each query is planned with EXPLAIN (FORMAT
JSON) and no plan may read deals_deal (or the events table) from end to end.
"""

import json

import pytest
from django.db import connection, transaction
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from bench.generate import bench_user, generate
from deals.api.views import DealViewSet
from deals.filters import DealFilter
from deals.models import (
    Client,
    Comment,
    Commitment,
    Deal,
    DealEvent,
    ReviewRound,
    SignOff,
    Verdict,
)
from deals.selectors import deal_events, deals_visible_to, review_rounds_waiting
from deals.selectors import deal_list as deals_listed
from handoff.models import User

pytestmark = [pytest.mark.postgres]

# At 3,000 deals the table is some 100 pages: reading it whole costs the planner about as
# much as the index, and plans tipped either way (the review queue read it whole).
DEALS = 10_000
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


def partitions() -> tuple[dict[str, str], set[str]]:
    """Each partition and partition index with the table or index it belongs to; the empty ones."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.inhrelid::regclass::text, i.inhparent::regclass::text, c.reltuples <= 0"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        )
        rows = cursor.fetchall()
    return {child: parent for child, parent, _ in rows}, {
        child for child, _, empty in rows if empty
    }


def plan_of(queryset) -> list[tuple[str, str | None, str | None]]:
    """Every node of the plan as (node type, relation, index).

    A partition's scan counts as one of its table through the table's index; a scan of an
    empty partition (a month ahead) reads nothing and is left out.
    """
    plan = json.loads(queryset.explain(format="json"))
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes = []
    owner, empty = partitions()

    def walk(node: dict) -> None:
        relation, index = node.get("Relation Name"), node.get("Index Name")
        if relation not in empty:
            nodes.append(
                (node["Node Type"], owner.get(relation, relation), owner.get(index, index))
            )
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
    queue = review_rounds_waiting(user("pm"))[:PAGE]
    assert_indexed(queue, "deals_reviewround")
    assert_indexed(queue, "deals_deal")


def test_events_of_a_deal_read_the_deal_index(scale, db):
    deal = Deal.objects.filter(status="won").order_by("pk").first()
    assert DealEvent.objects.filter(deal=deal).count() > 3
    assert_indexed(deal_events(deal), "deals_dealevent")


def deal_list(user: User, **params: str):
    """The deal list's query for these filters, as /deals/ runs it."""
    return deals_listed(user=user, filters=params)


def api_deal_list(user: User, **params: str):
    """The API's deal list for these query parameters, as /api/v1/deals/ runs it."""
    request = Request(APIRequestFactory().get("/api/v1/deals/", params))
    request.user = user
    view = DealViewSet(request=request, action="list", format_kwarg=None)
    return view.filter_queryset(view.get_queryset())


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("value", "deal_value_idx"),
        ("close", "deal_close_idx"),
        ("title", "deal_title_idx"),
        # A column header turns a sort around: the same index, read backwards.
        ("-value", "deal_value_idx"),
        ("-close", "deal_close_idx"),
        ("-title", "deal_title_idx"),
    ],
)
def test_manager_deal_list_sorted_reads_the_index_of_that_order(user, sort, index):
    manager = user("manager")
    assert index in assert_indexed(deal_list(manager, sort=sort)[:PAGE], "deals_deal")


@pytest.mark.parametrize(
    ("ordering", "index"),
    [
        ("-value", "deal_value_idx"),
        ("value", "deal_value_idx"),
        ("expected_close_date", "deal_close_idx"),
        ("-title", "deal_title_idx"),
    ],
)
def test_api_deal_list_ordered_reads_the_index_of_that_order(user, ordering, index):
    deals = api_deal_list(user("manager"), ordering=ordering)
    tie_breaker = "-id" if ordering.startswith("-") else "id"
    assert deals.query.order_by == (ordering, tie_breaker)

    assert index in assert_indexed(deals[:PAGE], "deals_deal")
    sorts = [kind for kind, _, _ in plan_of(deals[:PAGE]) if kind.endswith("Sort")]
    assert not sorts, f"the index does not give the page in order: {sorts}"


def a_client_name_part() -> str:
    """The number in one client's name: it names that client alone, no deal title has it."""
    name = Deal.objects.order_by("pk").values_list("client__name", flat=True).first()
    return name.rsplit(" ", 1)[1]


def test_manager_search_counts_through_the_title_trigram_and_client_indexes(user):
    found = deal_list(user("manager"), q=a_client_name_part())
    assert found.exists()

    used = assert_indexed(found.order_by(), "deals_deal")  # what the page count reads

    assert {"deal_title_trgm_idx", "deal_client_updated_idx"} <= set(used)


def test_manager_search_page_reads_an_index(user):
    assert_indexed(deal_list(user("manager"), q=a_client_name_part())[:PAGE], "deals_deal")


def test_manager_search_of_a_title_reads_the_title_trigram_index(user):
    title = Deal.objects.order_by("-pk").values_list("title", flat=True).first()
    found = deal_list(user("manager"), q=title.rsplit(" ", 1)[1])
    assert found.exists()

    assert "deal_title_trgm_idx" in assert_indexed(found.order_by(), "deals_deal")


def test_api_search_reads_the_description_trigram_index_too(user):
    found = DealFilter({"search": a_client_name_part()}, deals_visible_to(user("manager"))).qs

    used = assert_indexed(found.order_by(), "deals_deal")

    assert {"deal_title_trgm_idx", "deal_description_trgm_idx"} <= set(used)


@pytest.mark.parametrize(
    ("model", "field", "index"),
    [
        (Client, "name", "client_name_trgm_idx"),
        (Deal, "title", "deal_title_trgm_idx"),
        (Deal, "description", "deal_description_trgm_idx"),
    ],
)
def test_each_trigram_index_serves_icontains_on_its_column(scale, db, model, field, index):
    """Indexed on the very expression icontains writes (a few hundred clients are cheaper to scan)."""
    rows = model.objects.filter(**{f"{field}__icontains": "generated"}).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        assert index in assert_indexed(rows, model._meta.db_table)


@pytest.mark.parametrize(
    ("model", "column", "index"),
    [
        (Deal, "client_id", "deal_client_updated_idx"),
        (Deal, "owner_id", "deal_owner_updated_idx"),
        (ReviewRound, "deal_id", "round_number_unique"),
        (ReviewRound, "reviewer_id", "round_reviewer_idx"),
        (Verdict, "round_id", "verdict_one_per_commitment_round"),
        (Verdict, "commitment_id", "verdict_commitment_idx"),
        (SignOff, "deal_id", "signoff_deal_idx"),
        (Commitment, "deal_id", "commitment_deal_load_idx"),
        (DealEvent, "deal_id", "event_deal_at_idx"),
        (Comment, "deal_id", "comment_deal_idx"),
    ],
)
def test_a_foreign_key_without_its_own_index_is_read_through_one_that_leads_with_it(
    scale, db, model, column, index
):
    value = (
        model.objects.filter(**{f"{column}__isnull": False})
        .order_by("pk")
        .values_list(column, flat=True)
        .first()
    )
    rows = model.objects.filter(**{column: value}).order_by()
    assert index in assert_indexed(rows, model._meta.db_table)


def test_the_dashboards_open_pipeline_is_summed_from_an_index_deal_by_deal(scale, db):
    """Not a scan of every commitment for the few of open deals: an index-only read of each."""
    from django.utils import timezone

    from insights.figures.capacity import PIPELINE_START, pipeline_commitments, weekly_groups
    from insights.figures.window import default_range, window_for

    groups = weekly_groups(
        pipeline_commitments(window_for(*default_range())), PIPELINE_START, timezone.localdate()
    )
    nodes = plan_of(groups)
    scans = [(kind, index) for kind, table, index in nodes if table == "deals_commitment"]
    assert scans == [("Index Only Scan", "commitment_deal_load_idx")], nodes


def test_the_dashboards_delivery_load_reads_the_open_work_from_its_partial_index(scale, db):
    """The open deliverables whole from the index that holds only them, with their date and
    effort: not every project's deliverables, open or not."""
    from django.utils import timezone

    from insights.figures.capacity import DELIVERY_START, delivery_deliverables, weekly_groups
    from insights.figures.window import default_range, window_for

    groups = weekly_groups(
        delivery_deliverables(window_for(*default_range())), DELIVERY_START, timezone.localdate()
    )
    nodes = plan_of(groups)
    scans = [(kind, index) for kind, table, index in nodes if table == "projects_deliverable"]
    assert scans == [("Index Only Scan", "deliverable_open_load_idx")], nodes


def test_the_open_pipelines_value_is_summed_from_its_partial_index(scale, db, user):
    """The deals in review or signed off, whole from the index that holds only them, with
    their currency and value; a rep's part of it from the same index."""
    from deals.models import PIPELINE_STATUSES
    from deals.totals import currency_sums

    open_deals = Deal.objects.filter(status__in=PIPELINE_STATUSES)
    for deals in (open_deals, open_deals.filter(owner_id__in=[user("sales").pk])):
        nodes = plan_of(currency_sums(deals))
        scans = [(kind, index) for kind, table, index in nodes if table == "deals_deal"]
        assert scans == [("Index Only Scan", "deal_pipeline_value_idx")], nodes
