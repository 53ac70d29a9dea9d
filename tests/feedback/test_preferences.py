"""The settings page offers each person the emails that can reach their role, and keeps the rest."""

import pytest
from django.urls import reverse

from feedback.forms import PreferencesForm
from feedback.models import EmailCategory
from feedback.rules import EMAIL_CATEGORY_ROLES
from handoff.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def offered(user) -> set[str]:
    return {name.removeprefix("email_") for name in PreferencesForm(user=user).fields} - {
        "digest_frequency"
    }


def test_every_email_category_says_which_roles_it_reaches():
    assert set(EmailCategory.values) <= set(EMAIL_CATEGORY_ROLES)


def test_a_manager_is_not_offered_review_outcomes_or_deliverables(manager):
    assert "outcomes" not in offered(manager)
    assert "delivery" not in offered(manager)
    assert {"reviews", "escalations", "feedback", "mentions"} <= offered(manager)


def test_a_rep_is_offered_what_reaches_reps_only(rep):
    expected = {c for c in EmailCategory.values if Role.SALES in EMAIL_CATEGORY_ROLES[c]}

    assert offered(rep) == expected
    assert "reminders" not in offered(rep)


def test_a_pm_is_offered_every_category_but_integrations(pm):
    # Only a manager owns a webhook or chat channel, so only a manager hears it was turned off.
    assert offered(pm) == set(EmailCategory.values) - {"integrations"}


def test_an_operator_is_offered_mentions_only():
    admin = UserFactory(username="ops", role=Role.ADMIN)
    assert offered(admin) == {"mentions"}


def test_the_settings_page_shows_the_roles_categories_only(client_for, manager):
    body = client_for(manager).get("/settings/").content.decode()

    assert 'name="email_escalations"' in body
    assert 'name="email_outcomes"' not in body
    assert 'name="email_delivery"' not in body


def test_saving_keeps_the_choices_of_categories_not_shown(client_for, manager):
    manager.email_preferences = {"outcomes": "off"}
    manager.save()
    data = {"digest_frequency": "weekly", "next": "/settings/"}
    data.update({f"email_{c}": "digest" for c in offered(manager)})

    response = client_for(manager).post(reverse("feedback:preferences"), data)

    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.email_preferences["outcomes"] == "off"
    assert manager.email_preferences["escalations"] == "digest"
