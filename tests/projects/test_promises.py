import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals import services as deal_services
from projects import promises, services
from projects.models import Deliverable, PMCapacity, Project
from projects.selectors import capacity_check, deal_page_context
from tests.projects.builders import make_deal, win

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def resolve(project, pm, outcomes):
    """outcomes: list of (promised offset days, status, delivered offset or None, reason).

    The project is backdated first: nothing can be delivered before its project started.
    """
    Project.objects.filter(pk=project.pk).update(start_date=TODAY() - 60 * DAY)
    project.refresh_from_db()
    for d, (promised, status, delivered, reason) in zip(
        project.deliverables.order_by("id"), outcomes, strict=True
    ):
        Deliverable.objects.filter(pk=d.pk).update(promised_date=TODAY() + promised * DAY)
        d.refresh_from_db()
        if status != "planned":
            services.deliverable_update_status(
                deliverable=d,
                actor=pm,
                status=status,
                reason=reason,
                delivered_on=TODAY() + delivered * DAY if delivered is not None else None,
            )


def test_empty_summary_has_no_rates():
    assert promises.promise_summary(Deliverable.objects.none()) == {
        "kept": 0,
        "resolved": 0,
        "kept_rate": None,
        "avg_slip_days": None,
        "late": 0,
    }


def test_summary_per_project_rep_and_pm(rep, rep2, pm, pm2):
    first = win(rep, pm, title="First")
    second = win(rep2, pm2, title="Second")
    # kept early (slip 0), delivered 4 days late (slip 4)
    resolve(first, pm, [(-10, "delivered", -12, ""), (-10, "delivered", -6, "")])
    # missed 6 days ago (slip 6), still open past its date (late, not resolved)
    resolve(second, pm2, [(-6, "missed", None, ""), (-3, "planned", None, "")])
    overall = promises.promise_summary(Deliverable.objects.all())
    assert overall == {
        "kept": 1,
        "resolved": 3,
        "kept_rate": pytest.approx(1 / 3),
        "avg_slip_days": pytest.approx(10 / 3),
        "late": 1,
    }
    per_project = promises.by_project(Deliverable.objects.all())
    assert per_project[first.pk]["kept_rate"] == 0.5
    assert per_project[first.pk]["avg_slip_days"] == 2.0
    assert per_project[second.pk]["kept_rate"] == 0.0
    assert per_project[second.pk]["late"] == 1
    assert promises.by_rep(Deliverable.objects.all())[rep2.pk]["avg_slip_days"] == 6.0
    assert promises.by_pm(Deliverable.objects.all())[pm.pk]["kept"] == 1


def test_the_deal_pages_one_query_gives_both_figures_as_apart(
    rep, rep2, pm, pm2, django_assert_num_queries
):
    first = win(rep, pm, title="First")
    second = win(rep2, pm2, title="Second")
    resolve(first, pm, [(-10, "delivered", -12, ""), (-10, "delivered", -6, "")])
    resolve(second, pm2, [(-6, "missed", None, ""), (-3, "planned", None, "")])
    Deliverable.objects.filter(pk=second.deliverables.order_by("id").last().pk).update(
        renegotiated_date=TODAY() + 9 * DAY
    )
    for deliverables in (Deliverable.objects.all(), first.deliverables.all()):
        apart = (
            promises.promise_summary(deliverables),
            promises.sold_and_renegotiated(deliverables),
        )
        with django_assert_num_queries(1):
            assert promises.summary_and_both(deliverables) == apart
    none = Deliverable.objects.none()
    assert promises.summary_and_both(none) == (
        promises.promise_summary(none),
        promises.sold_and_renegotiated(none),
    )


def test_descoped_is_not_resolved(won_project, pm):
    resolve(
        won_project, pm, [(-1, "descoped", None, "Client dropped it"), (5, "planned", None, "")]
    )
    assert promises.promise_summary(won_project.deliverables.all())["resolved"] == 0


def test_late_without_anyone_marking_it(won_project):
    d = won_project.deliverables.first()
    Deliverable.objects.filter(pk=d.pk).update(promised_date=TODAY() - DAY)
    d.refresh_from_db()
    assert d.is_late and d.promise_label == "Late"
    assert promises.deliverable_summary(d)["late"] == 1


def test_capacity_check_with_and_without_the_deal(rep, pm, pm2):
    monday = TODAY() - datetime.timedelta(days=TODAY().weekday())
    PMCapacity.objects.create(user=pm, weekly_days=Decimal("2"))
    PMCapacity.objects.create(user=pm2, weekly_days=Decimal("3"))
    deal = make_deal(
        rep,
        start=monday,
        commitments=[
            {
                "kind": "scope",
                "summary": "Two weeks of work",
                "effort_days": Decimal("6"),
                "promised_date": monday + datetime.timedelta(days=8),
            },
        ],
    )
    deal_services.deal_submit(deal=deal, actor=rep)
    deal.refresh_from_db()
    check = capacity_check(deal, pm)
    mine = check["reviewer"]
    assert [(w.without_deal, w.with_deal, w.capacity) for w in mine["weeks"]] == [
        (0, 3, 2),
        (0, 3, 2),
    ]
    first, second = (w.iso_week for w in mine["weeks"])
    assert mine["sentence"] == f"Over capacity in weeks {first}\u2013{second} by 2 person-days"
    assert check["team"]["fits"] is True
    assert check["team"]["sentence"].startswith("Fits:")
    assert check["chart"]["series"]["reviewer"]["with"] == [3.0, 3.0]
    context = deal_page_context(deal, pm)
    assert context["capacity_check_template"] == "projects/partials/capacity_check.html"
    assert "capacity_check_template" not in deal_page_context(deal, rep)


def test_the_won_deals_promises_name_the_deal_without_reading_it_again(
    rep, pm, django_assert_num_queries
):
    project = win(rep, pm, title="Warehouse rollout")
    deal = type(project.deal).objects.get(pk=project.deal_id)
    promised = deal_page_context(deal, pm)["deal_promises"]
    with django_assert_num_queries(0):
        assert promised["project"].deal.title == "Warehouse rollout"
    assert promised["project"].deal is deal
