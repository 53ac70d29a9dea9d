"""The benchmark's dataset reads like real data: every status agrees with its history."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Count, F, Q

from bench.generate import USERS, generate
from deals import services
from deals.models import Deal, DealEvent, ReviewRound, SignOff, Verdict
from handoff import partitions

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(params=[0, 2], ids=["in-process", "two-workers"])
def dataset(request):
    # Foreign keys and constraints are checked row by row here, unlike the fast bulk load.
    return generate(400, check_constraints=True, workers=request.param, log=lambda *_: None)


def test_sizes_follow_the_deal_count(dataset):
    assert Deal.objects.count() == 400
    assert dataset["rows"]["handoff.User"] == sum(USERS.values())
    commitments = dataset["rows"]["deals.Commitment"]
    assert 3.5 * 400 < commitments < 4.5 * 400
    assert 0.15 * 400 < Deal.objects.filter(status="won").count() < 0.3 * 400


def test_workers_make_the_same_tables_with_ids_of_their_own(dataset):
    assert dataset["workers"] in (0, 2)
    assert set(dataset["rows"]) >= {"deals.Deal", "deals.Commitment", "deals.DealEvent"}
    deal_ids = sorted(Deal.objects.values_list("id", flat=True))
    assert deal_ids == list(range(deal_ids[0], deal_ids[0] + 400))
    assert Verdict.objects.exclude(commitment__deal=F("round__deal")).count() == 0
    assert DealEvent.objects.count() == dataset["rows"]["deals.DealEvent"]


def test_a_partitioned_event_table_gets_the_months_of_the_history(dataset):
    with connection.cursor() as cursor:
        partitioned = dict(partitions.partitioned_tables(cursor))
    if DealEvent._meta.db_table not in partitioned:
        pytest.skip("deal events are one plain table here")
    oldest = DealEvent.objects.order_by("at").values_list("at", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{partitions.default_name(DealEvent._meta.db_table)}"'  # noqa: S608 - a model's table
        )
        assert cursor.fetchone()[0] == 0
        month = partitions.partition_name(DealEvent._meta.db_table, oldest.date())
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [month])
        assert cursor.fetchone()[0], month


def test_topping_up_adds_deals_and_keeps_the_people():
    generate(200, check_constraints=True, log=lambda *_: None)
    users = apps.get_model("handoff", "User").objects.count()
    generate(300, check_constraints=True, log=lambda *_: None)
    assert Deal.objects.count() == 300
    assert apps.get_model("handoff", "User").objects.count() == users


def test_each_status_agrees_with_rounds_and_events(dataset):
    deals = Deal.objects.annotate(
        open_rounds=Count("rounds", filter=Q(rounds__decided_at__isnull=True)),
        rounds_count=Count("rounds"),
    )
    for deal in deals:
        assert deal.open_rounds == (1 if deal.status == "in_review" else 0), deal.status
        assert (deal.first_submitted_at is None) == (deal.rounds_count == 0)
        last_move = (
            DealEvent.objects.filter(deal=deal).exclude(to_status="").order_by("-at", "-id").first()
        )
        assert last_move.to_status == deal.status
        if deal.status == "lost":
            assert deal.lost_reason
        if deal.status == "changes_requested":
            latest = deal.rounds.order_by("-number").first()
            assert latest.outcome == "changes_requested"
            assert latest.verdicts.filter(verdict="flagged").exists()
            assert latest.verdicts.count() == deal.commitments.count()


def test_signed_deals_match_their_fingerprint_and_can_be_won(dataset):
    signed = Deal.objects.filter(status__in=["signed_off", "won"])
    assert signed.exists()
    for deal in signed:
        sign_off = SignOff.objects.filter(deal=deal).order_by("-signed_at").first()
        digest, _ = services.fingerprint(deal.commitments.all())
        assert sign_off.fingerprint == digest
        assert not Verdict.objects.filter(round=sign_off.round, verdict="flagged").exists()
    deal = Deal.objects.filter(status="signed_off").first()
    services.deal_win(deal=deal, actor=deal.owner)
    deal.refresh_from_db()
    assert deal.status == "won"


def test_won_deals_have_a_project_with_a_deliverable_per_commitment(dataset):
    try:
        Project = apps.get_model("projects", "Project")
    except LookupError:
        pytest.skip("no projects yet")
    for deal in Deal.objects.filter(status="won"):
        project = Project.objects.get(deal=deal)
        assert project.deliverables.count() == deal.commitments.count()


def test_open_reviews_are_recent_enough_to_be_due_around_now(dataset):
    open_rounds = ReviewRound.objects.filter(decided_at__isnull=True)
    assert open_rounds.exists()
    for review_round in open_rounds:
        assert review_round.outcome == ""
        assert review_round.due_at > review_round.submitted_at
