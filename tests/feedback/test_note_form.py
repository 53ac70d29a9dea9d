"""The note form offers only what fits: the deal's own promises, the direction's own people."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from feedback import services
from feedback.models import FeedbackNote
from handoff.models import Role
from tests.factories import UserFactory
from tests.feedback.conftest import submitted

pytestmark = pytest.mark.django_db


def choices(form, name):
    return set(form.fields[name].queryset)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ops", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_opened_from_a_deal_it_offers_only_that_deals_commitments(client_for, rep, rep2, pm):
    deal, other = submitted(rep), submitted(rep2)

    response = client_for(pm).get(reverse("feedback:note_new"), {"deal": deal.pk})

    form = response.context["form"]
    assert choices(form, "commitment") == set(deal.commitments.all())
    assert not choices(form, "commitment") & set(other.commitments.all())
    assert set(deal.commitments.all()) and set(other.commitments.all())


def test_without_a_deal_it_offers_every_visible_commitment(client_for, rep, rep2, pm):
    deal, other = submitted(rep), submitted(rep2)

    form = client_for(pm).get(reverse("feedback:note_new")).context["form"]

    assert choices(form, "commitment") == {*deal.commitments.all(), *other.commitments.all()}


def test_a_note_to_delivery_offers_delivery_people_only(
    client_for, rep, rep2, pm, manager, admin_user
):
    form = client_for(rep).get(reverse("feedback:note_new")).context["form"]

    assert choices(form, "recipient") == {pm, manager}


def test_a_note_to_sales_offers_sales_people_only(
    client_for, rep, rep2, pm, pm2, manager, admin_user
):
    form = client_for(pm).get(reverse("feedback:note_new")).context["form"]

    assert choices(form, "recipient") == {rep, rep2, manager}


def test_a_manager_gets_the_people_of_the_direction_chosen(client_for, rep, pm, manager):
    http = client_for(manager)

    default = http.get(reverse("feedback:note_new")).context["form"]
    to_sales = http.get(reverse("feedback:note_new"), {"direction": "to_sales"}).context["form"]

    assert choices(default, "recipient") == {pm}
    assert choices(to_sales, "recipient") == {rep}


def test_changing_the_direction_redraws_the_recipients_with_htmx(client_for, rep, pm, manager):
    http = client_for(manager)
    page = http.get(reverse("feedback:note_new")).content.decode()
    assert f'hx-get="{reverse("feedback:note_new")}"' in page
    assert 'hx-select="#field-recipient"' in page

    response = http.get(
        reverse("feedback:note_new"), {"direction": "to_sales", "topic": ""}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="field-recipient"' in body
    recipient = body[body.index('id="field-recipient"') :].split("</div>", 1)[0]
    assert "Rita Reyes" in recipient and "Priya Mehta" not in recipient


def test_a_wrong_recipient_posted_is_a_field_error(client_for, rep, rep2):
    response = client_for(rep).post(
        reverse("feedback:note_new"),
        {"direction": "to_delivery", "recipient": rep2.pk, "topic": "competitor", "body": "x"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["recipient"]
    assert not FeedbackNote.objects.exists()


@pytest.mark.parametrize(
    ("direction", "author", "wrong"),
    [("to_delivery", "rep", "rep2"), ("to_sales", "pm", "pm2"), ("to_sales", "pm", "ops")],
)
def test_the_service_refuses_a_recipient_of_the_wrong_side(
    direction, author, wrong, request, admin_user
):
    users = {"ops": admin_user}
    author = request.getfixturevalue(author)
    wrong = users.get(wrong) or request.getfixturevalue(wrong)

    with pytest.raises(ValidationError) as refused:
        services.note_create(
            author=author, direction=direction, topic="praise", body="x", recipient=wrong
        )

    assert "recipient" in refused.value.message_dict
    assert not FeedbackNote.objects.exists()
