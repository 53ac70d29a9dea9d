"""Emails look like the product: one layout, styles inlined, a button, a text part, one date format."""

import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.template import engines
from django.utils import timezone

from feedback import digests, emails, outbox
from feedback.acceptance_emails import ACCEPTANCE_EMAIL_KIND
from feedback.models import EmailOutbox
from handoff import tagged_json
from handoff.templatetags import formats
from tests.feedback.test_emails_gallery import DIGEST_KINDS, OTHER_EMAILS, render_gallery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_emailed")]

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "email"
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
# Anything that looks like a date, and the two ways an email may write one.
ANY_DATE = re.compile(
    rf"(?:{DAY},? )?\b\d{{1,2}}(?:st|nd|rd|th)? {MONTH}\b(?: \d{{4}})?(?:,? \d{{1,2}}:\d{{2}})?"
)
ONE_WAY = re.compile(
    rf"(?:{DAY} )?[1-9]\d? {MONTH} \d{{4}}|{DAY} [1-9]\d? {MONTH} \d{{4}}, \d\d:\d\d"
)


@pytest.fixture(scope="module")
def gallery(django_db_setup, django_db_blocker) -> dict[str, emails.RenderedEmail]:
    return render_gallery(django_db_blocker)


# Emails to someone with no account (the customer's acceptance request): their header links
# nowhere, and they have no notification settings to point to.
NO_ACCOUNT = {ACCEPTANCE_EMAIL_KIND}


def _labels(kind: str) -> str:
    if kind in DIGEST_KINDS:
        return "Open Handoff"
    return OTHER_EMAILS.get(kind) or emails.ACTIONS[kind]


# One layout, its styles inlined


def test_every_email_is_drawn_in_the_one_layout(gallery):
    for kind, email in gallery.items():
        html, text = email.html_body, email.text_body
        brand = r'<span class="brand"[^>]*>Handoff</span>' if kind in NO_ACCOUNT else ">Handoff</a>"
        assert '<td class="header"' in html and re.search(brand, html), kind
        assert "Hello " in html and '<td class="footer"' in html, kind
        assert text.startswith("Hello ") and "\n--\n" in text, kind


def test_the_styles_are_inlined_into_style_attributes(gallery):
    for kind, email in gallery.items():
        html = email.html_body
        assert re.search(r'<body style="[^"]*background: #f6f8fa', html), kind
        assert re.search(r'<td class="header" style="[^"]*background: #0172ad', html), kind
        assert re.search(
            rf'<a class="button" href="[^"]+" style="[^"]*color: #fff[^"]*">{_labels(kind)}</a>',
            html,
        ), kind
        # Only the media queries stay in a <style>; no rule a mail client would drop is left.
        [style] = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
        assert style.strip().startswith("@media") and "var(--" not in html, kind


def test_the_email_colours_are_the_products():
    app = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    pico = (
        Path(settings.BASE_DIR) / "static" / "vendor" / "pico-2.1.1" / "pico.min.css"
    ).read_text()
    product = dict(re.findall(r"(--handoff-[\w-]+):\s*([^;]+);", app))
    # Pico's light theme: the first value each variable gets.
    for name, value in re.findall(r"(--pico-[\w-]+):([^;}]+)", pico):
        product.setdefault(name, value)
    css = (TEMPLATES / "styles.css").read_text()
    ours = dict(re.findall(r"(--(?:pico|handoff)-[\w-]+):\s*([^;]+);", css))
    assert ours
    for name, value in ours.items():
        assert _rgb(value) == pytest.approx(_rgb(product[name]), abs=1), name


def _rgb(value: str) -> tuple[float, ...]:
    value = value.strip()
    if value.startswith("rgb("):
        return tuple(float(v) for v in value[4:-1].split(","))
    hex_digits = value.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(d * 2 for d in hex_digits)
    return tuple(float(int(hex_digits[i : i + 2], 16)) for i in (0, 2, 4))


def test_a_later_template_can_add_below_the_button():
    template = engines["django"].from_string(
        '{% extends "email/base.html" %}{% block extra %}<p>Approve each promise</p>{% endblock %}'
    )
    context = emails.layout_context(
        recipient=None, subject="S", link="https://x.test/", action="Go", sent_because="Because"
    )
    html = template.render(context)
    assert html.index(">Go</a>") < html.index("Approve each promise") < html.index("Because")
    text = (
        engines["django"]
        .from_string(
            '{% extends "email/base.txt" %}{% block extra %}Approve: https://x.test/a{% endblock %}'
        )
        .render(context)
    )
    assert text.index("Go: https://x.test/") < text.index("Approve: https://x.test/a")


# Each kind: its button, its text part, its footer, its subject


def test_every_email_has_a_button_for_its_main_link_in_both_parts(gallery, settings):
    for kind, email in gallery.items():
        [link] = set(re.findall(r'<a class="button" href="([^"]+)"', email.html_body))
        assert link.startswith(settings.SITE_URL), kind
        assert f"{_labels(kind)}: {link}" in email.text_body, kind


def test_every_email_says_why_it_came_and_links_the_settings(gallery, settings):
    settings_url = settings.SITE_URL + "/feedback/preferences/"
    for kind, email in gallery.items():
        if kind in NO_ACCOUNT:
            assert "named you as the customer contact" in email.text_body, kind
            assert settings_url not in email.html_body, kind
            continue
        # A notification says which of the settings sent it; the minutes, whom they went to.
        why = "You were invited to this meeting." if kind in OTHER_EMAILS else "You get this "
        for body in (email.text_body, email.html_body):
            assert why in body and "notification settings" in body, kind
            assert settings_url in body, kind


def test_links_follow_the_site_url(rep, pm, settings):
    settings.SITE_URL = "https://handoff.example.com"
    from tests.feedback.conftest import submitted

    submitted(rep)
    email = EmailOutbox.objects.get(to_address=pm.email)
    rendered = emails.render_email(email.notification, {"round": 1, "due_at": None})
    hrefs = re.findall(r'href="([^"]+)"', rendered.html_body)
    assert hrefs and all(h.startswith("https://handoff.example.com/") for h in hrefs)


def test_subjects_read_what_happened_then_what_about():
    for kind, subject in emails.SUBJECTS.items():
        assert re.fullmatch(r"[A-Z][\w {}-]+: \{(deal|topic)\}", subject), kind


def test_a_sent_email_has_a_plain_text_part_and_an_html_part(rep, pm):
    from tests.feedback.conftest import submitted

    submitted(rep)
    assert outbox.deliver(EmailOutbox.objects.get(to_address=pm.email).pk)
    [message] = mail.outbox
    sent = message.message()
    assert sent.get_content_type() == "multipart/alternative"
    plain, html = sent.get_payload()
    assert plain.get_content_type() == "text/plain" and "Review the deal:" in message.body
    assert (
        html.get_content_type() == "text/html"
        and 'style="' in html.get_payload(decode=True).decode()
    )


# One way to write a date


def test_the_templates_write_dates_the_pages_way():
    for path in TEMPLATES.iterdir():
        assert "|date" not in path.read_text(), f"{path.name}: use |day or |when"


def test_every_date_in_every_email_is_written_the_same_way(gallery):
    for kind, email in gallery.items():
        for body in (email.subject, email.text_body):
            for written in ANY_DATE.findall(body):
                assert ONE_WAY.fullmatch(written), (kind, written)


def test_times_are_in_the_recipients_time_zone(rep, pm):
    from tests.feedback.conftest import submitted

    pm.time_zone = "Asia/Tokyo"
    pm.save(update_fields=["time_zone"])
    submitted(rep)
    email = EmailOutbox.objects.select_related("notification__recipient").get(to_address=pm.email)
    context = tagged_json.decode(email.context)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        due = formats.when(context["due_at"])
    assert f"The review is due {due}." in emails.render_email(email.notification, context).text_body


def test_the_digest_subject_is_written_like_the_others(rep):
    digest = digests.build_digest(rep, "weekly")
    assert re.fullmatch(rf"Weekly digest: [1-9]\d? {MONTH} \d{{4}}", digest.subject)
