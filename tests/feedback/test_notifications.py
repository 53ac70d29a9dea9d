"""Each notification kind reaches the right people and no one else, in the change's transaction,
or, for a change that tells many people, in the worker's after it commits."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from deals import services as deals
from deals.models import Escalation, ReviewRound, Verdict
from feedback import announcements, emails, notifications, outbox, services, tasks
from feedback.models import (
    Announcement,
    EmailOutbox,
    Notification,
    NotificationKind,
    OutboxStatus,
)
from handoff import tagged_json
from handoff.commit_batches import batches_among
from handoff.models import Role, TeamKind, User
from projects import services as projects
from projects.models import Deliverable
from tests.factories import CommitmentFactory, TeamFactory, UserFactory
from tests.feedback.conftest import (
    CaptureCount,
    changes_requested,
    draft,
    resubmitted,
    rule,
    signed_off,
    submitted,
    won,
    worker_tells,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_emailed")]


@pytest.fixture
def everyone(rep, rep2, pm, pm2, manager):
    return {"rep": rep, "rep2": rep2, "pm": pm, "pm2": pm2, "manager": manager}


def received(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_submitted_reaches_every_pm(everyone, rep):
    submitted(rep)
    assert received(NotificationKind.SUBMITTED) == {"pm", "pm2"}


def test_resubmission_goes_back_to_the_reviewer(everyone, rep, pm):
    resubmitted(rep, pm)
    assert received(NotificationKind.SUBMITTED) == {"pm"}


def test_claimed_reaches_the_rep(everyone, rep, pm):
    submitted(rep, pm)
    assert received(NotificationKind.CLAIMED) == {"rep"}


def test_assigned_tells_the_rep_and_asks_the_reviewer(everyone, rep, pm2, manager):
    deal = submitted(rep)
    deals.review_assign(deal=deal, actor=manager, reviewer=pm2)
    assert received(NotificationKind.CLAIMED) == {"rep"}
    assert received(NotificationKind.REVIEW_ASSIGNED) == {"pm2"}


def test_each_flag_reaches_the_rep_and_approvals_are_silent(everyone, rep, pm):
    deal = submitted(rep, pm, commitments=3)
    rule(deal, pm, flag_first=True)
    flags = Notification.objects.filter(kind=NotificationKind.FLAGGED)
    assert [n.recipient.username for n in flags] == ["rep"]
    assert "Too soon" in flags.get().text


def test_changes_requested_reaches_the_rep(everyone, rep, pm):
    changes_requested(rep, pm)
    assert received(NotificationKind.CHANGES_REQUESTED) == {"rep"}


def test_signed_off_reaches_the_rep(everyone, rep, pm):
    signed_off(rep, pm)
    assert received(NotificationKind.SIGNED_OFF) == {"rep"}


def test_won_reaches_the_signing_pm(everyone, rep, pm):
    won(rep, pm)
    assert received(NotificationKind.WON) == {"pm"}


def test_won_with_another_project_manager_reaches_both(everyone, rep, pm, pm2, manager):
    deal = signed_off(rep, pm)
    deals.deal_win(deal=deal, actor=manager, project_manager=pm2)
    assert received(NotificationKind.WON) == {"pm", "pm2"}


def _escalate(rep, pm):
    deal = changes_requested(rep, pm)
    verdict = Verdict.objects.get(round__deal=deal, verdict="flagged")
    return deals.verdict_escalate(verdict=verdict, actor=rep, argument="The client agreed")


def test_escalated_reaches_the_managers(everyone, rep, pm):
    _escalate(rep, pm)
    assert received(NotificationKind.ESCALATED) == {"manager"}


def test_escalation_decided_reaches_rep_and_pm(everyone, rep, pm, manager):
    escalation = _escalate(rep, pm)
    deals.escalation_decide(
        escalation=Escalation.objects.get(pk=escalation.pk),
        actor=manager,
        decision="overruled",
        reason="Capacity frees up in March",
    )
    assert received(NotificationKind.ESCALATION_DECIDED) == {"rep", "pm"}


def test_review_past_sla_reaches_reviewer_and_managers_once(everyone, rep, pm):
    deal = submitted(rep, pm)
    submitted(UserFactory(role="sales"))  # not yet due
    ReviewRound.objects.filter(deal=deal).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert tasks.send_review_reminders() == 1
    assert tasks.send_review_reminders() == 0
    assert received(NotificationKind.REVIEW_OVERDUE) == {"pm", "manager"}


def test_unclaimed_review_past_sla_reaches_the_pms_and_managers(everyone, rep):
    deal = submitted(rep)
    ReviewRound.objects.filter(deal=deal).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert tasks.notify_overdue_reviews() == 1  # the name an older beat still sends
    assert received(NotificationKind.REVIEW_OVERDUE) == {"pm", "pm2", "manager"}


def test_deliverable_at_risk_reaches_rep_and_pm(everyone, rep, pm, manager):
    deal = won(rep, pm)
    deliverable = Deliverable.objects.filter(project__deal=deal).first()
    projects.deliverable_update_status(
        deliverable=deliverable, actor=manager, status="at_risk", reason="Vendor late"
    )
    assert received(NotificationKind.DELIVERABLE_AT_RISK) == {"rep", "pm"}


def test_deliverable_at_risk_never_tells_the_pm_who_marked_it(everyone, rep, pm):
    deal = won(rep, pm)
    deliverable = Deliverable.objects.filter(project__deal=deal).first()
    projects.deliverable_update_status(
        deliverable=deliverable, actor=pm, status="at_risk", reason="Vendor late"
    )
    assert received(NotificationKind.DELIVERABLE_AT_RISK) == {"rep"}


def test_late_deliverable_reaches_rep_and_pm_once(everyone, rep, pm):
    deal = won(rep, pm)
    Deliverable.objects.filter(project__deal=deal).update(
        promised_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert tasks.notify_late_deliverables() == 4  # two deliverables, two people each
    assert tasks.notify_late_deliverables() == 0
    assert received(NotificationKind.DELIVERABLE_LATE) == {"rep", "pm"}


def test_handoff_questions_reach_the_rep(everyone, rep, pm):
    deal = won(rep, pm)
    projects.project_send_questions(project=deal.project, actor=pm, questions="Who signs UAT?")
    assert received(NotificationKind.HANDOFF_QUESTIONS) == {"rep"}


@pytest.mark.parametrize(
    ("direction", "to", "with_deal", "expected"),
    [
        ("to_delivery", "pm2", False, {"pm2"}),
        ("to_delivery", None, False, {"pm", "pm2"}),
        ("to_sales", None, True, {"rep"}),
        ("to_sales", None, False, {"rep", "rep2"}),
        ("to_sales", "rep2", False, {"rep2"}),
    ],
)
def test_feedback_note_reaches_recipient_or_team(everyone, direction, to, with_deal, expected):
    author = everyone["rep"] if direction == "to_delivery" else everyone["pm"]
    deal = None
    if with_deal:
        deal = submitted(everyone["rep"])
        Notification.objects.all().delete()
    services.note_create(
        author=author,
        direction=direction,
        topic="customer_insight" if direction == "to_delivery" else "hard_to_deliver",
        body="They want weekly demos",
        recipient=everyone[to] if to else None,
        deal=deal,
    )
    assert received(NotificationKind.FEEDBACK_NOTE) == expected


def test_acknowledging_a_note_tells_its_author(everyone, rep, pm):
    note = services.note_create(
        author=rep, direction="to_delivery", topic="customer_insight", body="Weekly demos"
    )
    Notification.objects.all().delete()
    services.note_acknowledge(note=note, actor=pm)
    assert received(NotificationKind.FEEDBACK_NOTE) == {"rep"}


def test_mention_reaches_the_mentioned_only(everyone, rep, pm):
    deal = submitted(rep)
    Notification.objects.all().delete()
    deals.comment_add(deal=deal, actor=rep, body="@pm2 can you look? cc @rep")
    worker_tells()
    assert received(NotificationKind.MENTION) == {"pm2"}


def test_the_actor_is_never_notified(everyone, rep, pm, manager):
    deal = draft(rep)
    deals.deal_submit(deal=deal, actor=rep)
    deals.review_claim(deal=deal, actor=pm)
    rule(deal, pm, flag_first=True)
    deals.deal_request_changes(deal=deal, actor=pm)
    for notification in Notification.objects.select_related("actor", "recipient"):
        assert notification.actor_id != notification.recipient_id


def test_inactive_users_hear_nothing(everyone, rep, pm2):
    pm2.is_active = False
    pm2.save()
    submitted(rep)
    assert received(NotificationKind.SUBMITTED) == {"pm"}


# Email by preference, in the same transaction, sent after commit


def test_immediate_preference_sends_an_email_after_commit(
    everyone, rep, pm, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://handoff.example.com"
    deal = submitted(rep, pm)
    EmailOutbox.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rule(deal, pm, flag_first=True)
    # One delivery after commit (the others only drop cached capacity figures).
    assert len(batches_among(callbacks, outbox.enqueue_batch)) == 1
    email = EmailOutbox.objects.get()
    assert email.status == OutboxStatus.SENT
    assert email.to_address == rep.email
    [message] = mail.outbox
    assert message.subject == f"Commitment flagged: {deal}"
    assert f"https://handoff.example.com/deals/{deal.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="https://handoff.example.com/deals/{deal.pk}/"' in html


@pytest.mark.parametrize("choice", ["digest", "off"])
def test_digest_or_off_writes_no_email(everyone, rep, pm, choice):
    rep.email_preferences = {"outcomes": choice}
    rep.save()
    deal = submitted(rep, pm)
    rule(deal, pm, flag_first=True)
    assert received(NotificationKind.FLAGGED) == {"rep"}
    assert not EmailOutbox.objects.filter(kind=NotificationKind.FLAGGED).exists()


def test_a_rolled_back_change_sends_nothing(everyone, rep, django_capture_on_commit_callbacks):
    deal = draft(rep)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        deals.deal_submit(deal=deal, actor=rep)
        assert Announcement.objects.count() == 1
        raise RuntimeError("the request failed after the change")
    assert callbacks == []
    assert not Announcement.objects.exists()
    assert not Notification.objects.exists()
    assert not EmailOutbox.objects.exists()
    assert mail.outbox == []


def test_every_kind_has_subject_and_both_bodies(everyone, rep):
    for kind in NotificationKind.values:
        assert kind in emails.SUBJECTS
        notification = Notification(recipient=rep, kind=kind, text="Something happened", url="/")
        email = emails.render_email(notification, {})
        assert email.subject and email.text_body.strip() and "<html" in email.html_body


def test_a_note_email_carries_the_whole_note_once(everyone, rep, pm):
    body = "Their CFO, not IT, signs the acceptance. " * 5
    services.note_create(
        author=rep, direction="to_delivery", topic="customer_insight", body=body, recipient=pm
    )
    email = EmailOutbox.objects.get(to_address=pm.email)
    assert outbox.deliver(email.pk) is True  # the worker renders the bodies when it sends
    email.refresh_from_db()
    assert email.subject == "Feedback from Rita Reyes: Customer insight"
    assert email.text_body.count(body.strip()) == 1
    assert "Rita Reyes wrote a note (customer insight)" in email.text_body


def test_a_note_email_names_its_deal_from_the_notification(everyone, rep, pm):
    deal = submitted(rep)
    EmailOutbox.objects.all().delete()
    services.note_create(
        author=pm,
        direction="to_sales",
        topic="hard_to_deliver",
        body="The data migration needs a week more",
        deal=deal,
    )
    email = EmailOutbox.objects.get(to_address=rep.email)
    assert email.context == {
        "note": {"body": "The data migration needs a week more"},
        "topic_label": "Hard to deliver",
    }
    assert outbox.deliver(email.pk) is True
    email.refresh_from_db()
    said = f"Priya Mehta wrote a note (hard to deliver) about {deal}:"
    assert said in email.text_body and said in email.html_body


# The cost of a change does not grow with the people it tells


def _submit(rep, capture_callbacks):
    """Submit a new deal; the queries it ran and the hooks it left for after commit."""
    deal = draft(rep)
    with CaptureCount() as counted, capture_callbacks() as callbacks:
        deals.deal_submit(deal=deal, actor=rep)
    return counted.count, callbacks


def test_submitting_runs_as_many_queries_for_30_pms_as_for_2(
    rep, pm, pm2, django_capture_on_commit_callbacks
):
    with_two, _ = _submit(rep, django_capture_on_commit_callbacks)
    worker_tells()
    UserFactory.create_batch(28, role=Role.PM)
    with_thirty, _ = _submit(rep, django_capture_on_commit_callbacks)
    worker_tells()
    assert EmailOutbox.objects.count() == 2 + 30
    assert with_thirty == with_two


def test_one_task_carries_every_email_of_the_submission(
    rep, pm, pm2, django_capture_on_commit_callbacks, monkeypatch
):
    UserFactory.create_batch(28, role=Role.PM)
    tasks_sent = []
    monkeypatch.setattr(
        tasks.send_emails, "apply_async", lambda args, **options: tasks_sent.append(args[0])
    )
    _, callbacks = _submit(rep, django_capture_on_commit_callbacks)
    # The request's one hook expands the announcement, whose own hook hands its emails over.
    assert len(batches_among(callbacks, announcements.enqueue_batch)) == 1
    assert not batches_among(callbacks, outbox.enqueue_batch)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert len(tasks_sent) == 1
    assert sorted(tasks_sent[0]) == sorted(EmailOutbox.objects.values_list("pk", flat=True))
    assert len(tasks_sent[0]) == 30


@pytest.mark.django_db(transaction=True)
def test_two_notifications_in_one_transaction_share_one_task(
    everyone, rep, pm, pm2, manager, monkeypatch
):
    deal = signed_off(rep, pm)
    EmailOutbox.objects.all().delete()
    tasks_sent = []
    monkeypatch.setattr(
        tasks.send_emails, "apply_async", lambda args, **options: tasks_sent.append(args[0])
    )
    deals.deal_win(deal=deal, actor=manager, project_manager=pm2)  # tells pm, then pm2
    assert [sorted(ids) for ids in tasks_sent] == [
        sorted(EmailOutbox.objects.values_list("pk", flat=True))
    ]
    assert EmailOutbox.objects.count() == 2


def test_a_rolled_back_savepoint_leaves_the_rest_of_the_transaction_sent(
    everyone, rep, pm, django_capture_on_commit_callbacks
):
    note = {"direction": "to_delivery", "topic": "customer_insight", "recipient": pm}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.note_create(author=rep, body="Rolled back", **note)
            raise RuntimeError("a step that failed and was caught")
        services.note_create(author=rep, body="Kept", **note)
    assert len(callbacks) == 1
    [message] = mail.outbox
    assert "Kept" in message.body


def test_recipients_loaded_without_their_settings_cost_one_query(everyone, rep):
    UserFactory.create_batch(28, role=Role.PM)

    def notify_pms(count: int) -> int:
        pms = list(User.objects.filter(role=Role.PM).only("pk")[:count])
        with CaptureCount() as counted:
            notifications.notify(
                recipients=pms, kind=NotificationKind.MENTION, text="Look", url="/", actor=rep
            )
        return counted.count

    assert notify_pms(2) == notify_pms(30)
    assert EmailOutbox.objects.filter(kind=NotificationKind.MENTION).count() == 32


# The review's own notices: approvers asked by rules, hand-ons, releases, counters


def _rule(manager, **data):
    return deals.review_rule_create(actor=manager, data={"name": "Needs approval", **data})


def _text(kind: str, username: str) -> str:
    return Notification.objects.get(kind=kind, recipient__username=username).text


def test_a_rule_asks_its_approvers_and_the_pms_hear_of_the_submission(everyone, rep, manager):
    _rule(manager, approver="manager", kinds=["integration"])
    deal = draft(rep, commitments=1)
    integration = CommitmentFactory(deal=deal, kind="integration", summary="SSO with Azure AD")
    deals.deal_submit(deal=deal, actor=rep)
    worker_tells()
    assert received(NotificationKind.SUBMITTED) == {"pm", "pm2"}
    assert received(NotificationKind.APPROVAL_NEEDED) == {"manager"}
    assert _text(NotificationKind.APPROVAL_NEEDED, "manager") == (
        f"Your approval is needed on {deal}: “{integration.summary}”."
    )


def test_a_team_rule_asks_only_that_teams_pms_beside_the_lead_reviewer(everyone, rep, pm, manager):
    outsider = UserFactory(username="pm3", role=Role.PM)
    team = TeamFactory(name="Integration", kind=TeamKind.DELIVERY)
    team.members.add(everyone["pm2"])
    _rule(manager, approver="pm", team=team, kinds=["integration"])
    deal = changes_requested(rep, pm)
    CommitmentFactory(deal=deal, kind="integration")  # editing revises it back to draft
    Notification.objects.all().delete()
    deals.deal_submit(deal=deal, actor=rep)
    worker_tells()
    assert received(NotificationKind.SUBMITTED) == {"pm"}  # the lead reviewer
    assert received(NotificationKind.APPROVAL_NEEDED) == {"pm2"}
    assert not Notification.objects.filter(recipient=outsider).exists()


def test_the_submission_says_what_was_carried_and_what_is_left(everyone, rep, pm):
    deal = submitted(rep, pm, commitments=3)
    rule(deal, pm, flag_first=True)
    deals.deal_request_changes(deal=deal, actor=pm)
    deals.deal_revise(deal=deal, actor=rep)
    Notification.objects.all().delete()
    deals.deal_submit(deal=deal, actor=rep)
    worker_tells()
    assert _text(NotificationKind.SUBMITTED, "pm") == (
        f"Rita Reyes submitted {deal} for review (round 2): "
        "2 approvals carried from round 1, 1 commitment to rule."
    )
    assert not Notification.objects.filter(kind=NotificationKind.APPROVAL_NEEDED).exists()


def test_a_first_submission_counts_what_is_to_rule(everyone, rep):
    deal = submitted(rep, commitments=2)
    assert _text(NotificationKind.SUBMITTED, "pm") == (
        f"Rita Reyes submitted {deal} for review (round 1): 2 commitments to rule."
    )


def test_a_hand_on_asks_the_new_reviewer_with_the_note(everyone, rep, pm, pm2):
    deal = submitted(rep, pm)
    Notification.objects.all().delete()
    deals.review_assign(deal=deal, actor=pm, reviewer=pm2, note="I am off from Monday")
    assert _text(NotificationKind.REVIEW_ASSIGNED, "pm2") == (
        f"Priya Mehta handed the review of {deal} on to you: “I am off from Monday”"
    )
    assert _text(NotificationKind.CLAIMED, "rep") == (
        f"Priya Mehta handed the review of {deal} on to Tom Berg."
    )
    assert received(NotificationKind.REVIEW_ASSIGNED) == {"pm2"}


def test_a_manager_reassigning_tells_the_reviewer_taken_off(everyone, rep, pm, pm2, manager):
    deal = submitted(rep, pm)
    Notification.objects.all().delete()
    deals.review_assign(deal=deal, actor=manager, reviewer=pm2)
    assert received(NotificationKind.CLAIMED) == {"rep", "pm"}
    assert received(NotificationKind.REVIEW_ASSIGNED) == {"pm2"}


def test_a_release_tells_the_pms_who_may_claim_it(everyone, rep, pm):
    deal = submitted(rep, pm)
    Notification.objects.all().delete()
    deals.review_release(deal=deal, actor=pm, note="Too much on my plate")
    worker_tells()
    assert received(NotificationKind.REVIEW_RELEASED) == {"pm2"}
    assert "Too much on my plate" in _text(NotificationKind.REVIEW_RELEASED, "pm2")
    assert Notification.objects.count() == 1


def test_an_accepted_counter_tells_the_pm_who_proposed_it(everyone, rep, pm):
    deal = submitted(rep, pm, commitments=2)
    first, second = deal.commitments.order_by("id")
    deals.commitment_rule(
        commitment=first,
        actor=pm,
        verdict="flagged",
        reason="Too soon",
        counter_date=timezone.localdate() + datetime.timedelta(days=120),
    )
    deals.commitment_rule(commitment=second, actor=pm, verdict="approved")
    deals.deal_request_changes(deal=deal, actor=pm)
    Notification.objects.all().delete()
    flag = Verdict.objects.get(commitment=first, verdict="flagged")
    deals.verdict_accept_counter(verdict=flag, actor=rep)
    assert received(NotificationKind.COUNTER_ACCEPTED) == {"pm"}
    email = EmailOutbox.objects.get(kind=NotificationKind.COUNTER_ACCEPTED)
    assert outbox.deliver(email.pk) is True
    email.refresh_from_db()
    promised = timezone.localdate() + datetime.timedelta(days=120)
    assert f"promised {promised:%-d %b %Y}" in email.text_body


def test_nobody_is_told_of_a_deal_they_may_not_see(everyone, rep, pm, monkeypatch):
    from feedback import review_notices

    deal = submitted(rep, pm)
    Notification.objects.all().delete()
    hidden = User.objects.exclude(username="pm2")
    monkeypatch.setattr(review_notices, "people_who_see", lambda d: hidden.filter(is_active=True))
    deals.review_release(deal=deal, actor=pm)
    assert worker_tells() == 1
    assert not Notification.objects.exists()


# The email that asks someone to rule carries approval links


def _email_to(user, kind):
    return EmailOutbox.objects.get(to_address=user.email, kind=kind)


def test_the_review_request_email_has_an_approve_link_per_commitment_and_one_for_all(
    everyone, rep, pm, settings
):
    settings.SITE_URL = "https://handoff.example.com"
    deal = submitted(rep, commitments=2)
    email = _email_to(pm, NotificationKind.SUBMITTED)
    context = tagged_json.decode(email.context)
    summaries = [c.summary for c in deal.commitments.order_by("id")]
    assert [item["summary"] for item in context["approvals"]] == summaries
    assert all(
        item["url"].startswith("https://handoff.example.com/deals/approve/")
        for item in context["approvals"]
    )
    assert context["approve_all_url"].startswith("https://handoff.example.com/deals/approve/")
    other = tagged_json.decode(_email_to(everyone["pm2"], NotificationKind.SUBMITTED).context)
    assert other["approve_all_url"] != context["approve_all_url"]  # each link names its reader
    assert outbox.deliver(email.pk) is True
    email.refresh_from_db()
    assert email.subject == f"Review requested: {deal}"
    for body in (email.text_body, email.html_body):
        assert context["approve_all_url"] in body and "Approve all unchanged" in body
        assert all(item["url"] in body for item in context["approvals"])
        assert "Meets: Approval by the lead reviewer" in body


def test_an_approver_is_linked_only_to_what_they_may_approve(everyone, rep, manager):
    _rule(manager, approver="manager", kinds=["integration"])
    deal = draft(rep, commitments=1)
    CommitmentFactory(deal=deal, kind="integration", summary="SSO with Azure AD")
    deals.deal_submit(deal=deal, actor=rep)
    worker_tells()
    context = tagged_json.decode(_email_to(manager, NotificationKind.APPROVAL_NEEDED).context)
    assert [item["summary"] for item in context["approvals"]] == ["SSO with Azure AD"]
    assert context["approvals"][0]["needs"] == "Approval by a manager"
    assert "approve_all_url" not in context  # one commitment: its own link says it all


def test_carried_approvals_are_not_linked_again(everyone, rep, pm):
    deal = submitted(rep, pm, commitments=3)
    rule(deal, pm, flag_first=True)
    deals.deal_request_changes(deal=deal, actor=pm)
    deals.deal_revise(deal=deal, actor=rep)
    EmailOutbox.objects.all().delete()
    deals.deal_submit(deal=deal, actor=rep)
    worker_tells()
    context = tagged_json.decode(_email_to(pm, NotificationKind.SUBMITTED).context)
    flagged = deal.commitments.order_by("id").first()
    assert [item["summary"] for item in context["approvals"]] == [flagged.summary]


@pytest.mark.parametrize(
    "kind",
    [
        NotificationKind.APPROVAL_NEEDED,
        NotificationKind.REVIEW_ASSIGNED,
        NotificationKind.REVIEW_RELEASED,
        NotificationKind.COUNTER_ACCEPTED,
        NotificationKind.REVIEW_DUE_SOON,
    ],
)
def test_new_kinds_email_by_preference(everyone, pm, kind):
    from feedback.models import CATEGORY_OF_KIND, DEFAULT_EMAIL_PREFERENCES, email_choice

    assert (
        email_choice(pm, CATEGORY_OF_KIND[kind])
        == DEFAULT_EMAIL_PREFERENCES[CATEGORY_OF_KIND[kind]]
    )
    pm.email_preferences = {CATEGORY_OF_KIND[kind]: "off"}
    notifications.notify(recipients=[pm], kind=kind, text="Something", url="/")
    assert not EmailOutbox.objects.filter(kind=kind).exists()
    assert received(kind) == {"pm"}


def test_reminders_are_a_category_of_their_own(everyone, rep, pm):
    pm.email_preferences = {"reminders": "off"}
    pm.save()
    deal = submitted(rep, pm)
    ReviewRound.objects.filter(deal=deal).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    tasks.send_review_reminders()
    assert "pm" in received(NotificationKind.REVIEW_OVERDUE)
    assert not EmailOutbox.objects.filter(to_address=pm.email, kind="review_overdue").exists()
    assert EmailOutbox.objects.filter(to_address=pm.email, kind="submitted").exists()


def test_submitting_under_rules_runs_as_many_queries_for_30_approvers_as_for_2(
    rep, pm, pm2, manager, django_capture_on_commit_callbacks
):
    team = TeamFactory(name="Integration", kind=TeamKind.DELIVERY)
    _rule(manager, approver="manager", kinds=["integration"])
    _rule(manager, approver="pm", team=team, kinds=["integration"], name="Integration PMs")

    def submit() -> int:
        deal = draft(rep, commitments=1)
        CommitmentFactory(deal=deal, kind="integration")
        with CaptureCount() as counted, django_capture_on_commit_callbacks():
            deals.deal_submit(deal=deal, actor=rep)
        worker_tells()
        return counted.count

    team.members.add(pm2)
    with_two = submit()
    more = UserFactory.create_batch(14, role=Role.PM) + UserFactory.create_batch(
        14, role=Role.MANAGER
    )
    team.members.add(*more[:14])
    assert submit() == with_two
    assert Notification.objects.filter(kind=NotificationKind.APPROVAL_NEEDED).count() == 1 + 15
