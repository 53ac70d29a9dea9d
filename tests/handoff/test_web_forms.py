"""The shared form pieces: a service's errors on the form, the ISO date input."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from handoff.web.forms import DateInput, ServiceErrorsMixin
from projects import services as project_services
from tests.projects.builders import win


class NoteForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField()


def test_a_service_error_lands_on_its_field_or_on_the_form():
    form = NoteForm({"body": "Hello"})
    assert form.is_valid()
    form.add_service_error(ValidationError({"body": "Too long.", "author": "Not yours."}))
    form.add_service_error(ValidationError("The note was deleted."))
    assert form.errors["body"] == ["Too long."]
    assert form.non_field_errors() == ["Not yours.", "The note was deleted."]


def test_the_date_input_writes_iso_dates_whatever_the_locale():
    html = DateInput().render("on", datetime.date(2026, 12, 21))
    assert 'type="date"' in html and 'value="2026-12-21"' in html


def test_a_delivered_deliverable_shows_its_date_in_the_date_input(rep, pm, client_for):
    project = win(rep, pm)
    project_services.project_accept_handoff(project=project, actor=pm)
    deliverable = project.deliverables.first()
    project_services.deliverable_update_status(
        deliverable=deliverable,
        actor=pm,
        status="delivered",
        delivered_on=timezone.localdate(),
    )

    page = client_for(pm).get(reverse("projects:deliverable_status", args=[deliverable.pk]))

    assert f'value="{timezone.localdate().isoformat()}"' in page.content.decode()
