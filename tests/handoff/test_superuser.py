"""`createsuperuser` makes an operator: role admin, no digest, nobody's recipient."""

import io

import pytest
from django.core.management import call_command

from feedback.digests import recipients_for
from feedback.forms import NoteForm
from handoff.models import DigestFrequency, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-operator-password-123")
    call_command(
        "createsuperuser",
        interactive=False,
        username="root",
        email="root@handoff.example",
        stdout=io.StringIO(),
    )
    return User.objects.get(username="root")


def test_createsuperuser_makes_an_operator_not_a_sales_rep(root):
    assert root.is_superuser and root.is_staff
    assert root.role == Role.ADMIN
    assert root.digest_frequency == DigestFrequency.OFF
    assert root.check_password("a-long-operator-password-123")


def test_an_operator_gets_no_digest_even_when_one_is_chosen(root, rep):
    User.objects.filter(pk=root.pk).update(digest_frequency=DigestFrequency.WEEKLY)

    assert root not in recipients_for(DigestFrequency.WEEKLY)
    assert rep in recipients_for(DigestFrequency.WEEKLY)


def test_an_operator_is_offered_as_nobodys_recipient(root, rep, pm, manager):
    for author in (rep, pm, manager):
        for direction in ("to_delivery", "to_sales"):
            form = NoteForm(initial={"direction": direction}, user=author)
            assert root not in form.fields["recipient"].queryset, (author, direction)


def test_a_superuser_given_a_role_keeps_it():
    lead = User.objects.create_superuser(
        "lead", "lead@handoff.example", "pw-123456", role=Role.MANAGER
    )

    assert lead.role == Role.MANAGER
