"""The settings page draws the sections the apps registered, each for the users it concerns."""

import pytest
from django.template import Template
from django.urls import reverse

from handoff.web import settings_page


@pytest.fixture
def sections(monkeypatch):
    """The registry as the apps left it, restored after the test."""
    registered = list(settings_page.SECTIONS)
    monkeypatch.setattr(settings_page, "SECTIONS", registered)
    return registered


def test_the_apps_register_their_sections(sections):
    assert [s.template_name for s in sections] == [
        "handoff/partials/settings_time_zone.html",
        "handoff/partials/settings_api_tokens.html",
        "handoff/mfa_section.html",
        "deals/review_rules_settings.html",
        "projects/partials/settings_capacity.html",
        "feedback/partials/settings_notifications.html",
        "feedback/webhooks_settings.html",
        "feedback/calendar_settings.html",
    ]


def test_a_section_registers_once_and_shows_only_to_whom_it_concerns(sections, rep, pm, client_for):
    def for_pms(request):
        return {"greeting": "Hello PM"} if request.user == pm else None

    # {% include %} takes a template as well as a name: a section made up for the test.
    section = Template("<p>{{ greeting }}</p>")
    before = len(sections)
    for _ in range(2):
        settings_page.register_section(section, for_pms)
    assert len(sections) == before + 1

    assert "Hello PM" in client_for(pm).get(reverse("settings")).content.decode()
    assert "Hello PM" not in client_for(rep).get(reverse("settings")).content.decode()
