"""The managers' review rule pages: who may open them, the form's errors, versions, retiring."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals import services
from deals.approvals import round_requirements
from deals.models import ApproverKind, CommitmentKind, ReviewRule
from deals.views_rules import conditions_in_words, requirement_in_words
from handoff.models import Team, TeamKind
from tests.factories import CommitmentFactory, DealFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("deals:review_rules")
NEW = reverse("deals:review_rule_create")


@pytest.fixture
def integration(pm2):
    team = Team.objects.create(name="Integration", kind=TeamKind.DELIVERY, lead=pm2)
    team.members.add(pm2)
    return team


@pytest.fixture
def rule(manager, integration):
    return services.review_rule_create(
        actor=manager,
        data={
            "name": "Integration needs the Integration team",
            "kinds": [CommitmentKind.INTEGRATION],
            "approver": ApproverKind.PM,
            "team": integration,
        },
    )


def edit_url(rule: ReviewRule) -> str:
    return reverse("deals:review_rule_edit", args=[rule.pk])


def retire_url(rule: ReviewRule) -> str:
    return reverse("deals:review_rule_retire", args=[rule.pk])


def form_data(**overrides) -> dict:
    data = {
        "name": "Integration needs two PMs",
        "kinds": ["integration"],
        "min_effort_days": "",
        "promised_within_days": "",
        "min_deal_value": "",
        "value_currency": "",
        "approver": "pm",
        "team": "",
        "approvals_required": "2",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def text(response) -> str:
    return response.content.decode()


# Who may open each page


PAGES = ["list", "create", "edit", "retire"]


def page_url(name: str, rule: ReviewRule) -> str:
    return {"list": LIST, "create": NEW, "edit": edit_url(rule), "retire": retire_url(rule)}[name]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("viewer", ["rep", "pm", "pm2"])
def test_only_managers_open_the_rule_pages(request, rule, viewer, name, client_for):
    http = client_for(request.getfixturevalue(viewer))

    assert http.get(page_url(name, rule)).status_code == 403
    if name != "list":
        assert http.post(page_url(name, rule), form_data()).status_code == 403
    assert ReviewRule.objects.count() == 1 and ReviewRule.objects.get().is_live


@pytest.mark.parametrize("name", PAGES)
def test_the_anonymous_are_sent_to_log_in(rule, name, client):
    response = client.get(page_url(name, rule))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_manager_opens_every_rule_page(rule, manager, name, client_for):
    assert client_for(manager).get(page_url(name, rule)).status_code == 200


def test_an_unknown_rule_is_404(manager, client_for):
    http = client_for(manager)
    assert http.get(reverse("deals:review_rule_edit", args=[999999])).status_code == 404
    assert http.post(reverse("deals:review_rule_retire", args=[999999])).status_code == 404


# The list


def test_the_list_says_each_rule_in_words(rule, manager, client_for):
    services.review_rule_create(
        actor=manager,
        data={
            "name": "Big pricing needs a manager",
            "kinds": ["pricing"],
            "min_deal_value": Decimal("100000"),
            "value_currency": "EUR",
            "approver": ApproverKind.MANAGER,
        },
    )

    page = text(client_for(manager).get(LIST))

    assert "Integration needs the Integration team" in page
    assert "Integration commitments" in page
    assert "Approval by a PM of Integration" in page
    assert "Deals of at least €100,000" in page
    assert "Approval by a manager" in page
    assert "Morgan Lee" in page


def test_an_empty_list_explains_rules_with_an_example(manager, client_for):
    page = text(client_for(manager).get(LIST))

    assert "No review rules yet." in page
    assert "Integration commitments need an approval by a PM of the Integration team." in page
    assert NEW in page


def test_conditions_and_requirements_in_words(manager, integration):
    rule = ReviewRule(
        name="Everything",
        kinds=["integration", "pricing", "scope"],
        min_effort_days=Decimal("10.0"),
        promised_within_days=30,
        min_deal_value=Decimal("100000"),
        value_currency="EUR",
        whole_deal=True,
        approver=ApproverKind.PM,
        team=integration,
        approvals_required=2,
    )

    assert conditions_in_words(rule) == [
        "Scope, pricing or integration commitments",
        "Effort ≥ 10 person-days",
        "Promised within 30 days of submission",
        "Deals of at least €100,000",
        "Every commitment of the deal",
    ]
    assert requirement_in_words(rule) == "2 approvals by a PM of Integration"
    bare = ReviewRule(name="All", approver=ApproverKind.MANAGER, min_deal_value=Decimal("2.5"))
    assert conditions_in_words(bare) == ["Deals of at least 2.5 in any currency"]
    assert requirement_in_words(bare) == "Approval by a manager"
    assert conditions_in_words(ReviewRule(approver=ApproverKind.PM)) == ["Every commitment"]
    assert requirement_in_words(ReviewRule(approver=ApproverKind.PM)) == (
        "Approval by a project manager"
    )


def test_the_list_query_count_is_the_same_for_1_and_many_rules(
    manager, integration, client_for, django_assert_num_queries
):
    http = client_for(manager)

    def add(n: int) -> ReviewRule:
        return services.review_rule_create(
            actor=UserFactory(username=f"boss{n}", role="manager"),
            data={
                "name": f"Rule {n}",
                "kinds": ["integration"],
                "approver": "pm",
                "team": integration,
            },
        )

    first = add(0)
    services.review_rule_update(rule=first, actor=manager, data={"approvals_required": 2})
    with CaptureQueriesContext(connection) as one:
        assert http.get(LIST).status_code == 200
    with CaptureQueriesContext(connection) as one_history:
        assert http.get(LIST, {"history": "1"}).status_code == 200
    for n in range(1, 30):
        services.review_rule_update(rule=add(n), actor=manager, data={"approvals_required": 2})

    with django_assert_num_queries(len(one)):
        response = http.get(LIST)
    assert len(response.context["rows"]) == 30
    with django_assert_num_queries(len(one_history)):
        response = http.get(LIST, {"history": "1"})
    assert len(response.context["history_rows"]) == 25


# Create


def test_a_manager_adds_a_rule(manager, integration, client_for):
    response = client_for(manager).post(
        NEW, form_data(team=str(integration.pk), min_effort_days="10"), follow=True
    )

    rule = ReviewRule.objects.get()
    assert (rule.name, rule.kinds, rule.approver) == (
        "Integration needs two PMs",
        ["integration"],
        "pm",
    )
    assert (rule.team, rule.approvals_required, rule.min_effort_days) == (integration, 2, 10)
    assert rule.created_by == manager and rule.version == 1
    assert "Rule “Integration needs two PMs” added" in text(response)
    assert "2 approvals by a PM of Integration" in text(response)


def test_form_errors_keep_what_was_typed(manager, integration, client_for):
    response = client_for(manager).post(
        NEW,
        form_data(
            name="",
            kinds=["integration", "pricing"],
            min_effort_days="lots",
            promised_within_days="30",
            approver="manager",
            team=str(integration.pk),
            approvals_required="3",
        ),
    )

    page = text(response)
    assert response.status_code == 400
    assert ReviewRule.objects.count() == 0
    form = response.context["form"]
    assert set(form.errors) == {"name", "min_effort_days", "team", "approvals_required"}
    assert "This field is required." in page
    assert "Enter a number." in page
    assert "A manager&#x27;s approval names no team" in page
    assert 'value="integration" id="id_kinds_5" checked' in page
    assert 'value="pricing" id="id_kinds_3" checked' in page
    assert 'name="min_effort_days" value="lots"' in page
    assert 'name="promised_within_days" value="30"' in page
    assert 'value="manager" id="id_approver_1" required checked' in page


def test_the_team_choice_lists_delivery_teams_only(manager, integration, client_for):
    Team.objects.create(name="Field sales", kind=TeamKind.SALES)
    sales = Team.objects.get(name="Field sales")

    page = text(client_for(manager).get(NEW))
    refused = client_for(manager).post(NEW, form_data(team=str(sales.pk)))

    assert "Integration" in page and "Field sales" not in page
    assert refused.status_code == 400 and "team" in refused.context["form"].errors
    assert ReviewRule.objects.count() == 0


def test_numbers_out_of_range_are_field_errors(manager, client_for):
    response = client_for(manager).post(
        NEW,
        form_data(min_effort_days="-1", promised_within_days="99999", min_deal_value="1e12"),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"min_effort_days", "promised_within_days", "min_deal_value"} <= set(errors)


def test_a_currency_without_a_value_is_a_field_error(manager, client_for):
    response = client_for(manager).post(NEW, form_data(value_currency="EUR"))

    assert response.status_code == 400
    assert "min_deal_value" in response.context["form"].errors


# Edit: a new version


def test_the_edit_page_says_which_version_submitted_rounds_keep(rule, manager, client_for):
    page = text(client_for(manager).get(edit_url(rule)))

    assert "This is version 1. Saving writes version 2" in page
    assert "Rounds already submitted keep version 1." in page
    assert 'value="Integration needs the Integration team"' in page
    assert 'value="integration" id="id_kinds_5" checked' in page


def test_saving_writes_the_next_version_and_a_submitted_round_keeps_its_own(
    rule, manager, rep, integration, client_for
):
    deal = DealFactory(owner=rep)
    commitment = CommitmentFactory(deal=deal, kind=CommitmentKind.INTEGRATION)
    services.deal_submit(deal=deal, actor=rep)

    response = client_for(manager).post(
        edit_url(rule),
        form_data(name=rule.name, team=str(integration.pk), approvals_required="2"),
        follow=True,
    )

    newer = ReviewRule.objects.get(key=rule.key, retired_at__isnull=True)
    rule.refresh_from_db()
    assert (newer.version, newer.approvals_required, rule.is_live) == (2, 2, False)
    page = text(response)
    assert "Saved “Integration needs the Integration team” as version 2." in page
    assert "Rounds already submitted keep version 1." in page
    assert "2 approvals by a PM of Integration" in page
    states = round_requirements(deal.rounds.get(), [commitment], {})[commitment.pk]
    assert [s.requirement.rule_id for s in states] == [rule.pk]
    assert [s.label for s in states] == ["Approval by a PM of Integration"]


def test_the_history_shows_each_version(rule, manager, integration, client_for):
    services.review_rule_update(rule=rule, actor=manager, data={"approvals_required": 2})
    http = client_for(manager)

    hidden = text(http.get(LIST))
    shown = text(http.get(LIST, {"history": "1"}))

    assert "Show history" in hidden and "Changed to version 2" not in hidden
    assert "Hide history" in shown
    assert "Changed to version 2 by Morgan Lee" in shown
    assert "Approval by a PM of Integration" in shown  # version 1's requirement
    assert "2 approvals by a PM of Integration" in shown  # the live version


def test_saving_nothing_new_keeps_the_version(rule, manager, integration, client_for):
    response = client_for(manager).post(
        edit_url(rule),
        form_data(name=rule.name, team=str(integration.pk), approvals_required="1"),
        follow=True,
    )

    assert ReviewRule.objects.count() == 1
    assert "Nothing changed" in text(response)


def test_an_edit_with_errors_keeps_what_was_typed_and_changes_nothing(rule, manager, client_for):
    response = client_for(manager).post(
        edit_url(rule), form_data(name="Renamed", approver="", approvals_required="2")
    )

    assert response.status_code == 400
    assert 'value="Renamed"' in text(response)
    assert "approver" in response.context["form"].errors
    assert ReviewRule.objects.count() == 1


def test_a_form_opened_on_a_replaced_version_comes_back_on_the_new_one_with_the_input(
    rule, manager, integration, client_for
):
    newer = services.review_rule_update(
        rule=rule,
        actor=UserFactory(username="boss", role="manager", first_name="Ada", last_name="Byrne"),
        data={"min_effort_days": Decimal("5")},
    )
    http = client_for(manager)

    assert http.get(edit_url(rule))["Location"] == edit_url(newer)
    response = http.post(edit_url(rule), form_data(name="Typed meanwhile"))

    assert response.status_code == 409
    page = text(response)
    assert "Ada Byrne changed this rule since you opened it: it is now version 2." in page
    assert 'value="Typed meanwhile"' in page
    assert f'action="{edit_url(newer)}"' in page
    assert ReviewRule.objects.count() == 2


def test_a_retired_rule_cannot_be_edited(rule, manager, client_for):
    services.review_rule_retire(rule=rule, actor=manager)

    response = client_for(manager).post(edit_url(rule), form_data(), follow=True)

    assert "was retired: a retired rule cannot change." in text(response)
    assert ReviewRule.objects.count() == 1


# Retire


def test_retire_asks_first_on_its_own_page_and_in_a_dialog(rule, manager, client_for):
    http = client_for(manager)

    confirm = text(http.get(retire_url(rule)))
    listed = text(http.get(LIST))

    assert "Retire “Integration needs the Integration team”?" in confirm
    assert "Rounds already submitted keep version 1" in confirm
    assert f'<form method="post" action="{retire_url(rule)}"' in confirm
    assert f'data-opens-dialog="retire-{rule.pk}"' in listed
    assert f'<dialog id="retire-{rule.pk}"' in listed
    assert '<form method="dialog">' in listed
    rule.refresh_from_db()
    assert rule.is_live


def test_retiring_takes_the_rule_off_the_list_and_into_its_history(rule, manager, client_for):
    http = client_for(manager)

    response = http.post(retire_url(rule), follow=True)

    rule.refresh_from_db()
    assert not rule.is_live and rule.retired_by == manager
    page = text(response)
    assert "Rule “Integration needs the Integration team” retired" in page
    assert "No review rules yet." in page
    assert "Retired by Morgan Lee" in text(http.get(LIST, {"history": "1"}))
    assert "was retired" in text(http.post(retire_url(rule), follow=True))


# The settings page


def test_the_settings_page_links_managers_to_the_rules(rule, manager, pm, rep, client_for):
    for_manager = text(client_for(manager).get(reverse("settings")))

    assert "Manage review rules" in for_manager and LIST in for_manager
    assert "1 live rule." in for_manager
    for other in (pm, rep):
        assert "Manage review rules" not in text(client_for(other).get(reverse("settings")))


def test_retiring_a_replaced_version_retires_nothing_and_says_why(rule, manager, client_for):
    newer = services.review_rule_update(rule=rule, actor=manager, data={"approvals_required": 2})

    response = client_for(manager).post(retire_url(rule), follow=True)

    newer.refresh_from_db()
    assert newer.is_live
    assert "since you opened it (now version 2): nothing was retired." in text(response)


@pytest.mark.parametrize("viewer", ["rep", "pm"])
def test_others_get_the_same_refusal_for_a_rule_that_exists_and_one_that_does_not(
    request, rule, viewer, client_for
):
    http = client_for(request.getfixturevalue(viewer))

    for pk in (rule.pk, 999999):
        assert http.get(reverse("deals:review_rule_edit", args=[pk])).status_code == 403
        assert http.get(reverse("deals:review_rule_retire", args=[pk])).status_code == 403
