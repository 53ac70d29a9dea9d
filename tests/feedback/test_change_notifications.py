"""Change requests reach the deciding side, and their outcome the one who asked, in the app and
through the email outbox, in the transaction of the change."""

import pytest

from feedback.models import EmailOutbox, Notification, NotificationKind
from handoff.errors import ActionForbidden
from projects import services, services_changes
from tests.projects.builders import win

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(rep, pm):
    project = win(rep, pm)
    services.project_accept_handoff(project=project, actor=pm)
    return project.deliverables.order_by("promised_date").first()


def test_the_other_side_hears_of_it_and_the_asker_of_the_outcome(
    deliverable, rep, pm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = services_changes.change_request_raise(
            deliverable=deliverable, actor=pm, reason="Late data", proposed_effort_days="14"
        )
    asked = Notification.objects.get(kind=NotificationKind.CHANGE_REQUESTED)
    assert asked.recipient == rep and "Data warehouse" in asked.text
    assert asked.url.endswith("#changes")
    assert not Notification.objects.filter(recipient=pm, kind__startswith="change_").exists()
    assert EmailOutbox.objects.filter(notification=asked, recipient=rep).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services_changes.change_request_approve(change=change, actor=rep)
    decided = Notification.objects.get(kind=NotificationKind.CHANGE_DECIDED)
    assert decided.recipient == pm and "approved" in decided.text


def test_a_rejection_is_told_too(deliverable, rep, pm):
    change = services_changes.change_request_raise(
        deliverable=deliverable, actor=rep, reason="Client asks", descope=True
    )
    assert Notification.objects.get(kind=NotificationKind.CHANGE_REQUESTED).recipient == pm
    services_changes.change_request_reject(change=change, actor=pm, reason="Still needed")
    decided = Notification.objects.get(kind=NotificationKind.CHANGE_DECIDED)
    assert decided.recipient == rep and "rejected" in decided.text


def test_a_refused_request_notifies_no_one(deliverable, rep2):
    with pytest.raises(ActionForbidden):
        services_changes.change_request_raise(
            deliverable=deliverable, actor=rep2, reason="x", proposed_effort_days="3"
        )
    assert not Notification.objects.filter(kind__startswith="change_").exists()
