"""The dashboard's summary tables: folded from the events, they give the live figures exactly.

History is made through the services (rounds moved to known days, so the range has rounds
in several weeks, on time and late), folded, then changed again through the services and
folded again: each time every figure and table of the dashboard, the headline figures of the
period before and the goal values equal those computed from the rows, over several windows.
"""

import datetime

import pytest
from django.utils import timezone

from deals import services
from deals.models import CommitmentKind, ReviewRound
from handoff.models import TeamKind, quarter_of
from insights.figures import goals, trends
from insights.figures.alignment import alignment
from insights.figures.goals import goal_values
from insights.figures.summarised import is_folded, summarised
from insights.figures.trends import headline_figures
from insights.figures.window import Window, default_range, window_for
from insights.models import PromiseSummary, ReviewRoundSummary, SummaryState, VerdictSummary
from insights.summary_fold import summaries_fold
from insights.tasks import refresh_metrics
from projects import services as project_services
from projects.models import Deliverable, DeliverableStatus, Project
from tests.factories import TeamFactory, UserFactory
from tests.insights.crafted import APPROVED, CONDITION, FLAGGED, make_deal, review, set_clock

pytestmark = pytest.mark.django_db

KINDS = [CommitmentKind.SCOPE, CommitmentKind.TIMELINE, CommitmentKind.STAFFING]


def _at(days_ago: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def people(rep, rep2, pm, pm2, manager):
    rep3 = UserFactory(username="rep3", role="sales")
    sales = TeamFactory(name="Sales east", kind=TeamKind.SALES)
    sales.members.set([rep, rep3])
    delivery = TeamFactory(name="Delivery one", kind=TeamKind.DELIVERY)
    delivery.members.set([pm2])
    return {
        "reps": [rep, rep2, rep3],
        "pms": [pm, pm2],
        "manager": manager,
        "teams": [sales, delivery],
    }


def _history(people) -> None:
    """Deals over the last months: flagged then approved, signed off on time or late, won with
    promises delivered on time, late, missed or open past their date, some still in review."""
    reps, pms = people["reps"], people["pms"]
    today = timezone.localdate()
    for i in range(9):
        rep, pm = reps[i % 3], pms[i % 2]
        promised = today + datetime.timedelta(days=(i % 4) * 10 - 25)
        deal = make_deal(
            rep,
            [(KINDS[i % 3], str(2 + i)), (KINDS[(i + 1) % 3], "3")],
            promised=promised,
        )
        first = review(deal, pm, [FLAGGED, APPROVED] if i % 2 else [APPROVED, CONDITION])
        # Submitted on different days and weeks; some decided past their due time.
        set_clock(first, _at(10 * i + 3, 9), _at(10 * i + 3 - (i % 3), 15), due=_at(10 * i + 2, 9))
        if i % 2:
            services.deal_revise(deal=deal, actor=rep)
            second = review(deal, pm, [APPROVED, APPROVED], decide=i != 7)
            set_clock(second, _at(10 * i, 10), None if i == 7 else _at(10 * i - 1, 11))
        if i % 3 == 0:
            services.deal_win(deal=deal, actor=rep)
            # Work began before its promises fell due: deliveries can date back to the start.
            Project.objects.filter(deal=deal).update(start_date=today - datetime.timedelta(days=90))
    won = list(Deliverable.objects.order_by("id"))
    for n, deliverable in enumerate(won):
        if deliverable.promised_date >= today:
            continue
        if n % 3 == 0:
            status, on = (
                DeliverableStatus.DELIVERED,
                deliverable.promised_date + datetime.timedelta(days=n % 4),
            )
        elif n % 3 == 1:
            status, on = DeliverableStatus.MISSED, None
        else:
            continue  # open past its date: late
        project_services.deliverable_update_status(
            deliverable=deliverable,
            actor=people["manager"],
            status=status,
            reason="Slipped" if status == DeliverableStatus.MISSED else "",
            delivered_on=on,
        )


def _windows(people) -> list[Window]:
    today = timezone.localdate()
    start, end = default_range(today)
    sales, delivery = people["teams"]
    return [
        window_for(start, end),
        window_for(start, end, sales),
        window_for(start, end, delivery),
        window_for(today - datetime.timedelta(days=20), today),
        window_for(today - datetime.timedelta(days=200), today - datetime.timedelta(days=30)),
        Window(start, end, reps=(people["reps"][1].pk,)),
    ]


def assert_summaries_equal_live(people) -> None:
    for w in _windows(people):
        folded, live = alignment(w, live=False), alignment(w, live=True)
        for mine, theirs in zip(folded.figures, live.figures, strict=True):
            assert mine == theirs, (w, mine.key)
        for mine, theirs in zip(folded.tables, live.tables, strict=True):
            assert mine == theirs, (w, mine.key)


def _stored_rows() -> dict[str, set[tuple]]:
    def rows(model) -> set[tuple]:
        fields = [f.name for f in model._meta.fields if f.name != "id"]
        return {tuple(str(v) for v in row) for row in model.objects.values_list(*fields)}

    return {m.__name__: rows(m) for m in (ReviewRoundSummary, VerdictSummary, PromiseSummary)}


def test_folded_figures_equal_live_ones_then_follow_new_events(people):
    _history(people)
    assert not is_folded()
    summaries_fold()
    assert is_folded()
    assert ReviewRoundSummary.objects.count() == ReviewRound.objects.count()
    assert_summaries_equal_live(people)

    # New work through the services: the next fold reads it from the events.
    reps, pms = people["reps"], people["pms"]
    deal = make_deal(reps[0], [(CommitmentKind.PRICING, "8"), (CommitmentKind.SCOPE, "1")])
    review(deal, pms[1], [FLAGGED, APPROVED])
    in_review = make_deal(reps[2], [(CommitmentKind.SUPPORT, "4")])
    review(in_review, pms[0], [APPROVED], decide=False)
    open_one = Deliverable.objects.filter(status=DeliverableStatus.PLANNED).first()
    project_services.deliverable_update_status(
        deliverable=open_one,
        actor=people["manager"],
        status=DeliverableStatus.DELIVERED,
        delivered_on=timezone.localdate(),
    )
    stats = summaries_fold()
    assert stats["deal_events"] > 0
    assert stats["project_events"] > 0
    assert_summaries_equal_live(people)


def test_the_headline_figures_and_goals_read_the_summaries_alike(people, monkeypatch):
    _history(people)
    summaries_fold()
    windows = _windows(people)
    quarter = quarter_of(timezone.localdate())
    folded = [headline_figures(w) for w in windows], goal_values(quarter)
    # The same functions on the rows, as before the summaries existed.
    monkeypatch.setattr(trends, "is_folded", lambda: False)
    monkeypatch.setattr(goals, "is_folded", lambda: False)
    live = [headline_figures(w) for w in windows], goal_values(quarter)
    assert folded == live


def test_folding_twice_changes_nothing(people):
    _history(people)
    summaries_fold()
    before = _stored_rows()
    state = SummaryState.objects.get()
    again = summaries_fold()
    assert _stored_rows() == before
    assert again["deal_events"] <= state.deal_event_id
    summaries_fold(full=True)
    assert _stored_rows() == before


def test_young_events_are_folded_again_until_they_settle(people):
    _history(people)
    summaries_fold()
    mark = SummaryState.objects.get().deal_event_id
    deal = make_deal(people["reps"][0], [(CommitmentKind.SCOPE, "2")])
    review(deal, people["pms"][0], [APPROVED])
    first = summaries_fold()
    # Folded now, but the watermark waits: an older transaction may still commit below it.
    assert first["deal_events"] > 0
    assert SummaryState.objects.get().deal_event_id == mark
    assert summaries_fold()["deal_events"] == first["deal_events"]
    assert_summaries_equal_live(people)


def test_a_new_day_refolds_what_became_late(people, settings):
    _history(people)
    today = timezone.localdate()
    summaries_fold(today - datetime.timedelta(days=3))
    # Folded three days ago: promises due since then were not late yet.
    summaries_fold(today)
    assert SummaryState.objects.get().as_of == today
    assert_summaries_equal_live(people)


def test_the_summed_inputs_take_six_queries_whatever_the_history(people, django_assert_num_queries):
    w = window_for(*default_range())
    review(make_deal(people["reps"][0]), people["pms"][0], [APPROVED])
    summaries_fold()
    with django_assert_num_queries(6):
        summarised(w)
    _history(people)
    summaries_fold(full=True)
    with django_assert_num_queries(6):
        found = summarised(w)
    assert found.verdict_counts


def test_the_scheduled_refresh_folds_first(people):
    _history(people)
    refresh_metrics()
    assert is_folded()
    assert ReviewRoundSummary.objects.count() == ReviewRound.objects.count()
