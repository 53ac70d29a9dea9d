"""Calendar feeds: the ICS each address serves (parsed with icalendar), who sees what in it,
revoked and unknown addresses, the settings section, the API and its schema."""

import datetime
import zoneinfo

import icalendar
import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals import services as deals
from deals.models import ReviewRound
from feedback import calendar_feeds
from feedback import calendar_services as services
from feedback.calendar_models import CalendarFeed, hash_secret
from handoff.errors import ActionForbidden, DomainError
from handoff.models import Role
from projects.models import Deliverable, Project
from tests.factories import TeamFactory, UserFactory
from tests.feedback.conftest import draft, submitted, won

pytestmark = pytest.mark.django_db


def fetch(secret: str, **headers):
    return HttpClient().get(reverse("calendar:feed", kwargs={"secret": secret}), **headers)


def events_of(response) -> list[icalendar.Event]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


def by_uid(events) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in events}


def feed_for(user, team=None) -> str:
    _, secret = services.calendar_feed_create(actor=user, team=team)
    return secret


@pytest.fixture
def host(settings):
    settings.SITE_URL = "https://handoff.example.com"
    return "handoff.example.com"


class TestWhatAFeedHolds:
    def test_a_reps_feed_is_valid_ics_with_their_promises_review_deliverables_and_kickoff(
        self, rep, pm, host
    ):
        open_deal = submitted(rep, pm)
        won_deal = won(rep, pm)
        response = fetch(feed_for(rep))
        calendar = icalendar.Calendar.from_ical(response.content)
        assert calendar["VERSION"] == "2.0"
        assert calendar["PRODID"] == calendar_feeds.PRODID
        assert str(calendar["X-WR-CALNAME"]).startswith("Handoff: ")
        events = by_uid(events_of(response))

        for c in open_deal.commitments.all():
            event = events[f"commitment-{c.pk}@{host}"]
            assert event.decoded("DTSTART") == c.promised_date
            assert event.decoded("DTEND") == c.promised_date + datetime.timedelta(days=1)
            assert event["DTSTART"].params.get("VALUE") == "DATE"
            assert c.summary in event["SUMMARY"] and open_deal.client.name in event["SUMMARY"]
            assert event["URL"] == f"https://{host}{open_deal.get_absolute_url()}"
            assert "DTSTAMP" in event
        # A won deal's promises are its deliverables, not commitments any more.
        project = Project.objects.get(deal=won_deal)
        for c in won_deal.commitments.all():
            assert f"commitment-{c.pk}@{host}" not in events
        for d in Deliverable.objects.filter(project=project):
            assert events[f"deliverable-{d.pk}@{host}"].decoded("DTSTART") == d.promised_date
        kickoff = events[f"kickoff-{project.pk}@{host}"]
        assert kickoff.decoded("DTSTART") == project.start_date
        assert kickoff["SUMMARY"] == f"Kickoff: {won_deal.title} ({won_deal.client.name})"
        round_ = ReviewRound.objects.get(deal=open_deal, decided_at__isnull=True)
        assert f"review-{round_.pk}@{host}" in events

    def test_review_due_times_are_in_utc_and_described_in_the_owners_time_zone(self, rep, pm, host):
        rep.time_zone = "America/New_York"
        rep.save(update_fields=["time_zone"])
        deal = submitted(rep, pm)
        round_ = ReviewRound.objects.get(deal=deal, decided_at__isnull=True)
        event = by_uid(events_of(fetch(feed_for(rep))))[f"review-{round_.pk}@{host}"]
        start = event.decoded("DTSTART")
        assert start.utcoffset() == datetime.timedelta(0)
        assert start == round_.due_at.replace(microsecond=0)
        assert event.to_ical().decode().count("DTSTART:") == 1
        assert "Z\r\n" in event.to_ical().decode().split("DTSTART:")[1][:20]
        assert event.decoded("DTEND") - start == calendar_feeds.REVIEW_EVENT_LENGTH
        local = round_.due_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
        assert f"{local:%Y-%m-%d %H:%M} (America/New_York)" in event["DESCRIPTION"]
        assert "Priya Mehta" in event["DESCRIPTION"]

    def test_uids_and_bytes_stay_the_same_across_fetches_and_an_unchanged_feed_is_304(
        self, rep, pm, host
    ):
        submitted(rep, pm)
        won(rep, pm)
        secret = feed_for(rep)
        first, second = fetch(secret), fetch(secret)
        assert sorted(by_uid(events_of(first))) == sorted(by_uid(events_of(second)))
        assert first.content == second.content
        assert first["ETag"] == second["ETag"]
        assert first["Cache-Control"] == "private, max-age=300"
        again = fetch(secret, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304

    def test_an_edited_promise_keeps_its_uid_with_its_new_date(self, rep, host, today, days):
        deal = draft(rep, commitments=1)
        commitment = deal.commitments.get()
        secret = feed_for(rep)
        before = by_uid(events_of(fetch(secret)))[f"commitment-{commitment.pk}@{host}"]
        deals.commitment_update(
            commitment=commitment, actor=rep, data={"promised_date": today + days(20)}
        )
        after = by_uid(events_of(fetch(secret)))[f"commitment-{commitment.pk}@{host}"]
        assert after.decoded("DTSTART") == today + days(20) != before.decoded("DTSTART")

    def test_dates_outside_the_window_are_left_out(self, rep, host, today, days):
        deal = draft(rep, commitments=2)
        near, far = deal.commitments.order_by("id")
        deals.commitment_update(
            commitment=far, actor=rep, data={"promised_date": today + days(400)}
        )
        uids = by_uid(events_of(fetch(feed_for(rep))))
        assert f"commitment-{near.pk}@{host}" in uids
        assert f"commitment-{far.pk}@{host}" not in uids

    def test_more_events_than_the_bound_keep_those_nearest_today(
        self, rep, host, monkeypatch, today, days
    ):
        monkeypatch.setattr(calendar_feeds, "MAX_EVENTS", 2)
        deal = draft(rep, commitments=3)
        dates = [today + days(200), today + days(3), today + days(10)]
        for commitment, day in zip(deal.commitments.order_by("id"), dates, strict=True):
            deals.commitment_update(commitment=commitment, actor=rep, data={"promised_date": day})
        events = events_of(fetch(feed_for(rep)))
        assert sorted(e.decoded("DTSTART") for e in events) == [today + days(3), today + days(10)]

    def test_a_lost_deals_promises_are_not_in_it(self, rep, host):
        deal = draft(rep, commitments=1)
        deals.deal_lose(deal=deal, actor=rep, reason="The client chose another vendor")
        assert events_of(fetch(feed_for(rep))) == []

    def test_the_query_count_is_the_same_for_one_deal_and_many(self, rep, pm, host):
        submitted(rep, pm)
        won(rep, pm)
        secret = feed_for(rep)
        fetch(secret)  # the first fetch notes the time; the next ones within minutes do not

        def queries() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as captured:
                events = events_of(fetch(secret))
            return len(captured), len(events)

        few, few_events = queries()
        for _ in range(4):
            submitted(rep, pm, commitments=3)
            won(rep, pm)
        many, many_events = queries()
        assert many_events > few_events * 3
        assert many == few
        assert few <= 6


class TestWhoseDates:
    def test_another_reps_deals_never_appear_in_a_reps_feed(self, rep, rep2, pm, host):
        mine = submitted(rep, pm)
        theirs = [submitted(rep2, pm), won(rep2, pm), draft(rep2)]
        text = fetch(feed_for(rep)).content.decode()
        for deal in theirs:
            assert deal.title not in text
            for c in deal.commitments.all():
                assert f"commitment-{c.pk}@" not in text
        assert mine.title in text

    def test_a_pms_feed_holds_their_reviews_and_projects_not_the_reps_drafts(
        self, rep, pm, pm2, host
    ):
        drafted = draft(rep)
        claimed = submitted(rep, pm)
        others = submitted(rep, pm2)
        project = Project.objects.get(deal=won(rep, pm))
        events = by_uid(events_of(fetch(feed_for(pm))))
        mine = ReviewRound.objects.get(deal=claimed, decided_at__isnull=True)
        theirs = ReviewRound.objects.get(deal=others, decided_at__isnull=True)
        assert f"review-{mine.pk}@{host}" in events
        assert f"review-{theirs.pk}@{host}" not in events
        assert f"kickoff-{project.pk}@{host}" in events
        for d in project.deliverables.all():
            assert f"deliverable-{d.pk}@{host}" in events
        text = "".join(str(e["SUMMARY"]) for e in events.values())
        assert drafted.title not in text
        assert not any(uid.startswith("commitment-") for uid in events)

    def test_a_deactivated_users_feed_answers_404(self, rep):
        secret = feed_for(rep)
        rep.is_active = False
        rep.save(update_fields=["is_active"])
        response = fetch(secret)
        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"

    def test_a_managers_team_feed_shows_the_teams_dates_only(self, rep, rep2, pm, manager, host):
        team = TeamFactory(name="Field sales", kind="sales", lead=manager)
        team.members.add(rep)
        ours, theirs = submitted(rep, pm), submitted(rep2, pm)
        events = by_uid(events_of(fetch(feed_for(manager, team))))
        suffix = f".team-{team.pk}@{host}"
        for c in ours.commitments.all():
            assert f"commitment-{c.pk}{suffix}" in events
        assert all(theirs.title not in str(e["SUMMARY"]) for e in events.values())

    def test_a_delivery_teams_feed_shows_its_pms_reviews_and_deliverables(
        self, rep, pm, pm2, manager, host
    ):
        team = TeamFactory(name="Delivery north", kind="delivery")
        team.members.add(pm)
        project = Project.objects.get(deal=won(rep, pm))
        other = submitted(rep, pm2)
        events = by_uid(events_of(fetch(feed_for(manager, team))))
        suffix = f".team-{team.pk}@{host}"
        assert f"kickoff-{project.pk}{suffix}" in events
        assert all(f"deliverable-{d.pk}{suffix}" in events for d in project.deliverables.all())
        theirs = ReviewRound.objects.get(deal=other, decided_at__isnull=True)
        assert f"review-{theirs.pk}{suffix}" not in events

    def test_a_rep_is_refused_a_team_feed(self, rep):
        team = TeamFactory(name="Field sales")
        with pytest.raises(ActionForbidden):
            services.calendar_feed_create(actor=rep, team=team)
        assert not CalendarFeed.objects.exists()

    def test_a_team_feed_of_someone_no_longer_a_manager_answers_404(self, manager):
        secret = feed_for(manager, TeamFactory(name="Field sales"))
        manager.role = Role.PM
        manager.save(update_fields=["role"])
        assert fetch(secret).status_code == 404


class TestAddresses:
    def test_a_revoked_address_answers_410_with_a_reason(self, rep):
        secret = feed_for(rep)
        services.calendar_feed_revoke(feed=CalendarFeed.objects.get(), actor=rep)
        response = fetch(secret)
        assert response.status_code == 410
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert "revoked" in response.content.decode()
        assert "Settings → Calendar" in response.content.decode()

    def test_an_unknown_address_answers_404_with_a_reason(self, rep):
        feed_for(rep)
        response = fetch("not-a-secret-anyone-made")
        assert response.status_code == 404
        assert "No calendar at this address" in response.content.decode()

    def test_only_the_hash_and_a_prefix_are_stored(self, rep):
        secret = feed_for(rep)
        feed = CalendarFeed.objects.get()
        assert feed.secret_hash == hash_secret(secret) != secret
        assert secret.startswith(feed.secret_prefix) and len(feed.secret_prefix) < 8
        assert len(secret) >= 40

    def test_reset_revokes_the_old_address_and_makes_a_new_one(self, rep):
        old = feed_for(rep)
        fresh, new = services.calendar_feed_reset(feed=CalendarFeed.objects.get(), actor=rep)
        assert fetch(old).status_code == 410
        assert fetch(new).status_code == 200
        assert CalendarFeed.objects.filter(owner=rep, revoked_at__isnull=True).get() == fresh

    def test_one_live_personal_address_per_person(self, rep):
        feed_for(rep)
        with pytest.raises(DomainError) as refused:
            services.calendar_feed_create(actor=rep)
        assert refused.value.code == "calendar_feed_exists"

    def test_someone_elses_address_cannot_be_revoked(self, rep, rep2):
        feed_for(rep)
        with pytest.raises(ActionForbidden):
            services.calendar_feed_revoke(feed=CalendarFeed.objects.get(), actor=rep2)

    def test_a_fetch_is_noted_at_most_every_few_minutes(self, rep):
        secret = feed_for(rep)
        fetch(secret)
        first = CalendarFeed.objects.get().last_fetched_at
        assert first is not None
        with CaptureQueriesContext(connection) as captured:
            fetch(secret)
        assert not any(q["sql"].startswith("UPDATE") for q in captured)
        assert CalendarFeed.objects.get().last_fetched_at == first


class TestSettingsSection:
    def test_make_an_address_see_it_once_then_only_its_prefix(self, rep, client_for):
        http = client_for(rep)
        response = http.post(reverse("calendar:create"))
        assert response.status_code == 302
        page = http.get(reverse("settings")).content.decode()
        feed = CalendarFeed.objects.get()
        assert "shown once" in page
        assert "Google Calendar" in page and "Outlook" in page and "Apple Calendar" in page
        start = page.index("http://testserver/calendar/")
        url = page[start : page.index("<", start)]
        assert hash_secret(url.removeprefix("http://testserver/calendar/")[:-4]) == (
            feed.secret_hash
        )
        assert fetch(url.removeprefix("http://testserver/calendar/")[:-4]).status_code == 200
        again = http.get(reverse("settings")).content.decode()
        assert "http://testserver/calendar/" not in again
        assert f"…/calendar/{feed.secret_prefix}…" in again

    def test_revoke_asks_first_then_revokes(self, rep, client_for):
        http = client_for(rep)
        secret = feed_for(rep)
        feed = CalendarFeed.objects.get()
        ask = http.get(reverse("calendar:revoke", args=[feed.pk]))
        assert ask.status_code == 200
        assert "Revoke the address of your calendar?" in ask.content.decode()
        assert fetch(secret).status_code == 200
        done = http.post(reverse("calendar:revoke", args=[feed.pk]))
        assert done.status_code == 302
        assert fetch(secret).status_code == 410
        assert "Make my calendar address" in http.get(reverse("settings")).content.decode()

    def test_another_persons_address_is_not_found(self, rep, rep2, client_for):
        feed_for(rep)
        feed = CalendarFeed.objects.get()
        http = client_for(rep2)
        for name in ("calendar:reset", "calendar:revoke"):
            assert http.get(reverse(name, args=[feed.pk])).status_code == 404
            assert http.post(reverse(name, args=[feed.pk])).status_code == 404
        assert CalendarFeed.objects.get().revoked_at is None

    def test_a_manager_makes_a_team_address_and_a_rep_may_not(self, rep, manager, client_for):
        team = TeamFactory(name="Field sales")
        page = client_for(manager).get(reverse("settings")).content.decode()
        assert "Team calendars" in page and "Field sales" in page
        response = client_for(manager).post(reverse("calendar:create"), {"calendar-team": team.pk})
        assert response.status_code == 302
        assert CalendarFeed.objects.get(owner=manager).team == team
        assert "Team calendars" not in client_for(rep).get(reverse("settings")).content.decode()
        refused = client_for(rep).post(reverse("calendar:create"), {"calendar-team": team.pk})
        assert refused.status_code == 403

    def test_a_team_that_is_not_one_is_a_form_error(self, manager, client_for):
        TeamFactory(name="Field sales")
        response = client_for(manager).post(reverse("calendar:create"), {"calendar-team": "999"})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
        assert not CalendarFeed.objects.exists()

    def test_a_second_personal_address_is_refused_with_a_message(self, rep, client_for):
        http = client_for(rep)
        feed_for(rep)
        response = http.post(reverse("calendar:create"), follow=True)
        assert "already a calendar address" in response.content.decode()
        assert CalendarFeed.objects.count() == 1


class TestApi:
    def test_make_list_reset_and_revoke(self, rep, client_for):
        http = client_for(rep)
        made = http.post("/api/v1/calendar-feeds/", {}, content_type="application/json")
        assert made.status_code == 201, made.content
        body = made.json()
        assert body["scope"] == "personal" and body["live"] is True
        assert body["url"].startswith("http://testserver/calendar/")
        assert body["webcal_url"].startswith("webcal://testserver/calendar/")
        secret = body["url"].rsplit("/", 1)[1][:-4]
        assert fetch(secret).status_code == 200

        listed = http.get("/api/v1/calendar-feeds/").json()
        assert listed["count"] == 1 and "url" not in listed["results"][0]

        again = http.post("/api/v1/calendar-feeds/", {}, content_type="application/json")
        assert again.status_code == 409 and again.json()["code"] == "calendar_feed_exists"

        reset = http.post(f"/api/v1/calendar-feeds/{body['id']}/reset/")
        assert reset.status_code == 201
        assert fetch(secret).status_code == 410
        new_id = reset.json()["id"]
        revoked = http.post(f"/api/v1/calendar-feeds/{new_id}/revoke/")
        assert revoked.status_code == 200 and revoked.json()["live"] is False
        twice = http.post(f"/api/v1/calendar-feeds/{new_id}/revoke/")
        assert twice.status_code == 409 and twice.json()["code"] == "calendar_revoked"

    def test_the_list_costs_the_same_queries_for_one_feed_and_many(
        self, manager, client_for, django_assert_num_queries
    ):
        http = client_for(manager)
        feed_for(manager, TeamFactory(name="Team A"))
        http.get("/api/v1/calendar-feeds/")
        with CaptureQueriesContext(connection) as one:
            assert http.get("/api/v1/calendar-feeds/").json()["count"] == 1
        for n in range(5):
            feed_for(manager, TeamFactory(name=f"Team {n}"))
        with django_assert_num_queries(len(one)):
            assert http.get("/api/v1/calendar-feeds/").json()["count"] == 6

    def test_team_feeds_are_for_managers_and_need_a_team(self, rep, manager, client_for):
        team = TeamFactory(name="Field sales")
        url = "/api/v1/calendar-feeds/"
        refused = client_for(rep).post(
            url, {"scope": "team", "team": team.pk}, content_type="application/json"
        )
        assert refused.status_code == 403
        missing = client_for(manager).post(url, {"scope": "team"}, content_type="application/json")
        assert missing.status_code == 400 and "team" in missing.json()
        unknown = client_for(manager).post(
            url, {"scope": "team", "team": 99999}, content_type="application/json"
        )
        assert unknown.status_code == 400 and "team" in unknown.json()
        made = client_for(manager).post(
            url, {"scope": "team", "team": team.pk}, content_type="application/json"
        )
        assert made.status_code == 201 and made.json()["team_name"] == "Field sales"

    def test_another_persons_feed_is_not_found(self, rep, rep2, client_for):
        feed_for(rep)
        feed = CalendarFeed.objects.get()
        http = client_for(rep2)
        assert http.get(f"/api/v1/calendar-feeds/{feed.pk}/").status_code == 404
        assert http.post(f"/api/v1/calendar-feeds/{feed.pk}/revoke/").status_code == 404
        assert http.post(f"/api/v1/calendar-feeds/{feed.pk}/reset/").status_code == 404
        assert http.get("/api/v1/calendar-feeds/").json()["count"] == 0
        assert CalendarFeed.objects.get().revoked_at is None


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_api_is_in_the_schema_with_its_answers(schema):
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/calendar-feeds/"])
    assert {"201", "400", "401", "403", "409"} <= set(
        paths["/api/v1/calendar-feeds/"]["post"]["responses"]
    )
    for action in ("revoke", "reset"):
        assert {"401", "404", "409"} <= set(
            paths[f"/api/v1/calendar-feeds/{{id}}/{action}/"]["post"]["responses"]
        )
    components = schema["components"]["schemas"]
    assert "url" in components["CalendarFeedWithAddress"]["properties"]
    assert "url" not in components["CalendarFeed"]["properties"]


def test_a_scope_or_team_sent_empty_is_bad_input(rep, client_for):
    http = client_for(rep)
    for body in ({"scope": ""}, {"scope": "personal", "team": ""}, {"scope": "weekly"}):
        response = http.post("/api/v1/calendar-feeds/", body)
        assert response.status_code == 400, body
    assert not CalendarFeed.objects.exists()


def test_an_unchanged_calendar_is_rendered_once_and_a_change_shows_at_once(
    rep, host, monkeypatch, today, days
):
    rendered = []
    real = calendar_feeds.feed_ics
    monkeypatch.setattr(calendar_feeds, "feed_ics", lambda *a: rendered.append(1) or real(*a))
    commitment = draft(rep, commitments=1).commitments.get()
    secret = feed_for(rep)
    first, second = fetch(secret), fetch(secret)
    assert first.content == second.content and len(rendered) == 1
    deals.commitment_update(
        commitment=commitment, actor=rep, data={"promised_date": today + days(12)}
    )
    third = fetch(secret)
    assert third["ETag"] != first["ETag"] and len(rendered) == 2
    (event,) = events_of(third)
    assert event.decoded("DTSTART") == today + days(12)


def test_a_review_waiting_for_your_approval_is_in_your_feed(rep, pm, manager, host):
    deals.review_rule_create(
        actor=manager,
        data={
            "name": "Integrations need a manager",
            "kinds": ["integration"],
            "approver": "manager",
        },
    )
    waiting = submitted(rep, pm, kind="integration")
    other = submitted(rep, pm)
    events = by_uid(events_of(fetch(feed_for(manager))))
    round_ = ReviewRound.objects.get(deal=waiting, decided_at__isnull=True)
    assert f"review-{round_.pk}@{host}" in events
    assert not any(other.title in str(e["SUMMARY"]) for e in events.values())


def test_an_operator_revokes_addresses_in_the_admin_and_never_sees_a_secret(rep, client_for):
    secret = feed_for(rep)
    operator = UserFactory(username="operator", role=Role.ADMIN, is_staff=True, is_superuser=True)
    http = client_for(operator)
    changelist = reverse("admin:feedback_calendarfeed_changelist")
    assert secret not in http.get(changelist).content.decode()
    feed = CalendarFeed.objects.get()
    response = http.post(changelist, {"action": "revoke", "_selected_action": [feed.pk]})
    assert response.status_code == 302
    assert fetch(secret).status_code == 410
