"""Shared goals' progress: met, not met, not measured yet."""

from decimal import Decimal

import pytest
from django.utils import timezone

from handoff.models import (
    GoalComparison,
    GoalMetric,
    SharedGoal,
    quarter_of,
)
from insights.figures.goals import current_goals, goal_progress
from tests.insights.crafted import (
    APPROVED,
    FLAGGED,
    make_deal,
    review,
)


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
    progress = {p.goal.pk: p for p in current_goals(today)["goals"]}
    assert progress[first_pass.pk].value == 0.5
    assert progress[first_pass.pk].met is True
    assert progress[first_pass.pk].target_display == "≥ 50\u202f%"
    assert progress[kept.pk].met is None
    assert progress[kept.pk].status == "Not measured yet"
    assert progress[turnaround.pk].met is True  # decided within the same second: 0.0 days
    SharedGoal.objects.filter(pk=first_pass.pk).update(target=Decimal("75"))
    assert goal_progress([SharedGoal.objects.get(pk=first_pass.pk)], today)[0].met is False


@pytest.mark.django_db
def test_goals_of_a_future_quarter_are_not_measured(manager):
    goal = SharedGoal.objects.create(
        quarter="2099-Q1", metric=GoalMetric.KEPT_RATE, target=Decimal("90")
    )
    assert goal_progress([goal])[0].value is None
