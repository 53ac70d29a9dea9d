"""Deals moved through the real workflow, so projects come from deals.services.deal_win."""

import datetime
from decimal import Decimal

from django.utils import timezone

from deals import services as deal_services
from deals.models import VerdictKind
from projects.models import Deliverable, Project
from tests.factories import ClientFactory, CommitmentFactory


def make_deal(rep, *, commitments=None, start=None, title="Data platform rollout"):
    today = timezone.localdate()
    commitments = commitments or [
        {
            "kind": "scope",
            "summary": "Data warehouse",
            "effort_days": Decimal("10"),
            "promised_date": today + datetime.timedelta(days=40),
        },
        {
            "kind": "timeline",
            "summary": "Dashboards live",
            "effort_days": Decimal("6"),
            "promised_date": today + datetime.timedelta(days=60),
        },
    ]
    return deal_services.deal_create(
        actor=rep,
        data={
            "title": title,
            "client": ClientFactory(),
            "value": Decimal("80000"),
            "expected_close_date": today + datetime.timedelta(days=10),
            "expected_start_date": start
            if start is not None
            else today + datetime.timedelta(days=14),
        },
        commitments=commitments,
    )


def review(deal, rep, pm, *, conditions=None):
    """Submit (unless in review already), have `pm` approve every commitment and sign off."""
    conditions = conditions or {}
    deal.refresh_from_db()
    if deal.status == "draft":
        deal_services.deal_submit(deal=deal, actor=rep)
    for commitment in deal.commitments.all():
        condition = conditions.get(commitment.summary, "")
        deal_services.commitment_rule(
            commitment=commitment,
            actor=pm,
            verdict=VerdictKind.APPROVED_WITH_CONDITION if condition else VerdictKind.APPROVED,
            condition=condition,
        )
    return deal_services.deal_sign_off(deal=deal, actor=pm)


def win(rep, pm, **kwargs):
    conditions = kwargs.pop("conditions", None)
    deal = make_deal(rep, **kwargs)
    review(deal, rep, pm, conditions=conditions)
    deal_services.deal_win(deal=deal, actor=rep)
    deal.refresh_from_db()
    return deal.project


def bulk_project(rep, pm, i):
    """A project without going through review: enough rows for a query count."""
    deal = make_deal(rep, title=f"Bulk {i}")
    commitment = CommitmentFactory(deal=deal)
    project = Project.objects.create(deal=deal, pm=pm, start_date=timezone.localdate())
    Deliverable.objects.create(
        project=project,
        commitment=commitment,
        kind="scope",
        summary="x",
        promised_date=timezone.localdate() - datetime.timedelta(days=1),
        effort_days=2,
    )
    return project
