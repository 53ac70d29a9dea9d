"""Digests: by role, what changed since the last one, sent once per user and period."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from deals.models import Deal
from feedback import digests, services
from feedback.models import DigestDelivery, EmailOutbox, Notification
from handoff.models import Role
from tests.factories import UserFactory
from tests.feedback.conftest import (
    CaptureCount,
    changes_requested,
    sent_messages,
    submitted,
    won,
)

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def busy_week(rep, rep2, pm, pm2, manager):
    changes_requested(rep, pm)
    submitted(rep2)
    services.note_create(
        author=pm, direction="to_sales", topic="hard_to_deliver", body="SSO took 3 weeks"
    )
    services.note_create(
        author=rep, direction="to_delivery", topic="customer_insight", body="They love demos"
    )


def test_period_keys():
    day = timezone.datetime(2026, 11, 25).date()
    assert digests.period_key("daily", day) == "2026-11-25"
    assert digests.period_key("weekly", day) == "2026-W48"


def test_send_digests_twice_sends_one_per_user(busy_week):
    assert run("--period", "weekly") == "sent 5, skipped 0"
    assert run("--period", "weekly") == "sent 0, skipped 5"
    assert len(mail.outbox) == 5
    assert DigestDelivery.objects.filter(sent_at__isnull=False).count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"{u}@handoff.test" for u in ["rep", "rep2", "pm", "pm2", "manager"]
    )


def test_dry_run_lists_who_would_get_what_and_sends_nothing(busy_week, rep, pm):
    lines = run("--period", "weekly", "--dry-run").splitlines()
    assert lines[-1] == "would send 5, skipped 0"
    subject = digests.build_digest(rep, "weekly").subject
    assert f"rep <rep@handoff.test>: would send “{subject}”" in lines[0]
    assert "1 deal(s)" in lines[0]
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()
    assert not EmailOutbox.objects.filter(kind="digest").exists()


def test_dry_run_says_why_someone_gets_nothing(busy_week, rep):
    run("--period", "weekly")
    lines = run("--period", "weekly", "--dry-run").splitlines()
    assert lines[0].startswith("rep <rep@handoff.test>: nothing to send, they already had")
    assert lines[-1] == "would send 0, skipped 5"


def test_preview_prints_the_digest_and_writes_nothing(busy_week, rep):
    before = (EmailOutbox.objects.count(), Notification.objects.count())
    out = run("--period", "weekly", "--dry-run", "--preview", "rep")
    digest = digests.build_digest(rep, "weekly")
    assert f"Subject: {digest.subject}" in out and "To: rep@handoff.test" in out
    assert "Hello Rita Reyes," in out and "SSO took 3 weeks" in out
    assert "<html" not in out
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()
    assert (EmailOutbox.objects.count(), Notification.objects.count()) == before
    rep.refresh_from_db()
    assert rep.last_digest_at is None


def test_preview_with_html_prints_the_inlined_html_too(busy_week):
    out = run("--period", "weekly", "--dry-run", "--preview", "rep@handoff.test", "--html")
    assert "Hello Rita Reyes," in out and "<html" in out and 'style="' in out
    assert not DigestDelivery.objects.exists() and mail.outbox == []


def test_preview_of_someone_who_gets_nothing_says_why(busy_week, rep):
    rep.digest_frequency = "daily"
    rep.save()
    out = run("--period", "weekly", "--dry-run", "--preview", "rep")
    assert out == "rep <rep@handoff.test>: nothing to send, they chose daily digests."


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--preview", "rep"], "--preview needs --dry-run"),
        (["--dry-run", "--html"], "--html goes with --preview USER"),
        (["--dry-run", "--preview", "nobody"], "No user has the username or email 'nobody'"),
    ],
)
def test_preview_refuses_in_words(busy_week, args, error):
    with pytest.raises(CommandError, match=error):
        run("--period", "weekly", *args)
    assert mail.outbox == [] and not DigestDelivery.objects.exists()


def test_only_users_who_chose_the_period(busy_week, rep, pm):
    rep.digest_frequency = "daily"
    rep.save()
    pm.digest_frequency = "off"
    pm.save()
    assert run("--period", "daily") == "sent 1, skipped 0"
    assert [m.to for m in mail.outbox] == [[rep.email]]


def test_the_next_digest_lists_only_what_changed_since(busy_week, rep, pm):
    run("--period", "weekly")
    rep.refresh_from_db()
    assert rep.last_digest_at is not None
    digest = digests.build_digest(rep, "weekly")
    assert not digest.has_news


def test_rep_digest_content(busy_week, rep, settings):
    settings.SITE_URL = "https://handoff.example.com"
    digest = digests.build_digest(rep, "weekly")
    titles = {s.title: s for s in digest.sections}
    assert "Flags and outcomes of your deals" in titles
    outcomes = " ".join(i.text for i in titles["Flags and outcomes of your deals"].items)
    assert "changes requested" in outcomes.lower()
    assert "flagged" in outcomes.lower() or "ruled" in outcomes.lower()
    notes = titles["Notes from delivery"].items
    assert [n.detail for n in notes] == ["SSO took 3 weeks"]
    text, html = digests.render_digest(digest)
    assert "https://handoff.example.com/feedback/notes/" in text
    assert 'href="https://handoff.example.com/deals/' in html
    assert 'style="' in html and "Open Handoff: https://handoff.example.com/" in text


def test_pm_digest_has_the_queue_and_notes_from_sales(busy_week, pm):
    digest = digests.build_digest(pm, "weekly")
    titles = {s.title: s for s in digest.sections}
    assert len(titles["Your review queue"].items) == 1  # rep2's unclaimed deal
    assert [n.detail for n in titles["Notes from sales"].items] == ["They love demos"]
    assert "Deliverables coming due" in titles


@pytest.mark.parametrize("role", [Role.SALES, Role.PM, Role.MANAGER])
def test_a_digest_costs_the_same_queries_for_1_and_many_rows(role, rep, pm):
    user = {Role.SALES: rep, Role.PM: pm, Role.MANAGER: UserFactory(role=Role.MANAGER)}[role]
    won(rep, pm)
    digests.build_digest(user, "weekly")  # what is read once per person (their teams) is read
    with CaptureCount() as one:
        digests.render_digest(digests.build_digest(user, "weekly"))
    for _ in range(5):
        won(rep, pm)
        changes_requested(rep, pm)
        services.note_create(author=pm, direction="to_sales", topic="praise", body="Nice")
        services.note_create(author=rep, direction="to_delivery", topic="competitor", body="X")
    with CaptureCount() as many:
        digests.render_digest(digests.build_digest(user, "weekly"))
    assert one.count == many.count


def test_a_failed_send_frees_the_claim_for_the_next_run(busy_week, monkeypatch):
    def refuse(self, fail_silently=False):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert run("--period", "weekly") == "sent 0, skipped 0, failed 5"
    monkeypatch.undo()
    assert run("--period", "weekly") == "sent 5, skipped 0"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_one_digest_each(busy_week, tmp_path):
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "EMAIL_URL": f"filemail:///{tmp_path}",
        "SECRET_KEY": "concurrent-digests-test",
        "DEBUG": "false",
    }
    manage = Path(settings.BASE_DIR) / "manage.py"
    runs = [
        subprocess.Popen(
            [sys.executable, str(manage), "send_digests", "--period", "weekly"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].strip().splitlines()[-1] for p in runs]
    sent = sum(int(line.split()[1].rstrip(",")) for line in outputs)
    assert sent == 5, outputs
    assert len(sent_messages(tmp_path)) == 5
    assert DigestDelivery.objects.filter(sent_at__isnull=False).count() == 5


# Grouped by deal, each thing once


def _deal_block(text: str, deal) -> str:
    """The lines under a deal's heading in the text part, up to the next blank line."""
    start = text.index(f"{deal.title} · {deal.client.name}\n")
    end = text.find("\n\n", start)
    return text[start : end if end != -1 else None]


def test_the_digest_groups_items_under_one_heading_per_deal(rep, pm, settings):
    settings.SITE_URL = "https://handoff.example.com"
    first = changes_requested(rep, pm)
    second = won(rep, pm)
    services.note_create(
        author=pm, direction="to_sales", topic="scope_creep", body="Reports grew", deal=first
    )
    digest = digests.build_digest(rep, "weekly")
    assert [g.deal.title for g in digest.deal_groups] == [second.title, first.title]
    text, html = digests.render_digest(digest)
    for deal in (first, second):
        assert text.count(f"{deal.title} · {deal.client.name}") == 1
        assert html.count(f">{deal.title}</a>") == 1
    first_block = _deal_block(text, first)
    assert "Changes requested by Priya Mehta" in first_block
    assert "Reports grew" in first_block and "Won by" not in first_block
    assert "Won by Rita Reyes" in _deal_block(text, second)
    # A note about no deal stays in its section.
    services.note_create(author=pm, direction="to_sales", topic="praise", body="Great call")
    sections = {s.title: s for s in digests.build_digest(rep, "weekly").other_sections}
    assert [i.detail for i in sections["Notes from delivery"].items] == ["Great call"]


def test_the_same_event_is_listed_once(busy_week, rep, pm):
    """A flag, a request for changes or a note was listed in its section and again as the
    unread notification it sent; a submission too, in a PM's queue and in their unread."""
    text, _ = digests.render_digest(digests.build_digest(rep, "weekly"))
    assert Notification.objects.filter(recipient=rep, kind="flagged").exists()
    assert text.count("SSO took 3 weeks") == 1
    assert text.count("Flagged “") + text.count("flagged “") == 1
    assert text.lower().count("requested changes") + text.count("Changes requested") == 1
    for user in (rep, pm):
        digest = digests.build_digest(user, "weekly")
        items = [(i.text, i.when, i.deal) for s in digest.sections for i in s.items if i.deal]
        assert len(items) == len(set(items)), user
    queued = Deal.objects.get(owner__username="rep2")
    assert Notification.objects.filter(recipient=pm, kind="submitted", deal=queued).exists()
    pm_text, _ = digests.render_digest(digests.build_digest(pm, "weekly"))
    assert pm_text.count(queued.title) == 1  # its heading; the queue item sits under it
    assert "Review round 1 waiting, unclaimed" in _deal_block(pm_text, queued)


def test_an_unread_notification_nothing_else_tells_stays(busy_week, rep):
    sections = {s.title: s for s in digests.build_digest(rep, "weekly").sections}
    unread = [i.text for i in sections["Unread notifications"].items]
    assert any("is reviewing" in text for text in unread)  # claimed: no section tells it


def test_digest_dates_are_written_one_way(busy_week, rep, pm, manager):
    import re

    month = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    for user in (rep, pm):
        text, _ = digests.render_digest(digests.build_digest(user, "weekly"))
        for line in text.splitlines():
            if re.search(rf"\b\d{{1,2}} {month}\b", line):
                assert re.search(
                    rf"(?:^|\s)(?:\w{{3}} )?[1-9]\d? {month} \d{{4}}(?:, \d\d:\d\d)?", line
                ), line
                assert not re.search(rf"\b0\d {month}", line), line


def test_a_queued_round_stands_for_the_review_notices_that_point_at_it(busy_week, pm):
    """Asked to approve, reminded, or handed a review: the queue item tells it once."""
    from feedback.models import NotificationKind

    queued = Deal.objects.get(owner__username="rep2")
    for kind in (
        NotificationKind.APPROVAL_NEEDED,
        NotificationKind.REVIEW_DUE_SOON,
        NotificationKind.REVIEW_RELEASED,
    ):
        Notification.objects.create(
            recipient=pm,
            kind=kind,
            deal=queued,
            text=f"{kind} {queued.title}",
            url=queued.get_absolute_url(),
        )
    pm_text, _ = digests.render_digest(digests.build_digest(pm, "weekly"))
    assert pm_text.count(queued.title) == 1
