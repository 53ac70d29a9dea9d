"""One way to write dates, deadlines, money, units and counts, in the user's time zone."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.templatetags import formats

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("12000"), "EUR", "€12,000"),
        (Decimal("1250.50"), "EUR", "€1,250.50"),
        (Decimal("99000"), "GBP", "£99,000"),
        (Decimal("0"), "EUR", "€0"),
        (None, "EUR", ""),
    ],
)
def test_money_is_written_as_the_locale_writes_it(value, currency, expected):
    assert formats.money(value, currency) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("12.0"), "12 person-days"), (1, "1 person-day"), ("0.5", "0.5 person-days")],
)
def test_effort_carries_its_unit(value, expected):
    assert formats.person_days(value) == expected


def test_a_number_written_once_is_written_the_same_again_in_its_own_language():
    # Numbers are remembered once written: the language and the sign of zero are part of it.
    assert [formats.number(v) for v in ("-0", "0", "-0", Decimal("0.0"))] == ["-0", "0", "-0", "0"]
    assert formats.number(Decimal("1234.56"), 1) == "1,234.6"
    assert formats.number(Decimal("1234.56"), 2) == "1,234.56"
    assert formats.number(Decimal("1234.50"), 2) == formats.number(Decimal("1234.5"), 2)
    with translation.override("de"):
        assert formats.number(Decimal("1234.56"), 1) == "1.234,6"
        assert formats.count(1200, "deal") == "1.200 deals"
        assert formats.money(Decimal("1250.50"), "EUR") == "€1.250,50"
    assert formats.number(Decimal("1234.56"), 1) == "1,234.6"
    assert formats.count(1200, "deal") == "1,200 deals"
    assert formats.number("NaN") == "NaN"
    written = formats._written.cache_info().hits
    assert formats.number(Decimal("7.5")) == formats.number(Decimal("7.5")) == "7.5"
    assert formats._written.cache_info().hits > written  # the second one was remembered


def test_an_amount_written_once_is_written_the_same_again_in_its_own_language_and_currency():
    assert formats.money(Decimal("1250.50"), "EUR") == "€1,250.50"
    with translation.override("de"):
        assert formats.money(Decimal("1250.50"), "EUR") == "€1.250,50"
    assert formats.money(Decimal("1250.50"), "USD") == "US$1,250.50"
    assert formats.money(Decimal("1250.50"), "") == "€1,250.50"
    assert formats.money("1250.5", "EUR") == formats.money(Decimal("1250.50"), "EUR")
    assert formats.money(Decimal("12000"), "EUR") == formats.money(12000, "EUR") == "€12,000"
    written = formats._money.cache_info().hits
    assert formats.money(Decimal("12000"), "GBP") == formats.money(Decimal("12000"), "GBP")
    assert formats._money.cache_info().hits > written  # the second one was remembered


def test_percent_duration_and_counts():
    assert formats.percent(0.513) == "51\u202f%"
    assert formats.percent(None) == "\u2013"
    assert formats.duration_hours(5) == "5 h"
    assert formats.duration_hours(36) == "1.5 days"
    assert formats.count(1, "commitment") == "1 commitment"
    assert formats.count(2, "commitment") == "2 commitments"
    assert formats.count([1, 2, 3], "person,people") == "3 people"
    assert formats.count(1200, "deal") == "1,200 deals"


def test_deadlines_read_as_people_say_them_with_the_moment_on_hover():
    now = timezone.now()
    soon = formats.deadline(now + datetime.timedelta(hours=5, minutes=3))
    late = formats.deadline(now - datetime.timedelta(days=2, hours=1))
    assert ">due in 5 h</time>" in soon and 'title="' in soon
    assert ">2 days overdue</time>" in late and "overdue" in late
    assert formats.relative(now + datetime.timedelta(minutes=30), now=now) == "in 30 min"
    assert formats.relative(now - datetime.timedelta(days=3), now=now) == "3 days ago"


def test_the_filters_are_builtins_of_every_template():
    html = render("{{ v|money:'EUR' }} {{ n|count:'commitment' }}", v=Decimal("5"), n=3)
    assert html == "€5 3 commitments"


def test_times_are_in_the_active_time_zone():
    moment = datetime.datetime(2026, 12, 1, 23, 30, tzinfo=datetime.UTC)
    assert formats.when(moment) == "Tue 1 Dec 2026, 23:30"
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        assert formats.when(moment) == "Wed 2 Dec 2026, 08:30"
        assert formats.day(moment) == "2 Dec 2026"


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime.datetime(1900, 1, 1),
        max_value=datetime.datetime(2200, 12, 31),
        timezones=st.sampled_from([datetime.UTC, zoneinfo.ZoneInfo("Asia/Kathmandu")]),
    ),
    zone=st.sampled_from(["Europe/London", "America/St_Johns", "Pacific/Kiritimati"]),
    language=st.sampled_from(["en-gb", "en", "de", "fr", "ja"]),
)
def test_dates_are_written_as_djangos_date_format_writes_them(moment, zone, language):
    """The filters write dates by hand for speed; the text is Django's for their formats."""
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        local = timezone.localtime(moment)
        assert formats.when(moment) == dateformat.format(local, formats.TIME_FORMAT)
        assert formats.day(moment) == dateformat.format(local, formats.DAY_FORMAT)
        assert formats.day(moment.date()) == dateformat.format(moment.date(), formats.DAY_FORMAT)
        assert formats.short_day(moment) == dateformat.format(local, formats.SHORT_DAY_FORMAT)
        assert formats.when(moment.date()) == formats.day(moment.date())


def test_a_user_sets_a_time_zone_and_pages_use_it(client_for, rep):
    client = client_for(rep)
    page = client.get(reverse("settings"))
    assert "Time zone" in page.content.decode()
    response = client.post(reverse("settings_time_zone"), {"tz-time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.time_zone == "Asia/Tokyo"
    page = client.get(reverse("settings"))
    assert "Asia/Tokyo" in page.content.decode()


def test_an_unknown_time_zone_is_refused_and_nothing_changes(client_for, rep):
    response = client_for(rep).post(reverse("settings_time_zone"), {"tz-time_zone": "Mars/Base"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    rep.refresh_from_db()
    assert rep.time_zone == ""


def test_the_time_zone_setting_needs_a_login_and_a_post(client):
    assert client.post(reverse("settings_time_zone"), {"tz-time_zone": "UTC"}).status_code == 302


def test_plain_writes_a_number_for_a_machine():
    assert formats.plain(Decimal("1.5"), 2) == "1.50"
    assert formats.plain(Decimal("3.00"), 2) == "3"
    assert formats.plain(Decimal("12345.25"), 1) == "12345.2"
    assert formats.plain(None) == ""
    assert formats.plain("not a number") == ""
