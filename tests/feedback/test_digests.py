"""Digests: by role, what changed since the last one, sent once per user and period."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from feedback import digests, services
from feedback.models import DigestDelivery
from handoff.models import Role
from tests.factories import UserFactory
from tests.feedback.conftest import CaptureCount, changes_requested, submitted, won

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


def test_dry_run_sends_nothing(busy_week):
    assert run("--period", "weekly", "--dry-run") == "would send 5, skipped 0"
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()


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
    assert len(list(tmp_path.iterdir())) == 5
    assert DigestDelivery.objects.filter(sent_at__isnull=False).count() == 5
