"""The time-off form's week: any date in it from the picker, or the ISO week, to its Monday."""

import datetime

import pytest
from django.urls import reverse

from projects.forms import CapacityExceptionForm
from projects.models import CapacityException

MONDAY = datetime.date(2027, 1, 11)


@pytest.mark.parametrize(
    "typed",
    [
        "2027-01-11",
        "2027-01-13",
        "2027-01-17",
        "2027-W02",
        "2027-w02",
        "2027W02",
        "2027-W2",
        "2027-W02-3",
    ],
)
def test_a_date_or_an_iso_week_is_the_weeks_monday(typed):
    form = CapacityExceptionForm({"week_start": typed, "days": "0"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["week_start"] == MONDAY


@pytest.mark.parametrize("typed", ["next week", "2027-W54", "2027-02-30", "11/01/2027"])
def test_anything_else_is_a_clear_field_error(typed):
    form = CapacityExceptionForm({"week_start": typed, "days": "0"})

    assert not form.is_valid()
    assert form.errors["week_start"] == [
        "Enter a date in the week, like 2027-01-11, or the week, like 2027-W02."
    ]


def test_the_field_is_a_date_picker_showing_the_monday():
    form = CapacityExceptionForm(initial={"week_start": MONDAY})
    html = str(form["week_start"])

    assert 'type="date"' in html
    assert 'value="2027-01-11"' in html


@pytest.mark.django_db
def test_time_off_from_the_date_picker_counts_from_that_monday(pm, client_for):
    response = client_for(pm).post(
        reverse("projects:time_off_add"), {"week_start": "2027-01-14", "days": "0", "note": "Ski"}
    )

    assert response.status_code == 302
    assert CapacityException.objects.get(pm=pm).week_start == MONDAY
