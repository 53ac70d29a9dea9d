"""Deals moved through the real workflow, so projects come from deals.services.deal_win."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deals import services as deal_services
from deals.models import VerdictKind
from tests.factories import ClientFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    """Submit and have `pm` approve every commitment and sign off."""
    conditions = conditions or {}
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


@pytest.fixture
def won_project(rep, pm):
    """A project from rep's deal, signed off by pm, with two planned deliverables."""
    return win(rep, pm, conditions={"Data warehouse": "Client provides access by week 2"})
