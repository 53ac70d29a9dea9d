"""Deals moved through deals.services, the only legal way, for the feedback tests."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals import services
from deals.models import Deal
from tests.deals.builders import rule_all as rule
from tests.factories import CommitmentFactory, DealFactory


def draft(owner, *, commitments: int = 2, kind: str = "scope") -> Deal:
    deal = DealFactory(owner=owner)
    for _ in range(commitments):
        CommitmentFactory(deal=deal, kind=kind, effort_days=Decimal("5.0"))
    return deal


def worker_tells() -> int:
    """What the worker does after commit: tell the people of every announcement still waiting
    (feedback.announcements). Tests run inside one transaction, which never commits."""
    from feedback import tasks
    from feedback.models import Announcement

    return tasks.expand_announcements(list(Announcement.objects.values_list("pk", flat=True)))


def submitted(owner, pm=None, **kwargs) -> Deal:
    """Submitted, and its PMs told as the worker tells them after commit."""
    deal = draft(owner, **kwargs)
    services.deal_submit(deal=deal, actor=owner)
    worker_tells()
    if pm is not None:
        services.review_claim(deal=deal, actor=pm)
    return deal


def resubmitted(owner, pm) -> Deal:
    """Sent back by pm, revised and submitted again: what the resubmission alone told, as the
    worker tells it (the notifications and emails before it are gone)."""
    from feedback.models import EmailOutbox, Notification

    deal = changes_requested(owner, pm)
    services.deal_revise(deal=deal, actor=owner)
    Notification.objects.all().delete()
    EmailOutbox.objects.all().delete()
    services.deal_submit(deal=deal, actor=owner)
    worker_tells()
    return deal


def signed_off(owner, pm) -> Deal:
    deal = submitted(owner, pm)
    rule(deal, pm)
    services.deal_sign_off(deal=deal, actor=pm)
    return deal


def won(owner, pm) -> Deal:
    deal = signed_off(owner, pm)
    services.deal_win(deal=deal, actor=owner)
    return Deal.objects.get(pk=deal.pk)


def changes_requested(owner, pm) -> Deal:
    deal = submitted(owner, pm)
    rule(deal, pm, flag_first=True)
    services.deal_request_changes(deal=deal, actor=pm)
    return deal


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def days():
    return datetime.timedelta


class CaptureCount:
    """Count the queries of a block, to compare 1 row with 50."""

    def __enter__(self):
        self.context = CaptureQueriesContext(connection)
        self.context.__enter__()
        return self

    def __exit__(self, *exc):
        self.context.__exit__(*exc)
        self.count = len(self.context.captured_queries)


# Django's file backend writes the emails of one connection into one file, each followed by a
# line of dashes; the emails of an outbox batch share a connection.
MESSAGE_END = "-" * 79


def sent_messages(mail_dir: Path) -> list[str]:
    """Every email written to a file-backend folder, in the order of its files."""
    return [
        message
        for path in sorted(mail_dir.iterdir())
        for message in path.read_text().split(MESSAGE_END)
        if message.strip()
    ]
