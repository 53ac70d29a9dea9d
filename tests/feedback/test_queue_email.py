"""The review queue as an email category: a deal any PM may claim is told to every PM in the
app, and emailed only to those who chose it (REVIEW_QUEUE_EMAIL for those who never chose)."""

import re

import pytest

from deals import approval_links
from deals import services as deals
from feedback import emails, outbox, review_notices
from feedback.models import EmailOutbox, Notification, NotificationKind
from feedback.rules import email_categories_for
from handoff import tagged_json
from tests.feedback.conftest import resubmitted, submitted, worker_tells

pytestmark = pytest.mark.django_db


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def emailed(kind: str) -> set[str]:
    return set(EmailOutbox.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def choose(user, choice: str) -> None:
    user.email_preferences = {**(user.email_preferences or {}), "queue": choice}
    user.save(update_fields=["email_preferences"])


def test_a_first_submission_tells_every_pm_and_emails_only_who_chose_it(rep, pm, pm2, settings):
    settings.SITE_URL = "https://handoff.example.com"
    choose(pm2, "immediate")
    deal = submitted(rep)
    assert told(NotificationKind.SUBMITTED) == {"pm", "pm2"}
    assert emailed(NotificationKind.SUBMITTED) == {"pm2"}
    email = EmailOutbox.objects.get()
    assert outbox.deliver(email.pk) is True
    email.refresh_from_db()
    assert email.subject == f"Review requested: {deal}"
    assert "Approve all unchanged" in email.text_body
    assert (
        "your notification settings send you deals in the review queue as they happen"
        in email.text_body
    )


def test_the_organisation_sets_what_a_pm_who_never_chose_gets(rep, pm, pm2, settings):
    settings.REVIEW_QUEUE_EMAIL = "immediate"
    choose(pm2, "off")
    submitted(rep)
    assert emailed(NotificationKind.SUBMITTED) == {"pm"}


def test_a_resubmission_is_addressed_to_its_reviewer_and_emailed_under_reviews(rep, pm, pm2):
    resubmitted(rep, pm)
    assert emailed(NotificationKind.SUBMITTED) == {"pm"}
    context = tagged_json.decode(EmailOutbox.objects.get().context)
    assert not context["to_queue"]
    assert "send you reviews as they happen" in emails.sent_because(
        NotificationKind.SUBMITTED, context
    )


def test_a_released_review_is_the_queues_too(rep, pm, pm2):
    deal = submitted(rep, pm)
    deals.review_release(deal=deal, actor=pm, note="Too much on my plate")
    worker_tells()
    assert told(NotificationKind.REVIEW_RELEASED) == {"pm2"}
    assert emailed(NotificationKind.REVIEW_RELEASED) == set()
    choose(pm, "immediate")
    deals.review_claim(deal=deal, actor=pm2)
    deals.review_release(deal=deal, actor=pm2, note="Back to the queue")
    worker_tells()
    assert emailed(NotificationKind.REVIEW_RELEASED) == {"pm"}


def test_approval_links_are_signed_only_for_the_people_emailed(rep, pm, pm2, monkeypatch):
    signed = []

    def counting(**kwargs):
        signed.append(kwargs["user"].username)
        return approval_links.approval_token(**kwargs)

    monkeypatch.setattr(review_notices, "approval_token", counting)
    choose(pm2, "immediate")
    submitted(rep, commitments=2)
    assert set(signed) == {"pm2"}
    assert len(signed) == 3  # one link per commitment and one for both


def test_only_pms_are_offered_the_queue(rep, pm, manager):
    assert "queue" in email_categories_for(pm)
    assert "queue" not in email_categories_for(rep)
    assert "queue" not in email_categories_for(manager)


def test_the_settings_page_offers_the_queue_with_the_organisations_default(
    pm, client_for, settings
):
    def chosen() -> str:
        page = client_for(pm).get("/settings/").content.decode()
        assert "Deals in the review queue" in page
        select = re.search(r'<select name="email_queue".*?</select>', page, re.S).group()
        return re.search(r'<option value="(\w+)" selected>', select).group(1)

    assert chosen() == "digest"
    settings.REVIEW_QUEUE_EMAIL = "immediate"
    assert chosen() == "immediate"
    choose(pm, "off")
    assert chosen() == "off"
