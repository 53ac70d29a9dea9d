"""The input bounds: dates near today, plain text without control characters, no queries."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from deals.models import Client, Commitment, Deal, Verdict
from handoff.models import SharedGoal, Team, User
from handoff.validators import (
    PlainText,
    QuarterWithinYears,
    WithinYears,
    date_input_range,
    multi_line,
    single_line,
    validate_field_values,
    within_years,
)
from projects.models import CapacityException, Deliverable, KickoffItem, Project

TODAY = timezone.localdate


def years_from_today(years: int, days: int = 0) -> datetime.date:
    today = TODAY()
    return today.replace(year=today.year + years) + datetime.timedelta(days=days)


# Dates


@pytest.mark.parametrize("years", [-10, 0, 10])
def test_a_date_within_ten_years_of_today_passes(years):
    within_years(years_from_today(years))


@pytest.mark.parametrize(
    "day",
    [
        datetime.date(9999, 12, 31),
        datetime.date(1, 1, 1),
        datetime.date(1900, 1, 1),
        years_from_today(10, days=1),
        years_from_today(-10, days=-1),
    ],
    ids=str,
)
def test_a_date_further_away_is_refused_with_the_range_in_the_message(day):
    with pytest.raises(ValidationError) as refused:
        within_years(day)
    earliest, latest = date_input_range()
    assert refused.value.code == "date_out_of_range"
    message = refused.value.messages[0]
    assert earliest.isoformat() in message
    assert latest.isoformat() in message
    assert "10 years" in message


def test_the_range_is_a_setting_read_at_each_check(settings):
    settings.DATE_INPUT_RANGE_YEARS = 1
    with pytest.raises(ValidationError, match="1 years"):
        within_years(years_from_today(2))
    within_years(years_from_today(1))


def test_the_range_from_the_29th_of_february_ends_on_the_28th():
    leap_day = datetime.date(2028, 2, 29)
    assert date_input_range(leap_day) == (datetime.date(2018, 2, 28), datetime.date(2038, 2, 28))


def test_a_datetime_is_checked_by_its_date():
    with pytest.raises(ValidationError):
        within_years(datetime.datetime(9999, 12, 31, 23, 59))


def test_the_validators_deconstruct_without_the_setting():
    """Migrations keep the validator, not the current range: changing the setting needs none."""
    assert WithinYears().deconstruct() == ("handoff.validators.WithinYears", (), {})
    assert PlainText(multiline=True).deconstruct() == (
        "handoff.validators.PlainText",
        (),
        {"multiline": True},
    )
    assert within_years == WithinYears()
    assert single_line != multi_line


def test_quarters_are_bounded_like_dates():
    this_year = TODAY().year
    QuarterWithinYears()(f"{this_year}-Q1")
    QuarterWithinYears()(f"{this_year + 10}-Q4")
    for quarter in ("0000-Q1", "9999-Q4", f"{this_year + 11}-Q1"):
        with pytest.raises(ValidationError, match="Choose a quarter between"):
            QuarterWithinYears()(quarter)
    QuarterWithinYears()("garbage")  # the format check reports this one


# Control characters

HEADER_INJECTION = "Hdr\r\nBcc: x@y"


@pytest.mark.parametrize(
    "text",
    [
        HEADER_INJECTION,
        "a\nb",
        "tab\there",
        "nul\x00",
        "esc\x1b[31m",
        "del\x7f",
        "nel\x85",
        "ls\u2028",
    ],
)
def test_single_line_text_refuses_every_control_character_and_line_break(text):
    with pytest.raises(ValidationError) as refused:
        single_line(text)
    assert refused.value.code == "control_characters"
    assert "U+" in refused.value.messages[0]


@pytest.mark.parametrize(
    "text", ["Zoë Ångström — Überweisung", "Rollout 🚀 👩‍💻 (ZWJ)", "日本語のタイトル", ""]
)
def test_plain_text_of_any_language_passes(text):
    single_line(text)
    multi_line(text)


def test_multi_line_text_keeps_line_breaks_and_tabs_only():
    multi_line("First line\r\nSecond\n\tindented")
    for text in ("nul\x00", "esc\x1b", "bell\x07", "vt\x0b", "del\x7f"):
        with pytest.raises(ValidationError, match="only line breaks and tabs"):
            multi_line(text)


@pytest.mark.django_db
def test_the_validators_run_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        within_years(TODAY())
        QuarterWithinYears()("2026-Q4")
        single_line("Title")
        multi_line("Body\n")


def test_validate_field_values_names_every_field_that_failed():
    with pytest.raises(ValidationError) as refused:
        validate_field_values(
            Verdict,
            {
                "counter_date": datetime.date(9999, 12, 31),
                "counter_effort_days": Decimal("-1"),
                "reason": "ok",
                "condition": None,
            },
        )
    assert set(refused.value.message_dict) == {"counter_date", "counter_effort_days"}


# The model fields carry them

LOCAL_APPS = ("handoff", "deals", "projects", "feedback")


def test_every_date_field_is_bounded():
    dates = [
        field
        for app in LOCAL_APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
    ]
    assert len(dates) >= 8
    unbounded = [str(f) for f in dates if within_years not in f.validators]
    assert unbounded == []


# Single-line fields people type: names, titles, summaries, notes.
TYPED_LINES = [
    (Client, "name"),
    (Client, "industry"),
    (Deal, "title"),
    (Commitment, "summary"),
    (Deliverable, "summary"),
    (KickoffItem, "text"),
    (CapacityException, "note"),
    (User, "first_name"),
    (User, "last_name"),
    (Team, "name"),
]


@pytest.mark.parametrize(("model", "name"), TYPED_LINES, ids=lambda v: getattr(v, "__name__", v))
def test_typed_single_line_fields_refuse_control_characters(model, name):
    assert single_line in model._meta.get_field(name).validators


def test_every_text_field_people_type_refuses_control_characters_but_line_breaks():
    typed = [
        field
        for app in LOCAL_APPS
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField) and field.editable
    ]
    # Written by the system, not typed: the outbox's rendered emails, audit copies of reasons.
    system = {
        ("EmailOutbox", "text_body"),
        ("EmailOutbox", "html_body"),
        ("EmailOutbox", "last_error"),
        ("Announcement", "last_error"),  # why telling the people failed, written by the worker
        ("DealEvent", "reason"),
        ("ProjectEvent", "reason"),
        ("Import", "error"),  # why an import job failed, written by the job
    }
    unchecked = [
        str(f)
        for f in typed
        if multi_line not in f.validators and (f.model.__name__, f.name) not in system
    ]
    assert unchecked == []


def test_a_username_already_refuses_control_characters():
    with pytest.raises(ValidationError) as refused:
        User(username="evil\r\nname", password="x").full_clean(exclude=["password"])
    assert "username" in refused.value.message_dict


@pytest.mark.django_db
def test_model_validation_reaches_names_and_goals():
    with pytest.raises(ValidationError) as refused:
        User(username="ok", first_name=HEADER_INJECTION, password="x").full_clean()
    assert set(refused.value.message_dict) == {"first_name"}
    with pytest.raises(ValidationError) as refused:
        Team(name="Sales\x00", kind="sales").full_clean()
    assert set(refused.value.message_dict) == {"name"}
    with pytest.raises(ValidationError) as refused:
        SharedGoal(quarter="0000-Q1", metric="kept_rate", target=Decimal("90")).full_clean()
    assert set(refused.value.message_dict) == {"quarter"}


def test_numbers_are_bounded():
    for model, name in ((Deal, "value"), (Commitment, "effort_days"), (Deliverable, "effort_days")):
        field = model._meta.get_field(name)
        with pytest.raises(ValidationError):
            field.run_validators(Decimal("-1"))
        with pytest.raises(ValidationError, match="less than or equal"):
            field.run_validators(Decimal("100000000000") if name == "value" else Decimal("99999"))
    Project._meta.get_field("start_date").run_validators(TODAY())
