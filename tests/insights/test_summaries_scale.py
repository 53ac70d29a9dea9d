"""The summaries on generated history (PostgreSQL): equal to the live figures, read by index.

Ten thousand deals from the benchmark's generator (three years of rounds, verdicts, won deals
with promises kept, late and missed), folded once; teams made of its people. Every figure and
table over several windows equals the live computation, and each hot read of the summaries
and of the fold is planned on an index (EXPLAIN, as tests/deals/test_explain.py does).
"""

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from psycopg import sql

from deals.models import DealEvent, ReviewRound, Verdict
from handoff.models import Role, Team, TeamKind, User
from insights.figures.alignment import alignment
from insights.figures.promises import promises_due
from insights.figures.summarised import _in_window
from insights.figures.window import default_range, window_for
from insights.models import PromiseSummary, ReviewRoundSummary, SummaryState, VerdictSummary
from insights.summary_fold import summaries_fold
from insights.summary_rows import (
    badly_kept_among,
    promises_of,
    rounds_of,
    rounds_submitted,
    verdicts_of,
)
from tests.deals.test_explain import plan_of

pytestmark = [pytest.mark.postgres]

DEALS = 10_000
INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
SUMMARY_TABLES = [
    "insights_reviewroundsummary",
    "insights_verdictsummary",
    "insights_promisesummary",
    "insights_summarystate",
]


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker):
    """Generated and folded once for the module, removed after it."""
    from bench.generate import generate

    with django_db_blocker.unblock():
        tables = generate(DEALS, log=lambda *_: None)["tables"]
        summaries_fold(full=True)
        reps = list(User.objects.filter(role=Role.SALES).order_by("pk")[:40])
        pms = list(User.objects.filter(role=Role.PM).order_by("pk")[:12])
        sales = Team.objects.create(name="Generated sales", kind=TeamKind.SALES)
        sales.members.set(reps)
        delivery = Team.objects.create(name="Generated delivery", kind=TeamKind.DELIVERY)
        delivery.members.set(pms)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        yield {"teams": [sales, delivery]}
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {', '.join([*tables, *SUMMARY_TABLES, 'handoff_team'])} CASCADE"
            )


def test_generated_history_folded_equals_the_live_figures(scale, db):
    today = timezone.localdate()
    start, end = default_range(today)
    sales, delivery = scale["teams"]
    windows = [
        window_for(start, end),
        window_for(start, end, sales),
        window_for(start, end, delivery),
        window_for(today - datetime.timedelta(days=6), today),
        window_for(today - datetime.timedelta(days=700), today - datetime.timedelta(days=400)),
    ]
    assert ReviewRoundSummary.objects.count() == ReviewRound.objects.count()
    for w in windows:
        folded, live = alignment(w, live=False), alignment(w, live=True)
        assert folded.figure("flag_rate").value is not None
        for mine, theirs in zip(folded.figures, live.figures, strict=True):
            assert mine == theirs, (w, mine.key)
        for mine, theirs in zip(folded.tables, live.tables, strict=True):
            assert mine == theirs, (w, mine.key)


def assert_indexed(queryset, table: str, index: str | None = None) -> None:
    """No sequential scan of table, and an index read (the given one, if named)."""
    nodes = plan_of(queryset)
    scans = [(kind, name) for kind, relation, name in nodes if relation == table]
    assert scans, f"{table} not read: {nodes}"
    assert ("Seq Scan", None) not in scans, f"sequential scan of {table}: {nodes}"
    used = [name for kind, name in scans if kind in INDEX_NODES]
    used += [name for kind, _, name in nodes if kind == "Bitmap Index Scan"]
    assert used, f"no index on {table}: {nodes}"
    if index is not None:
        assert index in used, nodes


def test_summary_reads_use_their_day_index(scale, db):
    delivery = scale["teams"][1]
    for w in (window_for(*default_range()), window_for(*default_range(), delivery)):
        rounds = _in_window(ReviewRoundSummary.objects.all(), w, "reviewer_id")
        assert_indexed(
            rounds.values_list("day", "working_days"),
            "insights_reviewroundsummary",
            "round_summary_day_idx",
        )
        verdicts = _in_window(VerdictSummary.objects.all(), w, "pm_id")
        assert_indexed(
            verdicts.values("rep_id", "kind"), "insights_verdictsummary", "verdict_summary_day_idx"
        )
        promises = _in_window(PromiseSummary.objects.all(), w, "pm_id")
        assert_indexed(
            promises.values("rep_id", "pm_id"), "insights_promisesummary", "promise_summary_day_idx"
        )


def test_the_folds_reads_use_an_index(scale, db):
    state = SummaryState.objects.get()
    events = DealEvent.objects.filter(pk__gt=state.deal_event_id - 50).order_by("pk")
    nodes = plan_of(events.values_list("pk", "deal_id", "at")[:2000])
    # The events are partitioned by month: each partition with rows is read by its key's index.
    scans = [(kind, relation) for kind, relation, _ in nodes if relation]
    assert any(kind in INDEX_NODES for kind, _ in scans), nodes
    with connection.cursor() as cursor:
        for kind, relation in scans:
            if kind == "Seq Scan":
                query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(relation))
                cursor.execute(query)
                assert cursor.fetchone() == (False,), f"sequential scan of {relation}"
    deal_ids = list(ReviewRound.objects.order_by("-pk").values_list("deal_id", flat=True)[:30])
    assert_indexed(
        ReviewRound.objects.filter(deal_id__in=deal_ids).values_list("submitted_at"),
        "deals_reviewround",
    )


def test_refolding_a_day_or_some_deals_reads_their_rows_by_index(scale, db):
    day = timezone.localdate() - datetime.timedelta(days=3)
    assert_indexed(rounds_submitted(day, day), "deals_reviewround", "round_submitted_idx")
    round_ids = list(rounds_submitted(day, day).values_list("pk", flat=True))
    assert round_ids
    assert_indexed(verdicts_of(round_ids), "deals_verdict", "verdict_one_per_commitment_round")
    commitments = list(
        Verdict.objects.filter(round_id__in=round_ids).values_list("commitment_id", flat=True)
    )
    assert_indexed(badly_kept_among(commitments), "projects_deliverable")
    assert_indexed(promises_due(day, day), "projects_deliverable")
    deal_ids = list(rounds_submitted(day, day).values_list("deal_id", flat=True)[:40])
    assert_indexed(rounds_of(deal_ids), "deals_reviewround", "round_number_unique")
    assert_indexed(promises_of(deal_ids), "projects_deliverable")
    for model, table in (
        (ReviewRoundSummary, "insights_reviewroundsummary"),
        (VerdictSummary, "insights_verdictsummary"),
        (PromiseSummary, "insights_promisesummary"),
    ):
        assert_indexed(model.objects.filter(deal_id__in=deal_ids), table)
