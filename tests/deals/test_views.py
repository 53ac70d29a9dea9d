"""The deals pages, role by role: what each sees, what each may do, and what is refused."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals import services
from deals.models import Client, Deal, DealStatus, Escalation, EscalationDecision, VerdictKind
from deals.rules import available_actions
from handoff.errors import DomainError
from tests.deals.builders import deal_in, draft_deal
from tests.factories import ClientFactory, DealFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def fresh(deal: Deal) -> Deal:
    return Deal.objects.get(pk=deal.pk)


def submitted(owner) -> Deal:
    deal = draft_deal(owner)
    services.deal_submit(deal=deal, actor=owner)
    return fresh(deal)


def future(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def deal_form_data(chosen: Client, *, rows: list[dict] | None = None, **overrides) -> dict:
    """What a browser posts from the deal form: the deal fields and the commitment rows."""
    rows = rows if rows is not None else []
    data = {
        "title": "Warehouse rollout",
        "client": str(chosen.pk),
        "new_client": "",
        "value": "120000",
        "currency": "EUR",
        "expected_close_date": future(30),
        "expected_start_date": future(45),
        "description": "Three sites.",
        "expected_version": "",
        "commitments-TOTAL_FORMS": str(len(rows)),
        "commitments-INITIAL_FORMS": "0",
        "commitments-MIN_NUM_FORMS": "0",
        "commitments-MAX_NUM_FORMS": "1000",
        **overrides,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"commitments-{index}-{key}"] = value
    return data


def commitment_row(summary: str, **overrides) -> dict:
    return {
        "kind": "timeline",
        "summary": summary,
        "detail": "",
        "promised_date": future(90),
        "effort_days": "12",
        **overrides,
    }


def edit_form_data(deal: Deal, **overrides) -> dict:
    """The edit form as the page renders it for `deal`, ready to change and post."""
    commitments = list(deal.commitments.order_by("id"))
    data = deal_form_data(
        deal.client,
        rows=[
            {
                "id": str(c.pk),
                "deal": str(deal.pk),
                "kind": c.kind,
                "summary": c.summary,
                "detail": c.detail,
                "promised_date": c.promised_date.isoformat(),
                "effort_days": str(c.effort_days),
            }
            for c in commitments
        ],
        title=deal.title,
        value=str(deal.value),
        currency=deal.currency,
        expected_close_date=deal.expected_close_date.isoformat(),
        expected_start_date=deal.expected_start_date.isoformat(),
        description=deal.description,
        expected_version=str(deal.version),
    )
    data["commitments-INITIAL_FORMS"] = str(len(commitments))
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# Signed out


@pytest.mark.parametrize(
    "url",
    [
        "/deals/",
        "/deals/new/",
        "/deals/queue/",
        "/deals/escalations/",
        "/deals/1/",
        "/deals/1/edit/",
        "/deals/new/commitment-row/",
    ],
)
def test_anonymous_is_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_post_is_sent_to_log_in(client):
    response = client.post("/deals/1/submit/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# The deal list


def test_rep_sees_only_own_deals_and_the_new_deal_button(rep, rep2, client_for):
    mine = DealFactory(owner=rep, title="Mine")
    DealFactory(owner=rep2, title="Theirs")

    response = client_for(rep).get(reverse("deals:list"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [mine]
    html = response.content.decode()
    assert "New deal" in html
    assert f'data-status="{DealStatus.DRAFT}"' in html
    assert 'class="status status-draft"' in html


def test_pm_sees_submitted_deals_only_and_no_new_deal_button(rep, pm, client_for):
    DealFactory(owner=rep, title="Never submitted")
    deal = submitted(rep)

    response = client_for(pm).get(reverse("deals:list"))

    assert list(response.context["page"].object_list) == [deal]
    assert "New deal" not in response.content.decode()


def test_manager_sees_every_deal(rep, rep2, manager, client_for):
    DealFactory(owner=rep)
    DealFactory(owner=rep2)

    response = client_for(manager).get(reverse("deals:list"))

    assert response.context["page"].paginator.count == 2
    assert "New deal" in response.content.decode()


def test_empty_state(rep, client_for):
    response = client_for(rep).get(reverse("deals:list"))

    assert "No deals yet" in response.content.decode()


def test_list_filters_by_status_client_owner_and_search(rep, rep2, pm, manager, client_for):
    acme = ClientFactory(name="Acme Logistics")
    draft = DealFactory(owner=rep, title="Fleet tracking", client=acme)
    in_review = submitted(rep)
    other = DealFactory(owner=rep2, title="Payroll")
    http = client_for(manager)

    def titles(**params):
        return {d.title for d in http.get(reverse("deals:list"), params).context["page"]}

    assert titles(status="draft") == {draft.title, other.title}
    assert titles(status="in_review") == {in_review.title}
    assert titles(client=acme.pk) == {draft.title}
    assert titles(owner=rep2.pk) == {other.title}
    assert titles(q="fleet") == {draft.title}
    assert titles(q="acme") == {draft.title}
    assert "No deal matches" in http.get(reverse("deals:list"), {"q": "nothing"}).content.decode()


def test_list_sorts(rep, client_for):
    DealFactory(owner=rep, title="Bravo", value=Decimal("10"))
    DealFactory(owner=rep, title="Alpha", value=Decimal("30"))
    DealFactory(owner=rep, title="Charlie", value=Decimal("20"))
    http = client_for(rep)

    def order(sort):
        return [d.title for d in http.get(reverse("deals:list"), {"sort": sort}).context["page"]]

    assert order("title") == ["Alpha", "Bravo", "Charlie"]
    assert order("value") == ["Alpha", "Charlie", "Bravo"]
    assert order("updated") == ["Charlie", "Alpha", "Bravo"]


def test_list_htmx_answers_the_results_only(rep, client_for):
    DealFactory(owner=rep, title="Fleet tracking")

    response = client_for(rep).get(reverse("deals:list"), {"q": "fleet"}, **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="deal-results">')
    assert "<html" not in html
    assert "Fleet tracking" in html


def test_pagination_keeps_the_filters(rep, client_for):
    for _ in range(30):
        DealFactory(owner=rep)

    response = client_for(rep).get(reverse("deals:list"), {"status": "draft", "sort": "title"})

    html = response.content.decode()
    assert len(response.context["page"].object_list) == 25
    assert "?status=draft&amp;sort=title&amp;page=2" in html
    page2 = client_for(rep).get(reverse("deals:list"), {"status": "draft", "page": 2})
    assert len(page2.context["page"].object_list) == 5


def _queries(http, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


def test_deal_list_query_count_is_the_same_for_1_and_50_deals(
    rep, manager, client_for, django_assert_num_queries
):
    http = client_for(manager)
    DealFactory(owner=rep)
    url = reverse("deals:list")
    with_one = _queries(http, url)
    for _ in range(49):
        DealFactory(owner=rep, client=ClientFactory())

    with django_assert_num_queries(with_one):
        response = http.get(url)
    assert len(response.context["page"].object_list) == 25


def test_the_owner_select_reads_the_reps_once_and_a_refresh_of_the_results_not_at_all(
    rep, manager, client_for
):
    http = client_for(manager)
    DealFactory(owner=rep)
    url = reverse("deals:list")

    def reads_of_reps(**headers) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            response = http.get(url, headers=headers)
        assert response.status_code == 200
        reads = [q["sql"] for q in queries if '"handoff_user"."role" =' in q["sql"]]
        return response.content.decode(), len(reads)

    page, reads = reads_of_reps()
    assert reads == 1
    assert f'<option value="{rep.pk}">{rep.display_name}</option>' in page
    results, reads = reads_of_reps(**{"HX-Request": "true"})
    assert reads == 0
    assert 'name="owner"' not in results


def test_review_queue_query_count_is_the_same_for_1_and_50_deals(
    rep, pm, client_for, django_assert_num_queries
):
    http = client_for(pm)
    submitted(rep)
    url = reverse("deals:queue")
    with_one = _queries(http, url)
    for index in range(49):
        deal = submitted(rep)
        if index % 2:
            services.review_claim(deal=deal, actor=pm)

    with django_assert_num_queries(with_one):
        response = http.get(url)
    assert len(response.context["page"].object_list) == 25


# The deal page and who sees it


@pytest.mark.parametrize(
    ("viewer", "expected"), [("rep", 200), ("rep2", 404), ("pm", 404), ("manager", 200)]
)
def test_a_draft_is_visible_to_its_owner_and_managers(
    request, rep, rep2, pm, manager, client_for, viewer, expected
):
    deal = draft_deal(rep)

    response = client_for(request.getfixturevalue(viewer)).get(deal.get_absolute_url())

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("viewer", "expected"), [("rep", 200), ("rep2", 404), ("pm", 200), ("manager", 200)]
)
def test_a_submitted_deal_is_visible_to_pms(
    request, rep, rep2, pm, manager, client_for, viewer, expected
):
    deal = submitted(rep)

    response = client_for(request.getfixturevalue(viewer)).get(deal.get_absolute_url())

    assert response.status_code == expected


def test_deal_page_shows_fields_sla_commitments_timeline_and_only_the_owners_actions(
    rep, client_for
):
    deal = submitted(rep)

    response = client_for(rep).get(deal.get_absolute_url())

    html = response.content.decode()
    assert 'data-status="in_review"' in html
    # How far the due time is, with the time itself in its title.
    assert re.search(
        r'<time class="deadline" datetime="[^"]+" title="\w{3} \d+ \w{3} \d{4}, \d\d:\d\d">'
        r"due in \d+ (days|h)</time>",
        html,
    )
    assert "Review round 1" in html
    for summary in deal.commitments.values_list("summary", flat=True):
        assert summary in html
    assert "Rita Reyes submitted the deal for review (round 1, due" in html  # the timeline
    assert "Draft → In review" in html
    assert ">Submit for review<" not in html
    assert ">Approve<" not in html
    assert ">Mark as lost<" in html
    assert 'id="comments"' in html


def test_overdue_review_is_marked(rep, pm, client_for):
    deal = submitted(rep)
    deal.rounds.update(due_at=timezone.now() - datetime.timedelta(hours=1))

    page = client_for(pm).get(deal.get_absolute_url()).content.decode()
    queue = client_for(pm).get(reverse("deals:queue")).content.decode()

    assert 'class="overdue"' in page
    assert "overdue" in queue


def test_pm_sees_claim_and_rule_buttons_but_no_owner_actions(rep, pm, client_for):
    deal = submitted(rep)

    html = client_for(pm).get(deal.get_absolute_url()).content.decode()

    assert ">Claim review<" in html
    assert ">Approve<" in html
    assert ">Approve with condition<" in html
    assert ">Flag<" in html
    assert ">Mark as lost<" not in html
    assert ">Revise<" not in html
    assert ">Assign reviewer<" not in html


def test_manager_sees_assign_and_lose_but_no_rulings(rep, manager, client_for):
    deal = submitted(rep)

    html = client_for(manager).get(deal.get_absolute_url()).content.decode()

    assert ">Assign reviewer<" in html
    assert ">Mark as lost<" in html
    assert ">Approve<" not in html


def test_capacity_and_feedback_slots_render_what_a_hook_provides(rep, client_for, monkeypatch):
    from deals import panels

    deal = draft_deal(rep)
    monkeypatch.setattr(
        panels,
        "DEAL_PAGE_PANELS",
        [lambda request, d: {"capacity_check_template": "deals/partials/status.html"}],
    )

    html = client_for(rep).get(deal.get_absolute_url()).content.decode()

    assert html.count(f'data-status="{deal.status}"') == 2


# Create


def test_new_deal_page_for_reps_and_managers_only(rep, pm, manager, client_for):
    assert client_for(rep).get(reverse("deals:create")).status_code == 200
    assert client_for(manager).get(reverse("deals:create")).status_code == 200
    assert client_for(pm).get(reverse("deals:create")).status_code == 403
    assert client_for(pm).post(reverse("deals:create"), {}).status_code == 403


def test_new_deal_form_has_the_labels_people_look_for(rep, client_for):
    html = client_for(rep).get(reverse("deals:create")).content.decode()

    for label in (
        "Title",
        "Client",
        "Value",
        "Currency",
        "Expected close date",
        "Expected start date",
        "Description",
        "Kind",
        "Summary",
        "Detail",
        "Promised date",
        "Effort (days)",
        "Add commitment",
        "Save",
    ):
        assert f">{label}<" in html, label


def test_create_a_deal_with_two_commitments(rep, client_for):
    acme = ClientFactory()
    data = deal_form_data(
        acme, rows=[commitment_row("Go live by June"), commitment_row("Two devs")]
    )

    response = client_for(rep).post(reverse("deals:create"), data)

    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == deal.get_absolute_url()
    assert deal.owner == rep
    assert deal.client == acme
    assert deal.status == DealStatus.DRAFT
    assert sorted(deal.commitments.values_list("summary", flat=True)) == [
        "Go live by June",
        "Two devs",
    ]
    assert deal.events.filter(kind="commitment_added").count() == 2


def test_create_skips_an_untouched_empty_row_and_removed_rows(rep, client_for):
    acme = ClientFactory()
    empty = {"kind": "", "summary": "", "detail": "", "promised_date": "", "effort_days": "0"}
    data = deal_form_data(
        acme,
        rows=[commitment_row("Kept"), commitment_row("Dropped", DELETE="on"), empty],
    )

    client_for(rep).post(reverse("deals:create"), data)

    assert list(Deal.objects.get().commitments.values_list("summary", flat=True)) == ["Kept"]


def test_create_with_a_new_client_by_name(rep, client_for):
    data = deal_form_data(ClientFactory(), client="", new_client="Borealis Shipping")

    client_for(rep).post(reverse("deals:create"), data)

    assert Deal.objects.get().client.name == "Borealis Shipping"


def test_a_new_client_name_that_exists_picks_that_client(rep, client_for):
    acme = ClientFactory(name="Acme")

    client_for(rep).post(
        reverse("deals:create"), deal_form_data(acme, client="", new_client="ACME")
    )

    assert Deal.objects.get().client == acme
    assert Client.objects.count() == 1


def test_validation_errors_show_next_to_the_field_and_keep_what_was_typed(rep, client_for):
    data = deal_form_data(
        ClientFactory(),
        rows=[commitment_row("Typed promise", promised_date="")],
        title="",
        description="Typed description",
    )

    response = client_for(rep).post(reverse("deals:create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Deal.objects.exists()
    assert 'id="id_title_error"' in html
    assert 'id="id_commitments-0-promised_date_error"' in html
    assert 'aria-invalid="true"' in html
    assert "Typed promise" in html
    assert "Typed description" in html


def test_a_client_is_required(rep, client_for):
    response = client_for(rep).post(
        reverse("deals:create"), deal_form_data(ClientFactory(), client="")
    )

    assert "Choose a client" in response.content.decode()
    assert not Deal.objects.exists()


def test_add_commitment_without_javascript_adds_a_row_and_keeps_the_rest(rep, client_for):
    data = deal_form_data(ClientFactory(), rows=[commitment_row("First promise")])
    data["add_commitment"] = "1"

    response = client_for(rep).post(reverse("deals:create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Deal.objects.exists()
    assert 'name="commitments-TOTAL_FORMS" value="2"' in html
    assert 'name="commitments-1-summary"' in html
    assert "Commitment 2" in html
    assert "First promise" in html


def test_add_commitment_with_htmx_returns_the_next_row_and_the_new_count(rep, client_for):
    response = client_for(rep).get(
        reverse("deals:commitment_row"), {"commitments-TOTAL_FORMS": "2"}, **HTMX
    )

    html = response.content.decode()
    assert 'name="commitments-2-summary"' in html
    assert "Commitment 3" in html
    assert 'id="id_commitments-TOTAL_FORMS" hx-swap-oob="true"' in html
    assert 'value="3"' in html


# The client picker: the deal form lists a handful of clients, never the whole table


def client_options(html: str) -> list[str]:
    select = re.search(r'<select name="client"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no client select"
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))


def test_new_deal_form_offers_my_recent_clients_not_every_client(rep, rep2, client_for):
    ClientFactory.create_batch(30)
    mine = ClientFactory(name="Acme Logistics")
    older = ClientFactory(name="Borealis Shipping")
    DealFactory(owner=rep, client=older, updated_at=timezone.now() - datetime.timedelta(days=9))
    DealFactory(owner=rep, client=mine)
    DealFactory(owner=rep, client=mine)
    DealFactory(owner=rep2, client=ClientFactory(name="Someone Else's Client"))

    html = client_for(rep).get(reverse("deals:create")).content.decode()

    assert client_options(html) == ["Choose a client", "Acme Logistics", "Borealis Shipping"]
    assert '<optgroup label="Your recent clients">' in html
    assert '<label for="id_client">Client</label>' in html
    assert '<label for="id_client_search">Find a client</label>' in html
    assert 'aria-describedby="id_client_helptext"' in html


def test_the_edit_form_shows_the_deals_client_chosen(rep, client_for):
    ClientFactory.create_batch(5)
    deal = draft_deal(rep, client=ClientFactory(name="Acme Logistics"))

    html = client_for(rep).get(reverse("deals:edit", args=[deal.pk])).content.decode()

    assert f'<option value="{deal.client_id}" selected>Acme Logistics</option>' in html


def test_without_javascript_search_clients_shows_the_form_again_with_the_matches(rep, client_for):
    ClientFactory(name="Acme Logistics")
    ClientFactory(name="Northern Acme")
    ClientFactory(name="Borealis Shipping")
    data = deal_form_data(
        ClientFactory(name="Zenith"),
        client="",
        client_search="acme",
        find_client="1",
        title="Typed title",
        rows=[commitment_row("Typed promise")],
    )

    response = client_for(rep).post(reverse("deals:create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Deal.objects.exists()
    assert client_options(html) == ["Choose a client", "Acme Logistics", "Northern Acme"]
    assert "2 clients matching “acme”" in html
    assert 'value="Typed title"' in html
    assert 'value="acme"' in html
    assert "Typed promise" in html


def test_the_search_button_is_there_for_browsers_without_javascript(rep, client_for):
    html = client_for(rep).get(reverse("deals:create")).content.decode()

    assert (
        '<noscript><button type="submit" name="find_client" value="1" class="secondary">'
        "Search clients</button></noscript>"
    ) in html


def test_a_client_picked_from_the_search_is_saved_and_kept_on_an_error(rep, client_for):
    ClientFactory.create_batch(10)
    acme = ClientFactory(name="Acme Logistics")
    http = client_for(rep)

    response = http.post(
        reverse("deals:create"), deal_form_data(acme, client_search="acme", title="")
    )

    html = response.content.decode()
    assert 'id="id_title_error"' in html
    assert f'<option value="{acme.pk}" selected>Acme Logistics</option>' in html

    response = http.post(reverse("deals:create"), deal_form_data(acme, client_search="acme"))

    assert response.status_code == 302
    assert Deal.objects.get().client == acme


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "²", "99999999999999999999999"])
def test_a_client_id_that_does_not_exist_is_refused_and_the_typing_kept(rep, client_for, value):
    data = deal_form_data(ClientFactory(), client=value, title="Typed title")

    response = client_for(rep).post(reverse("deals:create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Deal.objects.exists()
    assert "Select a client from the list: that one is not available." in html
    assert "Choose a client, or type" not in html
    assert 'value="Typed title"' in html


def test_a_client_the_user_may_not_pick_is_refused(rep, monkeypatch):
    from deals import forms

    hidden = ClientFactory(name="Hidden Co")
    monkeypatch.setattr(
        forms, "clients_visible_to", lambda user: Client.objects.exclude(pk=hidden.pk)
    )

    form = forms.DealForm(deal_form_data(hidden), user=rep)

    assert not form.is_valid()
    assert form.errors["client"] == ["Select a client from the list: that one is not available."]
    assert "Hidden Co" not in str(form["client"])


def test_a_client_or_a_new_name_is_required(rep):
    from deals.forms import DealForm

    form = DealForm(deal_form_data(ClientFactory(), client="", new_client="  "), user=rep)

    assert not form.is_valid()
    assert form.errors["client"] == ["Choose a client, or type the name of a new one."]


def test_deal_form_query_count_does_not_grow_with_clients(rep, client_for):
    http = client_for(rep)
    for n in range(5):
        DealFactory(owner=rep, client=ClientFactory(name=f"Acme {n}"))
    url = reverse("deals:create")
    search = deal_form_data(ClientFactory(name="Acme Chosen"), client_search="acme", title="")

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert http.get(url).status_code == 200
        with CaptureQueriesContext(connection) as redisplay:
            assert http.post(url, search).status_code == 200
        return len(page), len(redisplay)

    with_five = queries()
    for n in range(195):
        DealFactory(owner=rep, client=ClientFactory(name=f"Acme more {n}"))

    assert queries() == with_five


# The client search (htmx)


def test_client_search_answers_the_select_of_matches_names_starting_with_it_first(rep, client_for):
    ClientFactory(name="Northern Acme")
    ClientFactory(name="Acme Logistics")
    ClientFactory(name="ACME Bank")
    ClientFactory(name="Borealis Shipping")

    response = client_for(rep).get(
        reverse("deals:client_search"), {"client_search": "acme"}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert client_options(html) == [
        "Choose a client",
        "ACME Bank",
        "Acme Logistics",
        "Northern Acme",
    ]
    assert '<optgroup label="Clients matching “acme”">' in html
    assert 'id="id_client_helptext" hx-swap-oob="innerHTML"' in html
    assert "3 clients matching “acme”: pick one in the list." in html


def test_client_search_shows_at_most_20_and_says_to_type_more(manager, client_for):
    for n in range(25):
        ClientFactory(name=f"Acme {n:02d}")

    response = client_for(manager).get(reverse("deals:client_search"), {"client_search": "acme"})

    html = response.content.decode()
    assert len(client_options(html)) == 21
    assert "The first 20 clients matching “acme”: type more of the name" in html


def test_client_search_keeps_the_chosen_client(rep, client_for):
    chosen = ClientFactory(name="Borealis Shipping")
    ClientFactory(name="Acme Logistics")

    response = client_for(rep).get(
        reverse("deals:client_search"), {"client_search": "acme", "client": str(chosen.pk)}
    )

    html = response.content.decode()
    assert client_options(html) == ["Choose a client", "Borealis Shipping", "Acme Logistics"]
    assert f'<option value="{chosen.pk}" selected>Borealis Shipping</option>' in html


def test_client_search_without_text_offers_my_recent_clients(rep, client_for):
    DealFactory(owner=rep, client=ClientFactory(name="Acme Logistics"))
    ClientFactory(name="Borealis Shipping")

    html = client_for(rep).get(reverse("deals:client_search")).content.decode()

    assert client_options(html) == ["Choose a client", "Acme Logistics"]


def test_client_search_says_when_nothing_matches(rep, client_for):
    ClientFactory(name="Acme Logistics")

    html = client_for(rep).get(reverse("deals:client_search"), {"client_search": "zz"}).content
    html = html.decode()

    assert client_options(html) == ["Choose a client"]
    assert "No client matches “zz”." in html


def test_client_search_is_for_those_who_create_deals(rep, pm, manager, client, client_for):
    url = reverse("deals:client_search")

    assert client_for(rep).get(url, {"client_search": "a"}).status_code == 200
    assert client_for(manager).get(url, {"client_search": "a"}).status_code == 200
    assert client_for(pm).get(url, {"client_search": "a"}).status_code == 403
    anonymous = client.get(url, {"client_search": "a"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert client_for(rep).post(url).status_code == 405


def test_client_search_query_count_does_not_grow_with_matches(
    rep, client_for, django_assert_num_queries
):
    http = client_for(rep)
    url = reverse("deals:client_search")
    chosen = ClientFactory(name="Chosen")
    params = {"client_search": "acme", "client": str(chosen.pk)}
    ClientFactory(name="Acme 0")
    with CaptureQueriesContext(connection) as with_one:
        http.get(url, params)
    for n in range(1, 60):
        ClientFactory(name=f"Acme {n}")

    with django_assert_num_queries(len(with_one)):
        http.get(url, params)


# Edit


def test_edit_changes_the_deal_and_its_commitments_in_one_go(rep, client_for):
    deal = draft_deal(rep)
    first, _second = deal.commitments.order_by("id")
    data = edit_form_data(deal, title="Renamed")
    data["commitments-0-summary"] = "Changed promise"
    data["commitments-1-DELETE"] = "on"
    data["commitments-TOTAL_FORMS"] = "3"
    for key, value in commitment_row("Added promise").items():
        data[f"commitments-2-{key}"] = value

    response = client_for(rep).post(reverse("deals:edit", args=[deal.pk]), data)

    assert response.status_code == 302
    deal = fresh(deal)
    assert deal.title == "Renamed"
    assert sorted(deal.commitments.values_list("summary", flat=True)) == [
        "Added promise",
        "Changed promise",
    ]
    first.refresh_from_db()
    assert first.version == 2


def test_edit_with_a_stale_version_says_so_and_keeps_the_form(rep, client_for):
    deal = draft_deal(rep)
    data = edit_form_data(deal, title="My change")
    services.deal_update(deal=deal, actor=rep, data={"title": "Their change"})

    response = client_for(rep).post(reverse("deals:edit", args=[deal.pk]), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this deal" in html
    assert 'value="My change"' in html
    assert fresh(deal).title == "Their change"


def test_a_failure_half_way_saves_nothing(rep, client_for, monkeypatch):
    deal = draft_deal(rep)
    data = edit_form_data(deal, title="Renamed")
    data["commitments-1-DELETE"] = "on"

    def refuse(**kwargs):
        raise DomainError("Refused.", code="refused")

    monkeypatch.setattr(services, "commitment_remove", refuse)
    response = client_for(rep).post(reverse("deals:edit", args=[deal.pk]), data)

    assert "Refused." in response.content.decode()
    assert fresh(deal).title != "Renamed"
    assert deal.commitments.count() == 2


@pytest.mark.parametrize(("viewer", "expected"), [("rep2", 404), ("manager", 403)])
def test_only_the_owner_edits(request, rep, rep2, manager, client_for, viewer, expected):
    deal = draft_deal(rep)
    http = client_for(request.getfixturevalue(viewer))

    assert http.get(reverse("deals:edit", args=[deal.pk])).status_code == expected
    assert (
        http.post(reverse("deals:edit", args=[deal.pk]), edit_form_data(deal)).status_code
        == expected
    )


def test_edit_in_review_points_to_revise(rep, pm, client_for):
    deal = submitted(rep)

    response = client_for(rep).get(reverse("deals:edit", args=[deal.pk]), follow=True)

    assert response.redirect_chain[-1][0] == deal.get_absolute_url()
    assert any("revise it first" in m for m in messages_of(response))
    assert client_for(pm).get(reverse("deals:edit", args=[deal.pk])).status_code == 403


# The review workflow through the buttons


def post(http, name, deal, data=None, **extra):
    return http.post(reverse(f"deals:{name}", args=[deal.pk]), data or {}, **extra)


def test_submit_claim_rule_request_changes_revise_resubmit_sign_off_win(rep, pm, client_for):
    rep_http, pm_http = client_for(rep), client_for(pm)
    deal = draft_deal(rep)
    first, second = deal.commitments.order_by("id")

    assert post(rep_http, "submit", deal).status_code == 302
    assert fresh(deal).status == DealStatus.IN_REVIEW

    assert post(pm_http, "claim", deal).status_code == 302
    assert fresh(deal).rounds.get().reviewer == pm

    rule = reverse("deals:rule", args=[deal.pk, first.pk])
    pm_http.post(
        rule, {f"rule-{first.pk}-verdict": "flagged", f"rule-{first.pk}-reason": "Too soon"}
    )
    rule = reverse("deals:rule", args=[deal.pk, second.pk])
    pm_http.post(rule, {f"rule-{second.pk}-verdict": "approved"})
    assert ">Request changes<" in pm_http.get(deal.get_absolute_url()).content.decode()

    assert post(pm_http, "request_changes", deal).status_code == 302
    assert fresh(deal).status == DealStatus.CHANGES_REQUESTED

    assert post(rep_http, "revise", deal).status_code == 302
    assert fresh(deal).status == DealStatus.DRAFT
    assert post(rep_http, "submit", deal).status_code == 302
    assert fresh(deal).rounds.count() == 2

    for commitment in (first, second):
        rule = reverse("deals:rule", args=[deal.pk, commitment.pk])
        pm_http.post(rule, {f"rule-{commitment.pk}-verdict": "approved"})
    page = pm_http.get(deal.get_absolute_url()).content.decode()
    assert ">Sign off<" in page
    assert "Earlier rounds (1)" in page

    assert post(pm_http, "sign_off", deal).status_code == 302
    assert fresh(deal).status == DealStatus.SIGNED_OFF
    assert "Signed off by" in rep_http.get(deal.get_absolute_url()).content.decode()

    assert post(rep_http, "win", deal).status_code == 302
    assert fresh(deal).status == DealStatus.WON


def test_ruling_with_htmx_answers_the_commitment_block_and_the_actions(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    first, second = deal.commitments.order_by("id")
    services.commitment_rule(commitment=first, actor=pm, verdict=VerdictKind.APPROVED)

    response = client_for(pm).post(
        reverse("deals:rule", args=[deal.pk, second.pk]),
        {
            f"rule-{second.pk}-verdict": "approved_with_condition",
            f"rule-{second.pk}-condition": "Only with a named architect",
        },
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    # The commitments and the review's next step, the side column out of band.
    assert html.lstrip().startswith('<section id="commitments"')
    assert f'id="commitment-{second.pk}"' in html
    assert 'data-verdict="approved_with_condition"' in html
    assert "Only with a named architect" in html
    assert (
        '<aside id="deal-side" class="deal-side" aria-label="Deal facts and actions" hx-swap-oob="true">'
        in html
    )
    assert "2 of 2 approvals</strong> given" in html
    assert 'data-confirm-dialog="confirm-sign_off"' in html
    assert ">Sign off<" in html
    assert "<html" not in html


def test_a_flag_without_a_reason_shows_the_error_next_to_the_reason(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()
    url = reverse("deals:rule", args=[deal.pk, commitment.pk])
    data = {
        f"rule-{commitment.pk}-verdict": "flagged",
        f"rule-{commitment.pk}-counter_effort_days": "20",
    }

    for extra in ({}, HTMX):
        response = client_for(pm).post(url, data, **extra)
        html = response.content.decode()
        assert response.status_code == 200
        assert f'id="id_rule-{commitment.pk}-reason_error"' in html
        assert "Say why you flag" in html
        assert 'value="20"' in html
    assert not commitment.verdicts.exists()


def test_ruling_without_javascript_redirects_back_to_the_commitment(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()

    response = client_for(pm).post(
        reverse("deals:rule", args=[deal.pk, commitment.pk]),
        {
            f"rule-{commitment.pk}-verdict": "flagged",
            f"rule-{commitment.pk}-reason": "Needs a second team",
            f"rule-{commitment.pk}-counter_date": future(120),
        },
    )

    assert response["Location"] == f"{deal.get_absolute_url()}#commitment-{commitment.pk}"
    verdict = commitment.verdicts.get()
    assert verdict.verdict == VerdictKind.FLAGGED
    assert verdict.counter_date is not None


def test_a_rep_cannot_rule(rep, pm, client_for):
    deal = submitted(rep)
    commitment = deal.commitments.first()

    response = client_for(rep).post(
        reverse("deals:rule", args=[deal.pk, commitment.pk]),
        {f"rule-{commitment.pk}-verdict": "approved"},
    )

    assert response.status_code == 403
    assert not commitment.verdicts.exists()


def test_a_refusal_with_htmx_reloads_the_page_with_the_reason(rep, pm, pm2, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()

    http = client_for(pm2)

    response = http.post(
        reverse("deals:rule", args=[deal.pk, commitment.pk]),
        {f"rule-{commitment.pk}-verdict": "approved"},
        **HTMX,
    )

    assert response["HX-Redirect"] == deal.get_absolute_url()
    page = http.get(deal.get_absolute_url())
    assert any("claimed by" in m for m in messages_of(page))


def test_a_second_pm_cannot_rule_on_a_claimed_review(rep, pm, pm2, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()

    html = client_for(pm2).get(deal.get_absolute_url()).content.decode()
    response = client_for(pm2).post(
        reverse("deals:rule", args=[deal.pk, commitment.pk]),
        {f"rule-{commitment.pk}-verdict": "approved"},
    )

    assert ">Approve<" not in html
    assert response.status_code == 403


def test_someone_elses_deal_answers_404_to_actions(rep, rep2, client_for):
    deal = draft_deal(rep)

    assert post(client_for(rep2), "submit", deal).status_code == 404
    assert fresh(deal).status == DealStatus.DRAFT


def test_a_visible_deal_but_not_my_action_answers_403(rep, pm, client_for):
    deal = submitted(rep)

    assert post(client_for(pm), "revise", deal).status_code == 403
    assert post(client_for(pm), "lose", deal, {"lose-reason": "No"}).status_code == 403


def test_a_transition_not_allowed_now_is_a_message_on_the_deal_page(rep, client_for):
    deal = submitted(rep)

    response = post(client_for(rep), "submit", deal, follow=True)

    assert response.redirect_chain[-1][0] == deal.get_absolute_url()
    assert any("cannot submit" in m for m in messages_of(response))


def test_a_transition_not_allowed_with_htmx_redirects_the_browser(rep, client_for):
    deal = submitted(rep)

    response = post(client_for(rep), "submit", deal, **HTMX)

    assert response["HX-Redirect"] == deal.get_absolute_url()


def test_sign_off_before_ruling_everything_is_refused_with_a_message(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    response = post(client_for(pm), "sign_off", deal, follow=True)

    assert any("Rule on every commitment" in m for m in messages_of(response))
    assert fresh(deal).status == DealStatus.IN_REVIEW


def test_revise_after_sign_off_asks_for_confirmation_and_voids_it(rep, pm, client_for):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)

    html = client_for(rep).get(deal.get_absolute_url()).content.decode()
    assert 'data-confirm-dialog="confirm-revise"' in html
    assert "This voids the sign-off" in html
    confirm = client_for(rep).get(reverse("deals:revise", args=[deal.pk]))
    assert confirm.status_code == 200
    assert "Are you sure you want to revise" in confirm.content.decode()

    post(client_for(rep), "revise", deal)

    assert fresh(deal).status == DealStatus.DRAFT
    assert fresh(deal).events.filter(kind="sign_off_voided").exists()


def test_mark_as_lost_needs_a_reason(rep, client_for):
    deal = draft_deal(rep)

    response = post(client_for(rep), "lose", deal, {"lose-reason": ""})

    assert response.status_code == 200
    assert 'id="id_lose-reason_error"' in response.content.decode()
    assert fresh(deal).status == DealStatus.DRAFT

    post(client_for(rep), "lose", deal, {"lose-reason": "Budget cut"})

    assert fresh(deal).status == DealStatus.LOST
    assert fresh(deal).lost_reason == "Budget cut"


def test_manager_assigns_a_reviewer(rep, pm, manager, client_for):
    deal = submitted(rep)

    post(client_for(manager), "assign", deal, {"assign-reviewer": pm.pk})

    assert fresh(deal).rounds.get().reviewer == pm


def test_manager_marks_a_signed_off_deal_as_won(rep, pm, manager, client_for):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)

    post(client_for(manager), "win", deal)

    assert fresh(deal).status == DealStatus.WON


# Escalations


def test_rep_escalates_a_flag_and_a_manager_overrules_it(rep, pm, manager, client_for):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    url = reverse("deals:escalate", args=[deal.pk, flag.pk])

    assert ">Escalate<" in client_for(rep).get(deal.get_absolute_url()).content.decode()
    response = client_for(rep).post(url, {f"escalate-{flag.pk}-argument": ""})
    assert f'id="id_escalate-{flag.pk}-argument_error"' in response.content.decode()
    client_for(rep).post(url, {f"escalate-{flag.pk}-argument": "The client agreed to June"})
    escalation = Escalation.objects.get()

    page = client_for(manager).get(reverse("deals:escalations")).content.decode()
    assert "The client agreed to June" in page
    assert flag.reason in page

    decide = reverse("deals:escalation_decide", args=[escalation.pk])
    response = client_for(manager).post(decide, {f"decide-{escalation.pk}-decision": "overruled"})
    assert f'id="id_decide-{escalation.pk}-reason_error"' in response.content.decode()
    response = client_for(manager).post(
        decide,
        {f"decide-{escalation.pk}-decision": "overruled", f"decide-{escalation.pk}-reason": "OK"},
        follow=True,
    )
    assert "Escalation decided: flag overruled." in messages_of(response)

    escalation.refresh_from_db()
    assert escalation.decision == EscalationDecision.OVERRULED
    assert "Flag overruled" in client_for(rep).get(deal.get_absolute_url()).content.decode()


@pytest.mark.parametrize(("viewer", "expected"), [("rep", 403), ("pm", 403), ("manager", 200)])
def test_escalations_page_is_for_managers(request, rep, pm, manager, client_for, viewer, expected):
    response = client_for(request.getfixturevalue(viewer)).get(reverse("deals:escalations"))

    assert response.status_code == expected


def test_escalations_page_query_count_is_constant(
    rep, pm, manager, client_for, django_assert_num_queries
):
    def escalate():
        deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
        flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
        services.verdict_escalate(verdict=flag, actor=rep, argument="Please")

    http = client_for(manager)
    escalate()
    with_one = _queries(http, reverse("deals:escalations"))
    for _ in range(4):
        escalate()

    with django_assert_num_queries(with_one):
        http.get(reverse("deals:escalations"))


def test_pm_cannot_decide_an_escalation(rep, pm, client_for):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    escalation = services.verdict_escalate(verdict=flag, actor=rep, argument="Please")

    response = client_for(pm).post(
        reverse("deals:escalation_decide", args=[escalation.pk]),
        {f"decide-{escalation.pk}-decision": "upheld", f"decide-{escalation.pk}-reason": "No"},
    )

    assert response.status_code == 403


# Review queue


@pytest.mark.parametrize(("viewer", "expected"), [("rep", 403), ("pm", 200), ("manager", 200)])
def test_review_queue_is_for_pms_and_managers(
    request, rep, pm, manager, client_for, viewer, expected
):
    response = client_for(request.getfixturevalue(viewer)).get(reverse("deals:queue"))

    assert response.status_code == expected


def test_review_queue_lists_the_soonest_due_first_and_offers_claim(rep, pm, client_for):
    later = submitted(rep)
    sooner = submitted(rep)
    sooner.rounds.update(due_at=timezone.now() - datetime.timedelta(hours=2))

    response = client_for(pm).get(reverse("deals:queue"))

    assert [r.deal for r in response.context["page"]] == [sooner, later]
    html = response.content.decode()
    assert html.count(">Claim review<") == 2
    assert "overdue" in html


def test_claim_from_the_queue_opens_the_deal(rep, pm, client_for):
    deal = submitted(rep)

    response = post(client_for(pm), "claim", deal)

    assert response["Location"] == deal.get_absolute_url()
    assert "Claim review" not in client_for(pm).get(reverse("deals:queue")).content.decode()


# Comments


def test_comment_with_a_mention_is_posted_and_the_mention_is_bold(rep, pm, client_for):
    deal = submitted(rep)

    response = client_for(rep).post(
        reverse("deals:comment", args=[deal.pk]), {"comment-body": "Can you check, @pm? <b>x</b>"}
    )

    assert response["Location"] == f"{deal.get_absolute_url()}#comments"
    html = client_for(pm).get(deal.get_absolute_url()).content.decode()
    assert "<strong>@pm</strong>" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert list(deal.comments.get().mentions.all()) == [pm]


def test_empty_comment_shows_an_error(rep, client_for):
    deal = draft_deal(rep)

    response = client_for(rep).post(reverse("deals:comment", args=[deal.pk]), {"comment-body": ""})

    assert 'id="id_comment-body_error"' in response.content.decode()
    assert not deal.comments.exists()


def test_someone_who_cannot_see_the_deal_cannot_comment(rep, rep2, client_for):
    deal = draft_deal(rep)

    response = client_for(rep2).post(
        reverse("deals:comment", args=[deal.pk]), {"comment-body": "Hi"}
    )

    assert response.status_code == 404


# One place decides which actions a page offers


@pytest.mark.parametrize(
    ("status", "who", "expected"),
    [
        ("draft", "rep", {"comment", "edit", "submit", "lose"}),
        ("draft", "manager", {"comment", "lose"}),
        ("in_review", "rep", {"comment", "lose"}),
        (
            "in_review",
            "pm",
            {"comment", "rule", "request_changes", "sign_off", "assign", "release"},
        ),
        ("in_review", "pm2", {"comment"}),
        ("in_review", "manager", {"comment", "assign", "lose"}),
        # Editing revises a deal whose changes were requested: no separate Revise button.
        ("changes_requested", "rep", {"comment", "edit", "submit", "escalate", "lose"}),
        ("changes_requested", "pm", {"comment"}),
        ("signed_off", "rep", {"comment", "revise", "win", "lose"}),
        ("signed_off", "manager", {"comment", "win", "lose"}),
        ("won", "rep", {"comment"}),
        ("lost", "rep", {"comment"}),
    ],
)
def test_available_actions(request, rep, pm, pm2, manager, status, who, expected):
    deal = deal_in(status, owner=rep, pm=pm)
    open_round = deal.rounds.filter(decided_at__isnull=True).first()

    assert available_actions(request.getfixturevalue(who), deal, open_round) == expected


def test_deal_page_query_count_does_not_grow_with_commitments_and_rounds(
    rep, pm, client_for, monkeypatch
):
    from deals import panels

    # Other apps' sections are measured by their own tests.
    monkeypatch.setattr(panels, "DEAL_PAGE_PANELS", [])

    def resubmitted(commitments: int) -> Deal:
        deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm, commitments=commitments)
        flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
        services.verdict_escalate(verdict=flag, actor=rep, argument="Please")
        services.comment_add(deal=deal, actor=rep, body="Over to you, @pm")
        services.deal_revise(deal=deal, actor=rep)
        services.deal_submit(deal=deal, actor=rep)
        for commitment in deal.commitments.all():
            services.commitment_rule(commitment=commitment, actor=pm, verdict=VerdictKind.APPROVED)
        return deal

    small, large = resubmitted(2), resubmitted(8)
    http = client_for(pm)
    _queries(http, small.get_absolute_url())  # fills the caches (what history says, for one)

    assert _queries(http, small.get_absolute_url()) == _queries(http, large.get_absolute_url())


# The record layout: rows, badges, requirements, the next step


def flagged_with_counter(rep, pm) -> Deal:
    """Changes requested: the first commitment flagged with a counter-proposal, the second approved."""
    deal = draft_deal(rep)
    first, second = deal.commitments.order_by("id")
    services.deal_submit(deal=deal, actor=rep)
    services.commitment_rule(
        commitment=first,
        actor=pm,
        verdict=VerdictKind.FLAGGED,
        reason="The ERP vendor needs a month",
        counter_date=first.promised_date + datetime.timedelta(days=14),
        counter_effort_days=Decimal("15"),
    )
    services.commitment_rule(commitment=second, actor=pm, verdict=VerdictKind.APPROVED)
    services.deal_request_changes(deal=deal, actor=pm)
    return fresh(deal)


def integration_rule(manager, member):
    from handoff.models import TeamKind
    from tests.factories import TeamFactory

    team = TeamFactory(name="Integration", kind=TeamKind.DELIVERY)
    team.members.add(member)
    return services.review_rule_create(
        actor=manager,
        data={"name": "Integration", "kinds": ["integration"], "approver": "pm", "team": team},
    )


def test_the_lead_reviewer_sees_which_commitments_need_a_ruling_and_why_sign_off_waits(
    rep, pm, client_for
):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    first, _second = deal.commitments.order_by("id")
    services.commitment_rule(commitment=first, actor=pm, verdict=VerdictKind.APPROVED)

    html = client_for(pm).get(deal.get_absolute_url()).content.decode()

    assert html.count(">Needs your ruling<") == 1
    assert ">Approved<" in html
    assert "Approval by the lead reviewer — Priya Mehta ✓" in html
    assert "Approval by the lead reviewer — waiting" in html
    assert "1 of 2 approvals</strong> given" in html
    assert "1 needs your ruling" in html
    assert "Lead reviewer: Priya Mehta" in html
    # Disabled, with the rule's own reason.
    assert 'disabled aria-describedby="sign-off-why">Sign off</button>' in html
    assert "Rule on every commitment first: 1 still without a verdict." in html
    assert "Change ruling" in html  # the approved one collapsed to its verdict


def test_requirements_name_who_approved_and_who_is_waited_for(rep, pm, pm2, manager, client_for):
    integration_rule(manager, pm2)
    deal = draft_deal(rep)
    first, second = deal.commitments.order_by("id")
    first.kind = "integration"
    first.save()
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    services.commitment_rule(commitment=second, actor=pm, verdict=VerdictKind.APPROVED)

    lead = client_for(pm).get(deal.get_absolute_url()).content.decode()
    tom = client_for(pm2).get(deal.get_absolute_url()).content.decode()

    assert "Approval by a PM of Integration — waiting" in lead
    assert "Approvals are missing: &#x27;" in lead or "Approvals are missing" in lead
    assert lead.count(">Needs your ruling<") == 0  # the lead cannot meet the integration rule
    assert tom.count(">Needs your ruling<") == 1
    assert ">Approve<" in tom
    assert "Sign off</button>" not in tom  # only the lead reviewer decides

    services.commitment_rule(commitment=first, actor=pm2, verdict=VerdictKind.APPROVED)
    lead = client_for(pm).get(deal.get_absolute_url()).content.decode()
    assert "Approval by a PM of Integration — Tom Berg ✓" in lead
    assert 'data-confirm-dialog="confirm-sign_off"' in lead


def test_carried_approvals_show_their_round_and_need_no_ruling(rep, pm, client_for):
    deal = flagged_with_counter(rep, pm)
    first, _second = deal.commitments.order_by("id")
    services.commitment_update(commitment=first, actor=rep, data={"summary": "Sync, revised"})
    services.deal_submit(deal=deal, actor=rep)

    html = client_for(pm).get(deal.get_absolute_url()).content.decode()

    assert ">Carried from round 1 · approved by Priya Mehta<" in html
    assert "Approval by the lead reviewer — Priya Mehta ✓ (carried from round 1)" in html
    assert html.count(">Needs your ruling<") == 1
    assert "1 of 2 approvals</strong> given" in html


def test_the_owner_is_offered_the_counter_proposal_with_what_it_changes(rep, pm, client_for):
    deal = flagged_with_counter(rep, pm)
    first = deal.commitments.order_by("id").first()
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    proposed = first.promised_date + datetime.timedelta(days=14)

    owner = client_for(rep).get(deal.get_absolute_url()).content.decode()
    reviewer = client_for(pm).get(deal.get_absolute_url()).content.decode()

    assert ">Accept counter-proposal<" in owner
    assert reverse("deals:accept_counter", args=[deal.pk, flag.pk]) in owner
    assert (
        f"Promised date {first.promised_date:%-d %b %Y} → {proposed:%-d %b %Y}, "
        "effort 5 → 15 person-days" in owner
    )
    assert ">Accept counter-proposal<" not in reviewer
    assert ">Flagged<" in owner


def test_accepting_a_counter_proposal_makes_a_draft_ready_to_submit(rep, pm, client_for):
    deal = flagged_with_counter(rep, pm)
    first = deal.commitments.order_by("id").first()
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    url = reverse("deals:accept_counter", args=[deal.pk, flag.pk])

    response = client_for(rep).post(url, follow=True)

    assert response.redirect_chain[-1][0] == f"{deal.get_absolute_url()}#commitment-{first.pk}"
    assert any(
        m.startswith("Counter-proposal accepted: promised date") for m in messages_of(response)
    )
    html = response.content.decode()
    assert 'data-status="draft"' in html
    assert ">Submit for review<" in html
    assert ">Accept counter-proposal<" not in html
    first.refresh_from_db()
    assert first.effort_days == Decimal("15") and first.version == 2

    again = client_for(rep).post(url, follow=True)
    assert any("already accepted" in m for m in messages_of(again))


@pytest.mark.parametrize(("who", "expected"), [("rep2", 404), ("pm", 403), ("manager", 403)])
def test_only_the_owner_accepts_a_counter_proposal(request, rep, pm, client_for, who, expected):
    request.getfixturevalue("rep2")
    request.getfixturevalue("manager")
    deal = flagged_with_counter(rep, pm)
    flag = deal.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)
    url = reverse("deals:accept_counter", args=[deal.pk, flag.pk])

    assert client_for(request.getfixturevalue(who)).post(url).status_code == expected
    assert client_for(rep).get(url).status_code == 405
    assert fresh(deal).status == DealStatus.CHANGES_REQUESTED


def test_a_verdict_of_another_deal_answers_404(rep, pm, client_for):
    deal = flagged_with_counter(rep, pm)
    other = flagged_with_counter(rep, pm)
    flag = other.rounds.get().verdicts.get(verdict=VerdictKind.FLAGGED)

    response = client_for(rep).post(reverse("deals:accept_counter", args=[deal.pk, flag.pk]))

    assert response.status_code == 404


def test_the_lead_reviewer_releases_the_review_with_a_note(rep, pm, pm2, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    html = client_for(pm).get(deal.get_absolute_url()).content.decode()
    assert ">Release review<" in html and ">Hand on<" in html

    response = post(client_for(pm), "release", deal, {"release-note": "Off until Monday"})

    assert response.status_code == 302
    assert fresh(deal).rounds.get().reviewer is None
    assert fresh(deal).events.filter(kind="released", reason="Off until Monday").exists()
    assert ">Claim review<" in client_for(pm2).get(deal.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("who", "expected"), [("pm2", 403), ("rep", 403), ("manager", 403), ("rep2", 404)]
)
def test_only_the_lead_reviewer_releases(request, rep, pm, client_for, who, expected):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    response = post(client_for(request.getfixturevalue(who)), "release", deal)

    assert response.status_code == expected
    assert fresh(deal).rounds.get().reviewer == pm


def test_a_release_note_too_long_is_a_field_error(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    response = post(client_for(pm), "release", deal, {"release-note": "x" * 2001})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_release-note_error"' in html
    assert '<details class="disclosure" open>' in html
    assert fresh(deal).rounds.get().reviewer == pm


def test_the_lead_reviewer_hands_the_review_on(rep, pm, pm2, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    html = client_for(pm).get(deal.get_absolute_url()).content.decode()
    assert f'<option value="{pm.pk}"' not in html  # not to oneself
    assert f'<option value="{pm2.pk}">Tom Berg</option>' in html

    response = post(
        client_for(pm), "hand_on", deal, {"hand_on-reviewer": pm2.pk, "hand_on-note": "ERP"}
    )

    assert response.status_code == 302
    assert fresh(deal).rounds.get().reviewer == pm2
    event = fresh(deal).events.get(kind="assigned")
    assert event.data["handed_on"] is True and event.reason == "ERP"


def test_handing_on_to_oneself_or_nobody_is_a_field_error(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    for data in ({"hand_on-reviewer": pm.pk}, {"hand_on-reviewer": ""}):
        response = post(client_for(pm), "hand_on", deal, data)
        assert response.status_code == 200
        assert 'id="id_hand_on-reviewer_error"' in response.content.decode()
    assert fresh(deal).rounds.get().reviewer == pm


@pytest.mark.parametrize(("who", "expected"), [("pm2", 403), ("rep", 403), ("rep2", 404)])
def test_only_the_lead_reviewer_or_a_manager_hands_on(
    request, rep, pm, pm2, client_for, who, expected
):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    response = post(
        client_for(request.getfixturevalue(who)), "hand_on", deal, {"hand_on-reviewer": pm2.pk}
    )

    assert response.status_code == expected
    assert fresh(deal).rounds.get().reviewer == pm


def test_a_manager_keeps_assign(rep, pm, pm2, manager, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    html = client_for(manager).get(deal.get_absolute_url()).content.decode()

    assert ">Assign reviewer<" in html
    assert ">Hand on<" not in html and ">Release review<" not in html
    # Handing on is assigning: a manager may do it by that route too.
    response = post(client_for(manager), "hand_on", deal, {"hand_on-reviewer": pm2.pk})
    assert response.status_code == 302
    assert fresh(deal).rounds.get().reviewer == pm2
    assert fresh(deal).events.get(kind="assigned").data["handed_on"] is False


# Confirmations before what cannot be undone, with and without JavaScript


@pytest.mark.parametrize(
    ("action", "status", "who", "says"),
    [
        ("sign_off", DealStatus.IN_REVIEW, "pm", "Are you sure you want to sign off"),
        ("request_changes", "flagged", "pm", "Are you sure you want to request changes on"),
        ("win", DealStatus.SIGNED_OFF, "rep", "creates its project"),
        ("lose", DealStatus.DRAFT, "rep", "Are you sure you want to mark as lost"),
        ("revise", DealStatus.SIGNED_OFF, "rep", "This voids the sign-off"),
    ],
)
def test_a_confirmation_page_asks_first_and_its_form_acts(
    request, rep, pm, client_for, action, status, who, says
):
    flagged = status == "flagged"
    deal = deal_in(DealStatus.IN_REVIEW if flagged else status, owner=rep, pm=pm, flagged=flagged)
    http = client_for(request.getfixturevalue(who))
    url = reverse(f"deals:{action}", args=[deal.pk])
    page_html = http.get(deal.get_absolute_url()).content.decode()
    assert f'<form method="get" action="{url}" class="confirm-opener">' in page_html
    assert f'<dialog id="confirm-{action}"' in page_html

    response = http.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert says in html
    assert f'<form method="post" action="{url}">' in html
    assert fresh(deal).status == (DealStatus.IN_REVIEW if flagged else status)
    data = {"lose-reason": "Budget cut"} if action == "lose" else {}
    assert http.post(url, data).status_code == 302
    assert fresh(deal).status != (DealStatus.IN_REVIEW if flagged else status)


def test_a_confirmation_page_says_what_sign_off_and_request_changes_decide(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, flagged=True)
    flagged = deal.commitments.order_by("id").first()

    html = client_for(pm).get(reverse("deals:request_changes", args=[deal.pk])).content.decode()

    assert f"“{flagged.summary}”: Too soon" in html
    assert "goes back to Rita Reyes" in html


def test_a_confirmation_page_refuses_like_the_action(rep, rep2, pm, pm2, client_for):
    in_review = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    sign_off = reverse("deals:sign_off", args=[in_review.pk])

    assert client_for(rep).get(sign_off).status_code == 403
    assert client_for(pm2).get(sign_off).status_code == 403
    assert client_for(rep2).get(sign_off).status_code == 404
    not_yet = client_for(pm).get(sign_off, follow=True)
    assert not_yet.redirect_chain[-1][0] == in_review.get_absolute_url()
    assert any("Rule on every commitment first" in m for m in messages_of(not_yet))
    assert client_for(rep).get(reverse("deals:win", args=[in_review.pk])).status_code == 302
    # Actions that need no confirmation answer GET as before.
    assert client_for(rep).get(reverse("deals:submit", args=[in_review.pk])).status_code == 405
    assert client_for(rep2).get(reverse("deals:claim", args=[in_review.pk])).status_code == 405


def test_mark_as_lost_keeps_its_reason_in_the_dialog_not_an_open_box(rep, client_for):
    deal = draft_deal(rep)

    html = client_for(rep).get(deal.get_absolute_url()).content.decode()

    dialog = html[html.index('<dialog id="confirm-lose"') :]
    assert 'name="lose-reason"' in dialog[: dialog.index("</dialog>")]
    assert html.count('name="lose-reason"') == 1


# Busy states and the keyboard


def test_every_htmx_request_shows_an_indicator_and_disables_its_trigger(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    html = client_for(pm).get(deal.get_absolute_url()).content.decode()
    main = html[html.index('<main id="main"') :]  # the header's notification badge only polls

    # What a person does; the page's own poll for changes (data-live) runs by itself.
    requests = [
        tag for tag in re.findall(r"<[^>]* hx-(?:post|get)=[^>]*>", main) if "data-live" not in tag
    ]
    assert len(requests) == 6  # three ruling forms for each of the two commitments
    for tag in requests:
        assert "hx-indicator=" in tag and 'hx-disabled-elt="find button"' in tag, tag
    assert html.count('class="htmx-indicator busy"') == 2


def test_the_keys_are_listed_and_marked_on_the_controls(rep, pm, client_for):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)

    html = client_for(pm).get(deal.get_absolute_url()).content.decode()

    assert '<dialog id="keyboard-help"' in html
    for key in ("j", "k", "a", "c", "f", "?"):
        assert f"<kbd>{key}</kbd>" in html
    assert html.count("data-commitment>") == 2
    assert 'aria-keyshortcuts="a">Approve</button>' in html


# Editing a deal whose changes were requested, and Save and submit


def test_edit_says_it_revises_a_deal_whose_changes_were_requested(rep, pm, client_for):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)

    page = client_for(rep).get(deal.get_absolute_url()).content.decode()
    form = client_for(rep).get(reverse("deals:edit", args=[deal.pk])).content.decode()

    assert "Editing will move this deal back to draft." in page
    assert ">Revise<" not in page
    assert "editing will move it back to draft" in form


def test_save_and_submit_creates_and_submits_in_one_step(rep, client_for):
    data = deal_form_data(ClientFactory(), rows=[commitment_row("Go live by June")])
    data["save_and_submit"] = "1"

    response = client_for(rep).post(reverse("deals:create"), data, follow=True)

    deal = Deal.objects.get()
    assert deal.status == DealStatus.IN_REVIEW
    assert deal.rounds.count() == 1
    assert "Deal created and submitted for review." in messages_of(response)


def test_save_and_submit_with_an_error_submits_nothing_and_keeps_the_typing(rep, client_for):
    data = deal_form_data(
        ClientFactory(), rows=[commitment_row("Typed promise", promised_date="")], title=""
    )
    data["save_and_submit"] = "1"

    response = client_for(rep).post(reverse("deals:create"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not Deal.objects.exists()
    assert "Typed promise" in html


def test_save_and_submit_without_commitments_saves_nothing_and_says_why(rep, client_for):
    deal = draft_deal(rep, commitments=0)
    data = edit_form_data(deal, title="Renamed", save_and_submit="1")

    response = client_for(rep).post(reverse("deals:edit", args=[deal.pk]), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Add at least one commitment before submitting for review." in html
    assert 'value="Renamed"' in html
    assert fresh(deal).title != "Renamed"
    assert fresh(deal).status == DealStatus.DRAFT


def test_save_and_submit_revises_a_deal_whose_changes_were_requested(rep, pm, client_for):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    data = edit_form_data(deal, save_and_submit="1")
    data["commitments-0-summary"] = "A promise we can keep"

    response = client_for(rep).post(reverse("deals:edit", args=[deal.pk]), data)

    assert response.status_code == 302
    deal = fresh(deal)
    assert deal.status == DealStatus.IN_REVIEW
    assert deal.rounds.count() == 2
    assert deal.events.filter(kind="revised", data__implicit=True).exists()


def test_a_commitment_approved_by_one_approver_waits_for_the_other(
    rep, pm, pm2, manager, client_for
):
    integration_rule(manager, pm2)
    services.review_rule_create(
        actor=manager,
        data={"name": "Managers see integrations", "kinds": ["integration"], "approver": "manager"},
    )
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    commitment.kind = "integration"
    commitment.save()
    services.deal_submit(deal=deal, actor=rep)
    services.review_claim(deal=deal, actor=pm)
    services.commitment_rule(commitment=commitment, actor=pm2, verdict=VerdictKind.APPROVED)

    lead = client_for(pm).get(deal.get_absolute_url()).content.decode()
    boss = client_for(manager).get(deal.get_absolute_url()).content.decode()

    assert ">Waiting for approvals<" in lead
    assert "Approval by a PM of Integration — Tom Berg ✓" in lead
    assert "Approval by a manager — waiting" in lead
    assert "1 of 2 approvals</strong> given" in lead
    assert "Approvals are missing" in lead
    assert ">Needs your ruling<" in boss
    assert ">Approve<" in boss
