"""One domain_errors for every app's pages: a refusal answers the same on deals, projects, feedback."""

import pytest
from django.urls import reverse

from deals.models import DealStatus
from feedback import services as feedback_services
from feedback.models import Direction, Topic
from projects import services as project_services
from tests.deals.builders import deal_in
from tests.projects.builders import win

HTMX = {"HTTP_HX_REQUEST": "true"}


def _deal_submitted_twice(rep, pm, rep2):
    """The rep submits a deal already in review: the transition is not allowed."""
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    return rep, reverse("deals:submit", args=[deal.pk]), deal.get_absolute_url()


def _handoff_accepted_twice(rep, pm, rep2):
    """The PM accepts a handoff already accepted."""
    project = win(rep, pm)
    project_services.project_accept_handoff(project=project, actor=pm)
    return pm, reverse("projects:accept", args=[project.pk]), project.get_absolute_url()


def _note_replied_twice(rep, pm, rep2):
    """A second reply to a note already answered: a concurrent change."""
    note = feedback_services.note_create(
        author=pm, direction=Direction.TO_SALES, topic=Topic.PRAISE, body="Clear brief, thanks."
    )
    feedback_services.note_reply(note=note, actor=rep2, reply="Glad it helped.")
    return rep, reverse("feedback:note_reply", args=[note.pk]), note.get_absolute_url()


REFUSALS = {
    "deals": (_deal_submitted_twice, "cannot submit"),
    "projects": (_handoff_accepted_twice, "was already accepted"),
    "feedback": (_note_replied_twice, "already replied"),
}


@pytest.mark.parametrize("app", REFUSALS)
def test_a_refusal_is_a_message_on_the_page_it_concerns(app, rep, pm, rep2, client_for):
    setup, words = REFUSALS[app]
    actor, url, page = setup(rep, pm, rep2)
    http = client_for(actor)
    data = {"reply": "Me too."}

    response = http.post(url, data, HTTP_REFERER=f"http://testserver{page}")
    assert (response.status_code, response["Location"].removeprefix("http://testserver")) == (
        302,
        page,
    )
    shown = [str(m) for m in http.get(page).context["messages"]]
    assert any(words in m for m in shown), shown

    response = http.post(url, data, HTTP_REFERER=f"http://testserver{page}", **HTMX)
    assert response["HX-Redirect"].removeprefix("http://testserver") == page


FORBIDDEN = {
    "deals": lambda rep, pm, rep2: (
        pm,
        reverse("deals:revise", args=[deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm).pk]),
    ),
    "projects": lambda rep, pm, rep2: (rep, reverse("projects:accept", args=[win(rep, pm).pk])),
    "feedback": lambda rep, pm, rep2: (
        pm,
        reverse(
            "feedback:note_acknowledge",
            args=[
                feedback_services.note_create(
                    author=pm, direction=Direction.TO_SALES, topic=Topic.PRAISE, body="Thanks."
                ).pk
            ],
        ),
    ),
}


@pytest.mark.parametrize("app", FORBIDDEN)
def test_a_forbidden_action_answers_403_and_with_htmx_reloads_with_the_reason(
    app, rep, pm, rep2, client_for
):
    actor, url = FORBIDDEN[app](rep, pm, rep2)
    http = client_for(actor)

    assert http.post(url, {}).status_code == 403
    response = http.post(url, {}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"]
