"""Digests at scale: each costs the same queries however much happened, and on PostgreSQL every
one of them reads the large tables through an index, never end to end."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback import digests, services
from handoff.models import Role
from tests.deals.test_explain import scale  # noqa: F401 (a fixture)
from tests.factories import UserFactory
from tests.feedback.conftest import CaptureCount, changes_requested, submitted, won

pytestmark = pytest.mark.django_db

# The tables that hold the firm's history by the hundred thousand at a million deals. People,
# teams and clients are read whole, they are few; projects and notes are a tenth of the deals,
# and at 10,000 deals a hash join over their couple of thousand rows is the right plan.
LARGE = {
    "deals_deal",
    "deals_commitment",
    "deals_dealevent",
    "deals_reviewround",
    "deals_verdict",
    "projects_deliverable",
    "feedback_notification",
    "feedback_emailoutbox",
}


def digest_queries(user) -> int:
    with CaptureCount() as counted:
        digests.render_digest(digests.build_digest(user, "weekly"))
    return counted.count


def busy(rep, pm, rounds: int) -> None:
    for _ in range(rounds):
        won(rep, pm)
        changes_requested(rep, pm)
        submitted(rep)
        services.note_create(author=pm, direction="to_sales", topic="praise", body="Nice")
        services.note_create(author=rep, direction="to_delivery", topic="competitor", body="X")


@pytest.mark.parametrize("role", [Role.SALES, Role.PM, Role.MANAGER])
def test_a_digest_costs_the_same_queries_for_a_quiet_week_and_a_busy_one(role, rep, pm):
    user = {Role.SALES: rep, Role.PM: pm, Role.MANAGER: UserFactory(role=Role.MANAGER)}[role]
    busy(rep, pm, 1)
    digest_queries(user)  # what is read once per person (their teams) is read
    quiet = digest_queries(user)
    busy(rep, pm, 12)
    assert digest_queries(user) == quiet


def test_the_sync_agenda_is_computed_once_for_all_the_managers(rep, pm):
    from handoff.models import MetricsSnapshot

    managers = UserFactory.create_batch(3, role=Role.MANAGER)
    busy(rep, pm, 2)
    first = digest_queries(managers[0])
    others = [digest_queries(manager) for manager in managers[1:]]
    assert others[0] == others[1] < first
    assert MetricsSnapshot.objects.filter(key__startswith="digest-agenda:").count() == 1
    titles = [s.title for s in digests.build_digest(managers[2], "weekly").sections]
    assert any(title.startswith("Sync agenda") for title in titles)


def sequential_scans(sql: str) -> list[str]:
    """The large tables the plan of `sql` (as PostgreSQL would run it) reads end to end."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
        # The partitions that hold rows, of each table partitioned by month.
        cursor.execute(
            "SELECT i.inhrelid::regclass::text, i.inhparent::regclass::text FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind = 'r' AND c.reltuples > 0"
        )
        table_of = dict(cursor.fetchall())
    if isinstance(plan, str):
        plan = json.loads(plan)
    found, months_read = [], {}

    def walk(node: dict) -> None:
        relation = node.get("Relation Name")
        if node["Node Type"] == "Seq Scan" and relation in table_of:
            months_read.setdefault(table_of[relation], set()).add(relation)
        elif node["Node Type"] == "Seq Scan" and relation in LARGE:
            found.append(relation)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    # Reading the months a time range kept is not reading the table; reading every one is.
    for table, read in months_read.items():
        if table in LARGE and read == {p for p, t in table_of.items() if t == table}:
            found.append(table)
    return found


def scans_of_digest(user) -> dict[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        digests.render_digest(digests.build_digest(user, "weekly"))
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert selects
    return {sql[:300]: found for sql in selects if (found := sequential_scans(sql))}


@pytest.mark.postgres
@pytest.mark.usefixtures("scale")
@pytest.mark.parametrize("role", ["sales", "pm", "manager"])
def test_every_query_of_a_digest_reads_an_index_at_scale(role):
    """What each digest of a run costs: the managers' sync agenda is computed once a run."""
    from bench.generate import bench_user
    from handoff.models import User

    user = User.objects.get(username=bench_user(role))
    digests.build_digest(user, "weekly")  # the run's first digest stores the agenda
    assert scans_of_digest(user) == {}


@pytest.mark.postgres
@pytest.mark.usefixtures("scale")
def test_the_sync_agenda_reads_an_index_at_scale():
    """Each section picks its page of rows by their indexed columns, then joins only those."""
    from bench.generate import bench_user
    from handoff.models import MetricsSnapshot, User

    MetricsSnapshot.objects.filter(key__startswith="digest-agenda:").delete()
    assert scans_of_digest(User.objects.get(username=bench_user("manager"))) == {}


@pytest.mark.postgres
@pytest.mark.usefixtures("scale")
def test_the_check_finds_a_read_no_index_serves():
    from deals.models import Deal

    unindexed = Deal.objects.filter(version__gt=0).values("pk").query
    indexed = Deal.objects.filter(owner_id=1).values("pk").query
    assert sequential_scans(str(unindexed)) == ["deals_deal"]
    assert sequential_scans(str(indexed)) == []
