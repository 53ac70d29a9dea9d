"""FlatSelect writes what Django's Select writes, without a template per option."""

import pytest
from django import forms
from pytest_django.asserts import assertHTMLEqual

from handoff.models import Role, User
from handoff.web.widgets import FlatSelect
from tests.factories import UserFactory

CHOICES = [("", "Any"), ("a", "Alpha"), ("b", "<Beta & co>"), (3, "Three"), ('q"&', "Quote")]


def both(field_kwargs: dict, data: dict | None) -> tuple[str, str]:
    class Django(forms.Form):
        pick = forms.ChoiceField(**field_kwargs)

    class Flat(forms.Form):
        pick = forms.ChoiceField(widget=FlatSelect, **field_kwargs)

    return str(Django(data)["pick"]), str(Flat(data)["pick"])


@pytest.mark.parametrize("data", [None, {}, {"pick": "b"}, {"pick": "3"}, {"pick": "nope"}])
@pytest.mark.parametrize("required", [True, False])
def test_the_same_html_as_django(data, required):
    django_html, flat_html = both({"choices": CHOICES, "required": required}, data)
    assertHTMLEqual(flat_html, django_html)


def test_labels_are_escaped_and_the_choice_is_selected():
    _, html = both({"choices": CHOICES}, {"pick": "b"})
    assert '<option value="b" selected>&lt;Beta &amp; co&gt;</option>' in html
    assert 'id="id_pick"' in html
    assert '<option value="q&quot;&amp;">Quote</option>' in html


def test_grouped_choices_are_left_to_django():
    grouped = [("Letters", [("a", "Alpha")]), ("Numbers", [("1", "One")])]
    django_html, flat_html = both({"choices": grouped}, None)
    assert "<optgroup" in flat_html
    assert flat_html == django_html


@pytest.mark.django_db
def test_a_select_of_people_reads_their_names_only(django_assert_num_queries):
    ana = UserFactory(first_name="Ana", last_name="Diaz", role=Role.SALES)

    class PeopleForm(forms.Form):
        who = forms.ModelChoiceField(
            queryset=User.objects.only(*User.NAME_FIELDS), widget=FlatSelect
        )

    UserFactory.create_batch(4, role=Role.SALES)
    # The chosen person checked, the choices counted, then read: nothing loaded per person.
    with django_assert_num_queries(3):
        html = str(PeopleForm({"who": ana.pk})["who"])
    assert f'<option value="{ana.pk}" selected>Ana Diaz</option>' in html
