"""End to end with a real worker on the broker: a submission through its page is told by the
worker, which writes the PMs' notifications and emails, and sends the emails."""

import time

import pytest
from django.urls import reverse

from feedback.models import Announcement, EmailOutbox, Notification, NotificationKind, OutboxStatus
from tests.feedback.conftest import draft
from tests.feedback.test_worker import live_stack, worker  # noqa: F401 - the fixtures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_tells_the_pms_of_a_web_submission(worker, client_for, rep, pm, pm2):  # noqa: F811
    # The worker is another process, so the PMs' own choice, not a setting, asks for the email.
    for user in (pm, pm2):
        user.email_preferences = {"queue": "immediate"}
        user.save(update_fields=["email_preferences"])
    worker()
    deal = draft(rep)
    response = client_for(rep).post(reverse("deals:submit", args=[deal.pk]))
    assert response.status_code == 302
    deadline = time.monotonic() + 45
    sent = EmailOutbox.objects.filter(notification__deal=deal, status=OutboxStatus.SENT)
    while sent.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert sorted(sent.values_list("to_address", flat=True)) == sorted([pm.email, pm2.email]), (
        worker.log.read_text()[-3000:]
    )
    told = Notification.objects.filter(deal=deal, kind=NotificationKind.SUBMITTED)
    assert sorted(told.values_list("recipient__username", flat=True)) == ["pm", "pm2"]
    assert not Announcement.objects.exists()
    assert len(worker.messages()) == 2
