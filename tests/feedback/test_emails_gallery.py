"""Every email Handoff sends, made from realistic deals moved through the real services.

`every_email(...)` is what the email tests and the screenshots of tests/e2e render; the test
here keeps it complete: one email per notification kind, and the digest of each role.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from deals import services as deals
from deals.models import Deal, Escalation, ReviewRound, Verdict, VerdictKind
from feedback import digests, emails, notifications, services
from feedback.acceptance_emails import ACCEPTANCE_EMAIL_KIND
from feedback.models import EmailOutbox, Notification, NotificationKind
from handoff import tagged_json
from handoff.models import Role
from meetings import services as meetings
from meetings.minutes import MINUTES_EMAIL_KIND
from meetings.models import AgendaItem
from projects import acceptance
from projects import services as projects
from projects.models import Deliverable
from tests.factories import ClientFactory, CommitmentFactory, DealFactory, UserFactory
from tests.feedback.conftest import worker_tells

DIGEST_KINDS = ("digest", "digest_pm", "digest_manager")
# Emails that are not about a notification, with their button's label: the customer's
# acceptance request (no account behind it) and a meeting's minutes.
OTHER_EMAILS = {
    ACCEPTANCE_EMAIL_KIND: "Accept or decline",
    MINUTES_EMAIL_KIND: "Read the minutes",
}
# The kinds build_world sends through the real services; any other kind is drawn.
SENT_BY_THE_WORLD = (
    "submitted",
    "claimed",
    "flagged",
    "changes_requested",
    "signed_off",
    "won",
    "escalated",
    "escalation_decided",
    "review_overdue",
    "deliverable_at_risk",
    "deliverable_late",
    "handoff_questions",
    "feedback_note",
    "mention",
)


def _deal(owner, title: str, client: str, promises: list[tuple[str, str]]):
    deal = DealFactory(owner=owner, title=title, client=ClientFactory(name=client))
    for kind, summary in promises:
        CommitmentFactory(deal=deal, kind=kind, summary=summary, effort_days=Decimal("8.0"))
    return deal


def _commitments(deal):
    return list(deal.commitments.order_by("id"))


def build_world(rep, pm, pm2, manager) -> None:
    """Three deals a sales team would really have, each taken as far as its emails need."""
    northwind = _deal(
        rep,
        "Northwind data platform rollout",
        "Northwind Traders",
        [
            ("integration", "Single sign-on with their Azure AD in the first week"),
            ("timeline", "Migrate 2 million historical orders by 1 March"),
            ("support", "Weekly demo to their product team during the rollout"),
        ],
    )
    deals.deal_submit(deal=northwind, actor=rep)
    worker_tells()  # the PMs hear of a submission from the worker, before anyone claims it
    deals.review_claim(deal=northwind, actor=pm)
    sso, *others = _commitments(northwind)
    deals.commitment_rule(
        commitment=sso,
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="Their identity team needs three weeks to approve a new app registration.",
    )
    for commitment in others:
        deals.commitment_rule(commitment=commitment, actor=pm, verdict=VerdictKind.APPROVED)
    deals.deal_request_changes(deal=northwind, actor=pm)
    flag = Verdict.objects.get(round__deal=northwind, verdict=VerdictKind.FLAGGED)
    escalation = deals.verdict_escalate(
        verdict=flag,
        actor=rep,
        argument="Their CIO promised the registration in writing; it is in the signed scope.",
    )
    deals.escalation_decide(
        escalation=Escalation.objects.get(pk=escalation.pk),
        actor=manager,
        decision="overruled",
        reason="The written promise stands; we start SSO on day one with their CIO's sponsor.",
    )
    deals.comment_add(
        deal=northwind,
        actor=rep,
        body="@pm can we pencil the SSO workshop for the Monday of the kickoff week?",
    )
    worker_tells()

    contoso = _deal(
        rep,
        "Contoso loyalty app",
        "Contoso Retail",
        [
            ("scope", "Points balance and rewards catalogue in the iOS and Android apps"),
            ("staffing", "A dedicated designer for the first two sprints"),
        ],
    )
    deals.deal_submit(deal=contoso, actor=rep)
    worker_tells()
    deals.review_claim(deal=contoso, actor=pm)
    for commitment in _commitments(contoso):
        deals.commitment_rule(commitment=commitment, actor=pm, verdict=VerdictKind.APPROVED)
    deals.deal_sign_off(deal=contoso, actor=pm)
    deals.deal_win(deal=contoso, actor=rep)
    contoso.refresh_from_db()
    projects.project_send_questions(
        project=contoso.project,
        actor=pm,
        questions="Who signs off the rewards catalogue on their side?\nIs the Android app in "
        "the first release or the second?",
    )
    first, second = Deliverable.objects.filter(project=contoso.project).order_by("id")
    projects.deliverable_update_status(
        deliverable=first,
        actor=manager,
        status="at_risk",
        reason="Apple's review of the new entitlement is taking longer than planned.",
    )
    Deliverable.objects.filter(pk=second.pk).update(
        promised_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    notifications.notify_late_deliverables()

    fabrikam = _deal(
        rep,
        "Fabrikam store analytics",
        "Fabrikam Outdoor",
        [("scope", "Footfall dashboard for their 40 stores")],
    )
    deals.deal_submit(deal=fabrikam, actor=rep)
    worker_tells()
    deals.review_claim(deal=fabrikam, actor=pm2)
    ReviewRound.objects.filter(deal=fabrikam).update(
        due_at=timezone.now() - datetime.timedelta(hours=3)
    )
    notifications.notify_overdue_reviews()

    services.note_create(
        author=rep,
        direction="to_delivery",
        topic="customer_insight",
        body="Northwind's buyers care more about the weekly demo than about the dashboard: "
        "keep it even in a busy week.",
        recipient=pm,
        deal=northwind,
    )
    services.note_create(
        author=pm,
        direction="to_sales",
        topic="hard_to_deliver",
        body="Single sign-on took three weeks at the last two retail clients; promise it for "
        "the second sprint.",
        deal=northwind,
    )


def every_email(rep, pm, pm2, manager) -> dict[str, emails.RenderedEmail]:
    """kind -> the email as its recipient gets it; the digests of a rep, a PM and a manager.

    A kind the world above does not send yet (one just added) is drawn from a notification
    about the first deal, so its layout is still checked; each kind needs its templates.
    """
    build_world(rep, pm, pm2, manager)
    first_deal = Deal.objects.order_by("id").first()
    rendered = {}
    for kind in NotificationKind.values:
        row = (
            EmailOutbox.objects.filter(kind=kind)
            .select_related("notification__recipient", "notification__actor")
            .order_by("id")
            .first()
        )
        if row is not None:
            notification, context = row.notification, tagged_json.decode(row.context)
        else:
            notification, context = _drawn(kind, pm, rep, first_deal), {}
        rendered[kind] = emails.render_email(notification, context)
    for kind, user in zip(DIGEST_KINDS, (rep, pm, manager), strict=True):
        digest = digests.build_digest(user, "weekly")
        text, html = digests.render_digest(digest)
        rendered[kind] = emails.RenderedEmail(digest.subject, text, html)
    send_other_emails(pm, manager)
    for kind in OTHER_EMAILS:
        row = EmailOutbox.objects.filter(kind=kind).order_by("id").first()
        rendered[kind] = emails.RenderedEmail(row.subject, row.text_body, row.html_body)
    return rendered


def send_other_emails(pm, manager) -> None:
    """A delivered deliverable sent to the customer, and a meeting closed with its minutes."""
    deliverable = Deliverable.objects.filter(status="at_risk").order_by("id").first()
    projects.deliverable_update_status(
        deliverable=deliverable,
        actor=manager,
        status="delivered",
        delivered_on=timezone.localdate(),
    )
    acceptance.acceptance_send(
        deliverable=deliverable,
        actor=pm,
        contact_name="Dana Whitfield",
        contact_email="dana.whitfield@contoso.example",
    )
    meeting = meetings.meeting_create(actor=manager, held_on=timezone.localdate())
    meetings.attendees_set(meeting=meeting, actor=manager, users=[manager, pm])
    meetings.meeting_start(meeting=meeting, actor=manager)
    meetings.item_decide(
        item=AgendaItem.objects.filter(meeting=meeting).order_by("position").first(),
        actor=manager,
        note="Tom takes the Fabrikam review today; the store count stays as promised.",
    )
    meetings.action_item_add(
        meeting=meeting,
        actor=manager,
        what="Ask Contoso's rewards team who signs off the catalogue",
        owner=pm,
        due_on=timezone.localdate() + datetime.timedelta(days=7),
        project=deliverable.project,
    )
    meetings.meeting_close(meeting=meeting, actor=manager, present=[manager, pm])


def _drawn(kind: str, recipient, actor, deal) -> Notification:
    return Notification(
        recipient=recipient,
        actor=actor,
        kind=kind,
        deal=deal,
        text=f"{actor} on {deal}",
        url=emails.deal_url(deal),
    )


PEOPLE = {
    "rep": (Role.SALES, "Rita", "Reyes"),
    "rep2": (Role.SALES, "Sam", "Osei"),
    "pm": (Role.PM, "Priya", "Mehta"),
    "pm2": (Role.PM, "Tom", "Berg"),
    "manager": (Role.MANAGER, "Morgan", "Lee"),
}


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def _people() -> dict:
    """The team; its PMs chose to hear of each deal new in the review queue as it comes."""
    return {
        username: UserFactory(
            username=username,
            role=role,
            first_name=first,
            last_name=last,
            email_preferences={"queue": "immediate"} if role == Role.PM else {},
        )
        for username, (role, first, last) in PEOPLE.items()
    }


def render_gallery(django_db_blocker) -> dict[str, emails.RenderedEmail]:
    """every_email for a module's tests, built once and rolled back, so no test sees its rows."""
    with django_db_blocker.unblock(), transaction.atomic():
        people = _people()
        rendered = every_email(people["rep"], people["pm"], people["pm2"], people["manager"])
        transaction.set_rollback(True)
    return rendered


@pytest.fixture(scope="module")
def gallery(django_db_setup, django_db_blocker):
    return render_gallery(django_db_blocker)


@pytest.mark.django_db
def test_the_gallery_has_every_kind_of_email(gallery):
    assert set(gallery) == {*NotificationKind.values, *DIGEST_KINDS, *OTHER_EMAILS}


@pytest.mark.django_db
def test_the_world_sends_its_kinds_through_the_real_services(django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        people = _people()
        build_world(people["rep"], people["pm"], people["pm2"], people["manager"])
        sent = set(EmailOutbox.objects.values_list("kind", flat=True))
        transaction.set_rollback(True)
    assert set(SENT_BY_THE_WORLD) <= sent


@pytest.mark.django_db
def test_the_gallery_leaves_no_rows_behind(gallery):
    assert not EmailOutbox.objects.exists()
