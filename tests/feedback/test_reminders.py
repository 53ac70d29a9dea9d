"""Review reminders: due soon at 75 % of the SLA in working time, the breach escalated to the
delivery team lead or the managers, one reminder each working day while overdue; each once,
however often and however many workers run the job, and never to someone who cannot see it."""

import datetime
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from deals import services as deals
from deals.models import ReminderKind, ReviewReminder, ReviewRound
from deals.sla import review_due_at
from feedback import reminders, tasks
from feedback.models import EmailOutbox, Notification, NotificationKind
from handoff import tagged_json
from handoff.models import TeamKind
from tests.concurrency import race
from tests.factories import TeamFactory
from tests.feedback.conftest import rule, submitted

pytestmark = pytest.mark.django_db


def at(day: str, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in the site's time zone: at("2027-03-05", 15) is Friday 5 March 2027, 15:00."""
    moment = datetime.datetime.combine(
        datetime.date.fromisoformat(day), datetime.time(hour, minute)
    )
    return timezone.make_aware(moment)


FRIDAY_AFTERNOON = at("2027-03-05", 15)  # due Tuesday 9 March, 15:00 (2 working days)


@pytest.fixture
def everyone(rep, rep2, pm, pm2, manager):
    return {"rep": rep, "rep2": rep2, "pm": pm, "pm2": pm2, "manager": manager}


def review(owner, pm=None, submitted_at=FRIDAY_AFTERNOON):
    """A deal in review whose round was submitted at `submitted_at`, claimed by `pm` if given."""
    deal = submitted(owner, pm)
    ReviewRound.objects.filter(deal=deal).update(
        submitted_at=submitted_at, due_at=review_due_at(submitted_at)
    )
    Notification.objects.all().delete()
    EmailOutbox.objects.all().delete()
    return deal


def send(moment) -> int:
    return reminders.send_review_reminders(now=moment)


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def sent_kinds() -> list[tuple[str, str]]:
    return [(r.kind, r.day.isoformat()) for r in ReviewReminder.objects.order_by("sent_at", "id")]


# When


@pytest.mark.parametrize(
    ("submitted_at", "share", "due_soon"),
    [
        (FRIDAY_AFTERNOON, 0.75, at("2027-03-09", 3)),  # Fri 9 h + Mon 24 h + Tue 3 h of 48 h
        (FRIDAY_AFTERNOON, 0.5, at("2027-03-08", 15)),  # Fri 9 h + Mon 15 h of 48 h
        (at("2027-03-08", 10), 0.75, at("2027-03-09", 22)),  # Monday: 14 h + 22 h
        (at("2027-03-06", 11), 0.75, at("2027-03-09", 2, 15)),  # Sat: Mon 24 h + Tue 11 h
    ],
    ids=["friday", "half", "monday", "saturday"],
)
def test_due_soon_counts_the_sla_in_working_time(
    everyone, rep, settings, submitted_at, share, due_soon
):
    settings.REVIEW_REMINDER_AT = share
    deal = review(rep, submitted_at=submitted_at)
    assert reminders.due_soon_at(ReviewRound.objects.get(deal=deal)) == due_soon


def test_a_round_submitted_friday_afternoon_is_due_soon_tuesday_morning(everyone, rep, pm):
    review(rep, pm)
    assert send(at("2027-03-08", 12)) == 0  # Monday noon: half the SLA
    assert send(at("2027-03-09", 2, 59)) == 0
    assert send(at("2027-03-09", 3, 5)) == 1
    assert send(at("2027-03-09", 9)) == 0  # once, however often the job runs
    assert told(NotificationKind.REVIEW_DUE_SOON) == {"pm"}
    text = Notification.objects.get(kind=NotificationKind.REVIEW_DUE_SOON).text
    assert "is due Tue 9 Mar 2027, 15:00: 2 commitments still to rule." in text
    assert sent_kinds() == [(ReminderKind.DUE_SOON, "2027-03-09")]


def test_an_unclaimed_review_due_soon_reminds_every_pm_who_may_claim_it(everyone, rep):
    review(rep)
    send(at("2027-03-09", 4))
    assert told(NotificationKind.REVIEW_DUE_SOON) == {"pm", "pm2"}


def test_the_breach_tells_the_reviewer_and_the_managers_once(everyone, rep, pm):
    review(rep, pm)
    assert send(at("2027-03-09", 15, 1)) == 1
    assert send(at("2027-03-09", 16)) == 0
    assert told(NotificationKind.REVIEW_OVERDUE) == {"pm", "manager"}
    assert not Notification.objects.filter(kind=NotificationKind.REVIEW_DUE_SOON).exists()
    assert sent_kinds() == [(ReminderKind.OVERDUE, "2027-03-09")]  # too late for "due soon"


def test_while_overdue_one_reminder_each_working_day_and_none_at_weekends(everyone, rep, pm):
    review(rep, pm)
    runs = {
        at("2027-03-09", 15, 5): 1,  # Tuesday: the breach
        at("2027-03-09", 18): 0,
        at("2027-03-10", 9): 1,  # Wednesday
        at("2027-03-10", 17): 0,
        at("2027-03-11", 9): 1,  # Thursday
        at("2027-03-12", 9): 1,  # Friday
        at("2027-03-13", 9): 0,  # Saturday
        at("2027-03-14", 9): 0,  # Sunday
        at("2027-03-15", 0, 5): 1,  # Monday
    }
    for moment, expected in runs.items():
        assert send(moment) == expected, moment
    assert [day for kind, day in sent_kinds() if kind == ReminderKind.OVERDUE_DAILY] == [
        "2027-03-10",
        "2027-03-11",
        "2027-03-12",
        "2027-03-15",
    ]
    latest = Notification.objects.filter(recipient__username="pm").order_by("-id").first()
    assert "still not decided, 4 working days after it was due" in latest.text


def test_a_late_first_run_sends_the_breach_and_starts_the_daily_reminders_the_next_day(
    everyone, rep, pm
):
    review(rep, pm)
    assert send(at("2027-03-11", 10)) == 1  # Thursday: the job was down since Monday
    assert send(at("2027-03-11", 11)) == 0
    assert send(at("2027-03-12", 8)) == 1
    assert [kind for kind, _ in sent_kinds()] == [ReminderKind.OVERDUE, ReminderKind.OVERDUE_DAILY]


def test_a_decided_review_is_reminded_of_nothing(everyone, rep, pm):
    deal = review(rep, pm)
    rule(deal, pm)
    deals.deal_sign_off(deal=deal, actor=pm)
    Notification.objects.all().delete()
    assert send(at("2027-03-10", 9)) == 0
    assert not Notification.objects.exists()


# Who


def test_the_breach_is_escalated_to_the_reviewers_delivery_team_lead(everyone, rep, pm, pm2):
    team = TeamFactory(name="Platform", kind=TeamKind.DELIVERY, lead=pm2)
    team.members.add(pm)
    TeamFactory(name="Field sales", kind=TeamKind.SALES, lead=everyone["rep2"]).members.add(pm)
    review(rep, pm)
    send(at("2027-03-09", 4))
    assert told(NotificationKind.REVIEW_DUE_SOON) == {"pm"}
    send(at("2027-03-09", 16))
    assert told(NotificationKind.REVIEW_OVERDUE) == {"pm", "pm2"}
    email = EmailOutbox.objects.get(to_address=pm2.email, kind=NotificationKind.REVIEW_OVERDUE)
    assert tagged_json.decode(email.context)["escalated"] == "lead"


def test_a_team_lead_who_may_not_see_the_deal_is_not_told_the_managers_are(everyone, rep, pm):
    rep2 = everyone["rep2"]  # a sales rep, who may not see rep's deal
    TeamFactory(name="Platform", kind=TeamKind.DELIVERY, lead=rep2).members.add(pm)
    review(rep, pm)
    send(at("2027-03-09", 16))
    send(at("2027-03-10", 9))
    assert told(NotificationKind.REVIEW_OVERDUE) == {"pm", "manager"}
    assert not Notification.objects.filter(recipient=rep2).exists()
    assert not Notification.objects.filter(recipient=rep).exists()  # the owner is not nagged


def test_an_unclaimed_overdue_review_reaches_the_pms_and_the_managers(everyone, rep):
    review(rep)
    send(at("2027-03-09", 16))
    assert told(NotificationKind.REVIEW_OVERDUE) == {"pm", "pm2", "manager"}


def test_an_approver_a_rule_still_waits_for_is_reminded_too(everyone, rep, pm, manager):
    deals.review_rule_create(actor=manager, data={"name": "Every promise", "approver": "manager"})
    review(rep, pm)
    send(at("2027-03-09", 4))
    assert told(NotificationKind.REVIEW_DUE_SOON) == {"pm", "manager"}


def test_whoever_had_the_overdue_notice_before_reminders_does_not_get_it_again(
    everyone, rep, pm, manager
):
    deal = review(rep, pm)
    review_round = ReviewRound.objects.get(deal=deal)
    Notification.objects.create(
        recipient=pm,
        kind=NotificationKind.REVIEW_OVERDUE,
        text="Past",
        key=f"review_overdue:{review_round.pk}",
    )
    send(at("2027-03-09", 16))
    assert Notification.objects.filter(recipient=pm).count() == 1
    assert told(NotificationKind.REVIEW_OVERDUE) == {"pm", "manager"}


def test_the_reminder_email_carries_the_approval_links(everyone, rep, pm, settings):
    settings.SITE_URL = "https://handoff.example.com"
    review(rep, pm)
    send(at("2027-03-09", 4))
    email = EmailOutbox.objects.get(to_address=pm.email)
    context = tagged_json.decode(email.context)
    assert len(context["approvals"]) == 2
    assert context["approve_all_url"].startswith("https://handoff.example.com/deals/approve/")
    from feedback import outbox

    assert outbox.deliver(email.pk) is True
    email.refresh_from_db()
    assert email.subject.startswith("Review due soon: ")
    assert (
        "Approve all unchanged" in email.text_body
        and "Lead reviewer: Priya Mehta." in email.text_body
    )


# Once, however it runs


def test_the_command_does_what_the_job_does_and_is_safe_to_run_twice(everyone, rep, pm, capsys):
    deal = submitted(rep, pm)
    ReviewRound.objects.filter(deal=deal).update(
        due_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    call_command("send_review_reminders")
    call_command("send_review_reminders")
    assert capsys.readouterr().out.splitlines() == [
        "Sent 1 review reminder.",
        "Sent 0 review reminders.",
    ]
    assert tasks.send_review_reminders() == 0
    assert Notification.objects.filter(kind=NotificationKind.REVIEW_OVERDUE).count() == 2


def test_the_job_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["feedback-review-reminders"]
    assert entry["task"] == "feedback.tasks.send_review_reminders"
    assert entry["task"] in celery_app.tasks
    assert "feedback.tasks.notify_overdue_reviews" not in {
        e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(everyone, rep, pm, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("two real connections at once need PostgreSQL")
    review(rep, pm)
    notify = reminders._notify

    def slow_notify(*args, **kwargs):
        time.sleep(0.3)  # hold the claimed row uncommitted while the other worker tries
        return notify(*args, **kwargs)

    monkeypatch.setattr(reminders, "_notify", slow_notify)
    moment = at("2027-03-09", 16)
    results = race(lambda: send(moment), lambda: send(moment))
    assert sorted(results) == [("ok", 0), ("ok", 1)]
    assert ReviewReminder.objects.count() == 1
    recipients = list(
        Notification.objects.filter(kind=NotificationKind.REVIEW_OVERDUE).values_list(
            "recipient__username", flat=True
        )
    )
    assert sorted(recipients) == ["manager", "pm"]
