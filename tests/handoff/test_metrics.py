"""Each alignment figure on crafted data, with the exact number expected, and the empty cases."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, EscalationDecision, Verdict, VerdictKind
from feedback import services as feedback_services
from feedback.models import Direction, FeedbackNote, Topic
from handoff import metrics
from handoff.models import (
    GoalComparison,
    GoalMetric,
    Role,
    SharedGoal,
    TeamKind,
    quarter_of,
)
from projects import capacity as capacity_math
from projects.models import Deliverable, DeliverableStatus, Project
from projects.services import deliverable_update_status
from tests.factories import TeamFactory, UserFactory
from tests.handoff.crafted import at, make_deal, review, set_clock

APPROVED = VerdictKind.APPROVED
FLAGGED = VerdictKind.FLAGGED
CONDITION = VerdictKind.APPROVED_WITH_CONDITION
JUNE = metrics.Window(datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
MONDAY = datetime.date(2026, 6, 1)


def day(n: int) -> datetime.date:
    """June 2026: day(0) is Monday 1 June."""
    return MONDAY + datetime.timedelta(days=n)


# Plain arithmetic


def test_working_days_skip_the_weekend():
    assert metrics.working_days_between(at(day(0)), at(day(1))) == 1.0
    assert metrics.working_days_between(at(day(4), 12), at(day(7), 12)) == 1.0  # Fri → Mon
    assert metrics.working_days_between(at(day(5)), at(day(6))) == 0.0  # Sat → Sun
    assert metrics.working_days_between(at(day(1)), at(day(0))) == 0.0


def test_percentile_interpolates_and_handles_empty_and_single():
    assert metrics.median([]) is None
    assert metrics.percentile([], 0.9) is None
    assert metrics.median([2.5]) == 2.5
    assert metrics.percentile([2.5], 0.9) == 2.5
    assert metrics.median([1, 1, 3]) == 1
    assert metrics.percentile([1, 1, 3], 0.9) == 2.6
    assert metrics.median([1, 2, 3, 4]) == 2.5


def test_ratio_is_none_when_nothing_was_measured():
    assert metrics.ratio(0, 0) is None
    assert metrics.ratio(0, 4) == 0.0
    assert metrics.format_value(None, "percent") == "—"
    assert metrics.format_value(0.0, "percent") == "0 %"
    assert metrics.format_value(0.3333, "percent") == "33 %"


# Empty history


@pytest.mark.django_db
def test_every_figure_on_an_empty_history_is_a_dash_or_zero():
    result = metrics.alignment(JUNE)
    shown = {f.key: f.display for f in result.figures}
    assert shown == {
        "deals_in_review": "0",
        "review_turnaround_median_days": "—",
        "review_turnaround_p90_days": "—",
        "sla_breaches": "—",
        "first_pass_approval_rate": "—",
        "flag_rate": "—",
        "kept_rate": "—",
        "avg_slip_days": "—",
        "escalations": "0",
        "feedback_notes": "0",
        "feedback_acknowledged_share": "—",
        "feedback_median_hours_to_acknowledge": "—",
    }
    tables = {t.key: t for t in result.tables}
    for key in ("review-turnaround", "flag-rate-by-rep", "flag-rate-by-kind", "over-commit"):
        assert tables[key].rows == []
        assert tables[key].chart_data() is None
    assert [r["share"] for r in tables["escalations"].rows] == [None, None, None]
    assert len(tables["pipeline-capacity"].rows) == 12


# Review figures


@pytest.mark.django_db
def test_deals_in_review_counts_now_and_by_team(rep, rep2, pm):
    review(make_deal(rep), pm, [APPROVED], decide=False)
    review(make_deal(rep2), pm, [APPROVED], decide=False)
    make_deal(rep)  # a draft
    review(make_deal(rep), pm, [APPROVED])  # signed off
    sales = TeamFactory(name="North", kind=TeamKind.SALES)
    sales.members.add(rep)
    assert metrics.deals_in_review(JUNE).value == 2
    figure = metrics.deals_in_review(metrics.window_for(JUNE.start, JUNE.end, sales))
    assert figure.value == 1
    assert "status=in_review" in figure.url


@pytest.mark.django_db
def test_review_turnaround_median_and_90th_percentile(rep, pm):
    one_day = review(make_deal(rep), pm, [APPROVED])
    over_weekend = review(make_deal(rep), pm, [FLAGGED])
    three_days = review(make_deal(rep), pm, [APPROVED])
    set_clock(one_day, at(day(0)), at(day(1)))
    set_clock(over_weekend, at(day(4), 12), at(day(7), 12))
    set_clock(three_days, at(day(0)), at(day(3)))
    outside = review(make_deal(rep), pm, [APPROVED])
    set_clock(outside, at(day(40)), at(day(45)))
    median, p90 = metrics.review_turnaround(JUNE)
    assert median.value == 1.0
    assert p90.value == 2.6
    assert median.display == "1.0 days"


@pytest.mark.django_db
def test_review_turnaround_single_round_and_open_rounds_ignored(rep, pm):
    decided = review(make_deal(rep), pm, [APPROVED])
    set_clock(decided, at(day(1)), at(day(1), 21))
    still_open = review(make_deal(rep), pm, [APPROVED], decide=False)
    set_clock(still_open, at(day(2)))
    median, p90 = metrics.review_turnaround(JUNE)
    assert median.value == p90.value == 0.5


@pytest.mark.django_db
def test_sla_breaches_count_late_decisions_and_open_rounds_past_due(rep, pm):
    late = review(make_deal(rep), pm, [APPROVED])
    on_time = review(make_deal(rep), pm, [APPROVED])
    open_late = review(make_deal(rep), pm, [APPROVED], decide=False)
    set_clock(late, at(day(0)), decided=at(day(3)), due=at(day(2)))
    set_clock(on_time, at(day(0)), decided=at(day(1)), due=at(day(2)))
    set_clock(open_late, at(day(0)), due=at(day(2)))
    figure = metrics.sla_breaches(JUNE)
    assert figure.value == 2
    assert figure.detail == "of 3 rounds"


@pytest.mark.django_db
def test_first_pass_approval_rate(rep, pm):
    first_time = make_deal(rep)
    second_time = make_deal(rep, [(CommitmentKind.SCOPE, "5")])
    waiting = make_deal(rep)
    set_clock(review(first_time, pm, [APPROVED]), at(day(0)), at(day(1)))
    set_clock(review(second_time, pm, [FLAGGED]), at(day(0)), at(day(1)))
    services.deal_revise(deal=second_time, actor=rep)
    set_clock(review(second_time, pm, [APPROVED]), at(day(2)), at(day(3)))
    set_clock(review(waiting, pm, [APPROVED], decide=False), at(day(0)))
    figure = metrics.first_pass_approval(JUNE)
    assert figure.value == 0.5
    assert figure.display == "50 %"
    assert figure.detail == "1 of 2 deals"


@pytest.mark.django_db
def test_first_pass_approval_single_deal(rep, pm):
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(day(0)), at(day(1)))
    assert metrics.first_pass_approval(JUNE).value == 0.0


@pytest.mark.django_db
def test_flag_rate_overall_by_rep_and_by_kind(rep, rep2, pm):
    three = make_deal(
        rep,
        [(CommitmentKind.SCOPE, "10"), (CommitmentKind.TIMELINE, "20"), ("staffing", "10")],
    )
    one = make_deal(rep2, [(CommitmentKind.TIMELINE, "4")])
    set_clock(review(three, pm, [FLAGGED, APPROVED, CONDITION]), at(day(0)), at(day(1)))
    set_clock(review(one, pm, [APPROVED]), at(day(0)), at(day(1)))

    assert metrics.flag_rate(JUNE).value == 0.25
    by_rep = metrics.flag_rate_by_rep(JUNE)
    assert [(r["rep"], r["verdicts"], r["flagged"], r["flag_rate"]) for r in by_rep.rows] == [
        ("Rita Reyes", 3, 1, 0.3333),
        ("Sam Osei", 1, 0, 0.0),
    ]
    assert by_rep.rows[0]["rep_url"] == "/people/rep/"
    by_kind = metrics.flag_rate_by_kind(JUNE)
    assert [(r["kind"], r["verdicts"], r["flag_rate"]) for r in by_kind.rows] == [
        ("Scope", 1, 1.0),
        ("Timeline", 2, 0.0),
        ("Staffing", 1, 0.0),
    ]
    chart = by_kind.chart_data()
    assert chart["labels"] == ["Scope", "Timeline", "Staffing"]
    assert chart["datasets"][0]["data"] == [100.0, 0.0, 0.0]


@pytest.mark.django_db
def test_over_commit_index_is_the_flagged_share_of_reviewed_effort(rep, pm):
    deal = make_deal(rep, [(CommitmentKind.SCOPE, "10"), (CommitmentKind.TIMELINE, "30")])
    set_clock(review(deal, pm, [FLAGGED, APPROVED]), at(day(0)), at(day(1)))
    [row] = metrics.over_commit_by_rep(JUNE).rows
    assert (row["reviews"], row["effort"], row["over_effort"], row["index"]) == (
        2,
        Decimal("40.0"),
        Decimal("10.0"),
        0.25,
    )


@pytest.mark.django_db
def test_escalations_and_their_outcomes(rep, pm, manager):
    upheld = make_deal(rep)
    pending = make_deal(rep)
    for deal in (upheld, pending):
        review(deal, pm, [FLAGGED])
    for deal in (upheld, pending):
        verdict = Verdict.objects.get(round__deal=deal)
        services.verdict_escalate(verdict=verdict, actor=rep, argument="We did it before")
    escalation = upheld.escalations.get()
    services.escalation_decide(
        escalation=escalation, actor=manager, decision=EscalationDecision.UPHELD, reason="Right"
    )
    today = timezone.localdate()
    figure, table = metrics.escalations(metrics.Window(today, today))
    assert figure.value == 2
    assert figure.detail == "1 open, 1 upheld, 0 overruled"
    assert [(r["outcome"], r["count"], r["share"]) for r in table.rows] == [
        ("Open", 1, 0.5),
        ("Upheld", 1, 0.5),
        ("Overruled", 0, 0.0),
    ]


# Promises, capacity and feedback


def _won_deliverables(rep, pm, promised: datetime.date, efforts: list[str]) -> list[Deliverable]:
    deal = make_deal(rep, [(CommitmentKind.SCOPE, e) for e in efforts], promised=promised)
    review(deal, pm, [APPROVED] * len(efforts))
    services.deal_win(deal=deal, actor=rep)
    # Work began before its promises fell due: deliveries can date back to the start.
    Project.objects.filter(deal=deal).update(start_date=promised - datetime.timedelta(days=30))
    return list(Deliverable.objects.filter(project__deal=deal).order_by("id"))


@pytest.mark.django_db
def test_kept_rate_and_average_slip_reuse_the_promise_rules(rep, pm, manager):
    today = timezone.localdate()
    promised = today - datetime.timedelta(days=10)
    kept, late, missed, _still_open = _won_deliverables(rep, pm, promised, ["1", "2", "3", "4"])
    deliverable_update_status(
        deliverable=kept, actor=pm, status=DeliverableStatus.DELIVERED, delivered_on=promised
    )
    deliverable_update_status(
        deliverable=late,
        actor=pm,
        status=DeliverableStatus.DELIVERED,
        delivered_on=promised + datetime.timedelta(days=4),
    )
    deliverable_update_status(deliverable=missed, actor=pm, status=DeliverableStatus.MISSED)
    w = metrics.Window(promised, today)
    kept_rate, slip = metrics.promise_figures(w)
    assert kept_rate.value == 0.3333
    assert kept_rate.detail == "1 of 3 resolved promises"
    assert slip.value == 4.67  # (0 + 4 + 10) / 3
    assert slip.detail == "1 open past their date"
    by_rep, by_pm = metrics.promise_tables(w)
    assert [(r["rep"], r["kept_rate"], r["late"]) for r in by_rep.rows] == [
        ("Rita Reyes", 0.3333, 1)
    ]
    assert [(r["pm"], r["resolved"], r["avg_slip_days"]) for r in by_pm.rows] == [
        ("Priya Mehta", 3, 4.67)
    ]
    before = metrics.Window(
        promised - datetime.timedelta(days=30), promised - datetime.timedelta(days=1)
    )
    assert metrics.promise_figures(before)[0].value is None


@pytest.mark.django_db
def test_pipeline_against_capacity_for_the_next_twelve_weeks(rep, pm):
    today = timezone.localdate()
    this_week = capacity_math.week_of(today)
    promised = this_week + datetime.timedelta(days=14 + 2)  # the Wednesday two weeks on
    deal = make_deal(rep, [(CommitmentKind.SCOPE, "12")], promised=promised, start=today)
    review(deal, pm, [APPROVED], decide=False)
    table = metrics.pipeline_capacity(JUNE, today=today)
    assert len(table.rows) == 12
    assert [r["pipeline"] for r in table.rows[:4]] == [
        Decimal("4.00"),
        Decimal("4.00"),
        Decimal("4.00"),
        0,
    ]
    assert {r["capacity"] for r in table.rows} == {Decimal("4.0")}
    assert table.rows[0]["use"] == 1.0
    assert table.rows[3]["use"] == 0.0


@pytest.mark.django_db
def test_feedback_loop_health(rep, pm):
    to_delivery = feedback_services.note_create(
        author=rep, direction=Direction.TO_DELIVERY, topic=Topic.CUSTOMER_INSIGHT, body="A"
    )
    feedback_services.note_create(
        author=rep, direction=Direction.TO_DELIVERY, topic=Topic.COMPETITOR, body="B"
    )
    to_sales = feedback_services.note_create(
        author=pm, direction=Direction.TO_SALES, topic=Topic.PRAISE, body="C"
    )
    feedback_services.note_acknowledge(note=to_delivery, actor=pm)
    feedback_services.note_acknowledge(note=to_sales, actor=rep)
    FeedbackNote.objects.filter(pk=to_delivery.pk).update(
        created_at=at(day(0)), acknowledged_at=at(day(0), 15)
    )
    FeedbackNote.objects.filter(pk=to_sales.pk).update(
        created_at=at(day(1)), acknowledged_at=at(day(2))
    )
    FeedbackNote.objects.exclude(pk__in=[to_delivery.pk, to_sales.pk]).update(created_at=at(day(3)))
    figures, table = metrics.feedback_health(JUNE)
    assert [f.value for f in figures] == [3, 0.6667, 15.0]  # median of 6 and 24 hours
    assert [
        (r["direction"], r["notes"], r["acknowledged"], r["median_hours"]) for r in table.rows
    ] == [
        ("To sales", 1, 1, 24.0),
        ("To delivery", 2, 1, 6.0),
    ]


# Goals, scorecards and the agenda


@pytest.mark.django_db
def test_goal_progress_met_not_met_and_unmeasured(rep, pm, manager):
    today = timezone.localdate()
    quarter = quarter_of(today)
    review(make_deal(rep), pm, [APPROVED])
    review(make_deal(rep), pm, [FLAGGED])
    first_pass = SharedGoal.objects.create(
        quarter=quarter,
        metric=GoalMetric.FIRST_PASS_APPROVAL_RATE,
        target=Decimal("50"),
        comparison=GoalComparison.AT_LEAST,
        created_by=manager,
    )
    kept = SharedGoal.objects.create(
        quarter=quarter, metric=GoalMetric.KEPT_RATE, target=Decimal("90"), created_by=manager
    )
    turnaround = SharedGoal.objects.create(
        quarter=quarter,
        metric=GoalMetric.MEDIAN_REVIEW_TURNAROUND_DAYS,
        target=Decimal("0"),
        comparison=GoalComparison.AT_MOST,
    )
    progress = {p.goal.pk: p for p in metrics.current_goals(today)["goals"]}
    assert progress[first_pass.pk].value == 0.5
    assert progress[first_pass.pk].met is True
    assert progress[first_pass.pk].target_display == "≥ 50 %"
    assert progress[kept.pk].met is None
    assert progress[kept.pk].status == "Not measured yet"
    assert progress[turnaround.pk].met is True  # decided within the same second: 0.0 days
    SharedGoal.objects.filter(pk=first_pass.pk).update(target=Decimal("75"))
    assert metrics.goal_progress([SharedGoal.objects.get(pk=first_pass.pk)], today)[0].met is False


@pytest.mark.django_db
def test_goals_of_a_future_quarter_are_not_measured(manager):
    goal = SharedGoal.objects.create(
        quarter="2099-Q1", metric=GoalMetric.KEPT_RATE, target=Decimal("90")
    )
    assert metrics.goal_progress([goal])[0].value is None


@pytest.mark.django_db
def test_scorecard_of_a_rep_against_the_team(rep, rep2, pm):
    team = TeamFactory(name="Sales North", kind=TeamKind.SALES)
    team.members.add(rep, rep2)
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(day(0)), at(day(1)))
    set_clock(review(make_deal(rep2), pm, [APPROVED]), at(day(0)), at(day(1)))
    card = metrics.scorecard(rep, JUNE.start, JUNE.end)
    assert card["team_label"] == "Sales North"
    flag, first_pass, kept, _slip = card["rows"]
    assert (flag["own"].value, flag["team"].value) == (1.0, 0.5)
    assert (first_pass["own"].value, first_pass["team"].value) == (0.0, 0.5)
    assert kept["own"].value is None


@pytest.mark.django_db
def test_scorecard_of_a_pm_against_all_pms(rep, pm, pm2):
    set_clock(review(make_deal(rep), pm, [APPROVED]), at(day(0)), at(day(1)), due=at(day(2)))
    set_clock(review(make_deal(rep), pm2, [APPROVED]), at(day(0)), at(day(3)), due=at(day(2)))
    card = metrics.scorecard(pm, JUNE.start, JUNE.end)
    assert card["team_label"] == "All project managers"
    turnaround, breaches, _kept = card["rows"]
    assert (turnaround["own"].value, turnaround["team"].value) == (1.0, 2.0)
    assert (breaches["own"].value, breaches["team"].value) == (0, 1)


@pytest.mark.django_db
def test_sync_agenda_is_plain_data_with_every_section(rep, rep2, pm, manager):
    older = make_deal(rep)
    newer = make_deal(rep2)
    first = review(older, pm, [APPROVED], decide=False)
    review(newer, pm, [APPROVED], decide=False)
    set_clock(first, timezone.now() - datetime.timedelta(days=3))
    flagged = make_deal(rep, [(CommitmentKind.SCOPE, "1"), (CommitmentKind.PRICING, "1")])
    review(flagged, pm, [FLAGGED, FLAGGED])
    services.verdict_escalate(
        verdict=Verdict.objects.filter(round__deal=flagged).first(), actor=rep, argument="Why"
    )
    today = timezone.localdate()
    next_week = capacity_math.week_of(today) + datetime.timedelta(days=8)
    [due] = _won_deliverables(rep, pm, next_week, ["3"])
    [late] = _won_deliverables(rep, pm, today - datetime.timedelta(days=1), ["2"])
    feedback_services.note_create(
        author=rep, direction=Direction.TO_DELIVERY, topic=Topic.SCOPE_CREEP, body="Watch out"
    )

    agenda = metrics.sync_agenda(today)
    s = agenda["sections"]
    assert [i["deal"] for i in s["waiting_for_review"]["items"]] == [older.title, newer.title]
    assert [(i["deal"], i["flags"]) for i in s["open_flags"]["items"]] == [(flagged.title, 2)]
    assert [i["deal"] for i in s["open_escalations"]["items"]] == [flagged.title]
    assert [i["project"] for i in s["projects_at_risk"]["items"]] == [late.project.deal.title]
    assert s["projects_at_risk"]["items"][0]["late"] == 1
    assert [i["deliverable"] for i in s["due_next_week"]["items"]] == [due.summary]
    assert [i["topic"] for i in s["unacknowledged_feedback"]["items"]] == ["Scope creep"]
    kinds = [i["kind"] for i in s["decisions"]["items"]]
    assert kinds == ["changes_requested", "signed_off", "won", "signed_off", "won"]
    assert all(not section["more"] for section in s.values())


@pytest.mark.django_db
def test_sync_agenda_on_an_empty_history():
    sections = metrics.sync_agenda()["sections"]
    assert all(section["items"] == [] for section in sections.values())
    assert sections["decisions"]["empty"] == "No decision in the past week."


@pytest.mark.django_db
def test_window_over_a_delivery_team_limits_to_its_pms(rep, pm, pm2):
    team = TeamFactory(name="Delivery East", kind=TeamKind.DELIVERY)
    team.members.add(pm)
    set_clock(review(make_deal(rep), pm, [FLAGGED]), at(day(0)), at(day(1)))
    set_clock(review(make_deal(rep), pm2, [APPROVED]), at(day(0)), at(day(1)))
    w = metrics.window_for(JUNE.start, JUNE.end, team)
    assert w.pms == (pm.pk,)
    assert metrics.flag_rate(w).value == 1.0
    assert metrics.flag_rate(JUNE).value == 0.5
    assert UserFactory(username="x", role=Role.SALES).pk not in w.pms
