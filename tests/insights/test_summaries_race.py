"""Two folds at once (PostgreSQL, real connections): both finish, and the rows are one fold's."""

import pytest

from deals.models import CommitmentKind
from insights.models import ReviewRoundSummary, SummaryState, VerdictSummary
from insights.summary_fold import summaries_fold
from tests.concurrency import race
from tests.insights.crafted import APPROVED, FLAGGED, make_deal, review

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _rows() -> list[tuple]:
    return sorted(
        ReviewRoundSummary.objects.values_list("round_id", "rep_id", "reviewer_id", "outcome")
    ) + sorted(VerdictSummary.objects.values_list("round_id", "pm_id", "kind", "verdicts"))


def test_two_folds_at_once_leave_the_rows_of_one(rep, rep2, pm):
    for owner in (rep, rep2, rep):
        deal = make_deal(owner, [(CommitmentKind.SCOPE, "3"), (CommitmentKind.TIMELINE, "1")])
        review(deal, pm, [FLAGGED, APPROVED])
    summaries_fold()
    once = _rows()
    # Both runs read every event again and replace the same deals' rows.
    SummaryState.objects.update(deal_event_id=0, project_event_id=0)
    results = race(summaries_fold, summaries_fold)
    assert [outcome for outcome, _ in results] == ["ok", "ok"], results
    assert _rows() == once
