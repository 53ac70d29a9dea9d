"""Ids of one transaction reach their sender once, after the commit, however many writes add them."""

import pytest
from django.db import transaction

from handoff.commit_batches import send_on_commit

pytestmark = pytest.mark.django_db


def test_each_sender_gets_all_its_ids_once_after_the_commit(django_capture_on_commit_callbacks):
    emails, posts = [], []
    with django_capture_on_commit_callbacks(execute=True):
        send_on_commit(emails.append, [1, 2])
        send_on_commit(posts.append, [7])
        send_on_commit(emails.append, [3])
        assert emails == [] and posts == []
    assert emails == [[1, 2, 3]] and posts == [[7]]


def test_a_rolled_back_savepoint_keeps_the_ids_added_before_it(django_capture_on_commit_callbacks):
    sent = []
    with django_capture_on_commit_callbacks(execute=True):
        send_on_commit(sent.append, [1])
        try:
            with transaction.atomic():
                send_on_commit(sent.append, [2])
                raise RuntimeError
        except RuntimeError:
            pass
        send_on_commit(sent.append, [3])
    # The batch is one list: the savepoint dropped its own hook, not the id it added, so the
    # sender gets 2 as well and must skip ids whose rows are gone (the tasks do).
    assert len(sent) == 1 and {1, 3} <= set(sent[0])
    assert sent == [[1, 2, 3]]


def test_a_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    sent = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                send_on_commit(sent.append, [1])
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and sent == []
