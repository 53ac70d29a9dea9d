"""Every page writes dates, moments, money, efforts, shares and counts through the shared filters
(handoff.templatetags.formats), and so does the code that writes sentences for people."""

import datetime
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from feedback import services as feedback_services
from feedback.models import FeedbackNote
from handoff.templatetags import formats

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Emails are written for a recipient with the same filters (feedback.emails); only pages here.
NOT_PAGES = {"email"}
APP_CODE = ("config", "deals", "feedback", "handoff", "insights", "meetings", "projects")

# A filter of Django's that writes a date, a time or a number its own way.
OWN_WAY = re.compile(
    r"\|\s*(date|time|floatformat|intcomma|intword|naturaltime|naturalday|timesince|timeuntil)\b"
    r"|\{%\s*widthratio\b"
)
# A noun's plural goes through `count`; pluralize stays for a verb that agrees ("needs", "are").
NOUN_PLURAL = re.compile(r'\|\s*pluralize(?!:"(s,|is,are)")')
# Month and weekday names written by strftime or a date format of the code's own.
OWN_DATE_FORMAT = re.compile(r"%[bBaA]\b|['\"](D )?j M( Y)?['\"]")

# (template path, pattern) that must stay, with the reason beside it. None today.
ALLOWED: set[tuple[str, str]] = set()


def page_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).parts[0] not in NOT_PAGES
    )


def offences(pattern: re.Pattern, paths: list[Path], root: Path) -> list[str]:
    found = []
    for path in paths:
        name = str(path.relative_to(root))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in pattern.finditer(line):
                if (name, match.group()) not in ALLOWED:
                    found.append(f"{name}:{number}: {match.group()}")
    return found


def test_there_are_page_templates_to_check():
    names = {str(p.relative_to(TEMPLATES)) for p in page_templates()}
    assert {"deals/deal_list.html", "deals/deal_detail.html", "insights/dashboard.html"} <= names
    assert not any(name.startswith("email/") for name in names)


HOW = (
    "Write these with the filters of handoff.templatetags.formats (day, short_day, when, "
    "deadline, ago, money, number, person_days, percent, duration_hours, duration_days, count):\n"
)


def test_no_page_template_writes_dates_or_numbers_its_own_way():
    found = offences(OWN_WAY, page_templates(), TEMPLATES)
    assert not found, HOW + "\n".join(found)


def test_no_page_template_pluralises_a_noun_by_hand():
    found = offences(NOUN_PLURAL, page_templates(), TEMPLATES)
    assert not found, 'A plural goes through count:"noun": ' + "; ".join(found)


def test_the_checks_catch_what_they_look_for():
    assert OWN_WAY.search('{{ deal.created_at|date:"j M Y" }}')
    assert OWN_WAY.search("{{ cell.load|floatformat:'-1' }}")
    assert OWN_WAY.search("({% widthratio kept resolved 100 %} %)")
    assert not OWN_WAY.search("{{ deal.expected_close_date|day }} {{ x.updated_at|when }}")
    assert NOUN_PLURAL.search("deal{{ n|pluralize }}")
    assert not NOUN_PLURAL.search('{{ n }} need{{ n|pluralize:"s," }} your ruling')
    assert OWN_DATE_FORMAT.search('f"{day:%d %b %Y}"')
    assert OWN_DATE_FORMAT.search("date_format(day, 'j M Y')")
    assert not OWN_DATE_FORMAT.search('f"{stamp:%Y-%m-%d}"')


def test_app_code_writes_no_month_or_weekday_names_of_its_own():
    root = Path(settings.BASE_DIR)
    sources = [
        path
        for app in APP_CODE
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts and path != Path(formats.__file__)
    ]
    found = offences(OWN_DATE_FORMAT, sources, root)
    assert not found, HOW + "\n".join(found)


# The filters this sweep added to the shared ones


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "1 day"), (Decimal("2.5"), "2.5 days"), (0.0, "0 days"), (None, "\u2013")],
)
def test_a_length_of_time_in_days(value, expected):
    assert formats.duration_days(value) == expected


def test_an_effort_spread_over_weeks_keeps_its_cents():
    assert formats.person_days(Decimal("0.33")) == "0.3 person-days"
    assert formats.person_days(Decimal("0.33"), 2) == "0.33 person-days"
    assert formats.person_days(Decimal("1.00"), 2) == "1 person-day"


@pytest.mark.parametrize(
    ("days", "text", "overdue"),
    [
        (0, "due today", False),
        (1, "due in 1 day", False),
        (13, "due in 13 days", False),
        (-1, "1 day overdue", True),
        (-4, "4 days overdue", True),
    ],
)
def test_a_due_date_is_a_deadline_in_days(days, text, overdue):
    due = timezone.localdate() + datetime.timedelta(days=days)
    html = formats.deadline(due)
    assert f">{text}</time>" in html
    assert f'datetime="{due.isoformat()}"' in html and f'title="{formats.day(due)}"' in html
    assert ('class="deadline overdue"' in html) is overdue


# The user's time zone, on a page


@pytest.mark.django_db
def test_a_page_writes_a_moment_in_the_readers_time_zone(rep, pm, client_for):
    note = feedback_services.note_create(
        author=pm, direction="to_sales", topic="customer_insight", body="Weekly demos"
    )
    moment = datetime.datetime(2026, 12, 1, 23, 30, tzinfo=datetime.UTC)
    FeedbackNote.objects.filter(pk=note.pk).update(created_at=moment)
    rep.time_zone = "Asia/Tokyo"
    rep.save(update_fields=["time_zone"])
    page = client_for(rep).get(note.get_absolute_url()).content.decode()
    assert ">Wed 2 Dec 2026, 08:30</time>" in page
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert formats.when(moment) == "Tue 1 Dec 2026, 23:30"
