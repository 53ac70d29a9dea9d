"""The settings a served stack runs under load: its tree's bench settings, email kept nowhere."""

import subprocess
import sys

import pytest
from django.core import mail
from django.core.mail import BadHeaderError, EmailMultiAlternatives

from bench.stack import ROOT, SERVED, SERVED_SETTINGS, Stack
from tests.bench.stacks import a_stack


def served(tmp_path) -> Stack:
    return a_stack(tmp_path, root=ROOT)


def test_a_stack_runs_its_own_tree_first_then_the_served_settings(tmp_path):
    env = served(tmp_path).env()
    assert env["DJANGO_SETTINGS_MODULE"] == SERVED_SETTINGS
    assert env["PYTHONPATH"].split(":") == [str(ROOT), str(SERVED)]
    older = served(tmp_path)
    older.python_path = f"/tmp/isolate:{tmp_path}"
    assert older.env()["PYTHONPATH"].split(":") == ["/tmp/isolate", str(tmp_path), str(SERVED)]


def test_the_served_settings_are_the_bench_settings_with_mail_written_and_dropped(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ROOT_URLCONF, settings.EMAIL_BACKEND)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=served(tmp_path).env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["bench.urls", "bench_served_mail.WrittenAndDropped"]


def test_mail_sent_under_load_is_made_into_bytes_and_kept_nowhere(monkeypatch):
    monkeypatch.syspath_prepend(str(SERVED))
    from bench_served_mail import WrittenAndDropped

    messages = []
    for n in range(3):
        message = EmailMultiAlternatives("Review requested", "Text", to=[f"pm{n}@example.com"])
        message.attach_alternative("<p>Text</p>", "text/html")
        messages.append(message)
    mail.outbox = []
    assert WrittenAndDropped().send_messages(messages) == 3
    assert mail.outbox == []
    bad = EmailMultiAlternatives("Two\nlines", "Text", to=["pm@example.com"])
    with pytest.raises(BadHeaderError):  # the header check SMTP's backend makes too
        WrittenAndDropped().send_messages([bad])
