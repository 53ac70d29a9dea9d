"""Team chat: Slack and Microsoft Teams messages naming the deal, the promise and the action,
posted to a real receiver on 127.0.0.1 for the teams the event concerns; pages and API."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from deals import services as deals
from feedback import chat_messages, chat_services, webhooks_delivery
from feedback.models import Notification
from feedback.webhooks_models import ChatChannel, WebhookDelivery
from feedback.webhooks_payloads import ChatMessage
from handoff.models import TeamKind
from tests.factories import TeamFactory
from tests.feedback.conftest import CaptureCount, draft, signed_off
from tests.feedback.webhooks_receiver import free_port_url, running_receiver

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.215.14/services/T0/B0/secret-token"


@pytest.fixture
def receiver(settings):
    with running_receiver(settings) as running:
        yield running


@pytest.fixture
def sales(rep):
    team = TeamFactory(name="Retail sales", kind=TeamKind.SALES)
    team.members.add(rep)
    return team


@pytest.fixture
def delivery(pm):
    team = TeamFactory(name="Delivery", kind=TeamKind.DELIVERY)
    team.members.add(pm)
    return team


def channel(team, manager, url, kind="slack", events=("deal.won", "deal.submitted")):
    return chat_services.chat_channel_create(
        actor=manager, team=team, kind=kind, url=url, events=list(events), name=f"#{team.name}"
    )


MESSAGE = ChatMessage(
    title="Deal won: Scanners <beta>",
    text="Rita won Scanners & co",
    link="http://127.0.0.1:8000/projects/3/",
    link_label="Open the project",
    facts=[("Deal", "Scanners (Acme)")],
)


def test_the_slack_message_has_text_and_blocks_with_markup_escaped():
    body = chat_messages.slack(MESSAGE)
    assert set(body) == {"text", "blocks"}
    assert (
        body["text"]
        == "Rita won Scanners &amp; co <http://127.0.0.1:8000/projects/3/|Open the project>"
    )
    header, section, facts, context = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": MESSAGE.title}}
    assert section["text"] == {"type": "mrkdwn", "text": "Rita won Scanners &amp; co"}
    assert facts["fields"][0] == {"type": "mrkdwn", "text": "*Deal*\nScanners (Acme)"}
    assert context["elements"][0]["text"] == "<http://127.0.0.1:8000/projects/3/|Open the project>"


def test_the_teams_message_is_an_adaptive_card():
    body = chat_messages.teams(MESSAGE)
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, text, facts = card["body"]
    assert title["text"] == MESSAGE.title and title["weight"] == "Bolder"
    assert text == {"type": "TextBlock", "text": MESSAGE.text, "wrap": True}
    assert facts["facts"] == [{"title": "Deal", "value": "Scanners (Acme)"}]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the project", "url": MESSAGE.link}
    ]


def test_a_team_hears_of_its_members_deals_in_its_chat_and_no_other_team_does(
    rep, rep2, pm, manager, sales, receiver, settings, django_capture_on_commit_callbacks
):
    other = TeamFactory(name="Enterprise sales", kind=TeamKind.SALES)
    other.members.add(rep2)
    slack = channel(sales, manager, receiver.url, events=["deal.won"])
    channel(other, manager, receiver.url + "/other", events=["deal.won"])
    deal = signed_off(rep, pm)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_win(deal=deal, actor=rep)
    assert [seen.path for seen in receiver.received] == ["/hooks/handoff"]
    message = receiver.received[0].json
    assert "webhook-signature" not in {k.lower() for k in receiver.received[0].headers}
    assert message["blocks"][0]["text"]["text"] == f"Deal won: {deal.title}"
    text = message["text"]
    assert deal.title in text and deal.client.name in text
    assert "Rita Reyes marked" in text and "as won" in text
    summary = deal.commitments.order_by("id").first().summary
    assert summary in text  # the promise
    assert f"{settings.SITE_URL}/projects/" in text  # the link
    assert WebhookDelivery.objects.get(channel=slack).status == "delivered"


def test_a_delivery_team_hears_of_every_submission_and_gets_a_teams_card(
    rep, pm, manager, delivery, receiver, django_capture_on_commit_callbacks
):
    channel(delivery, manager, receiver.url, kind="teams", events=["deal.submitted"])
    deal = draft(rep)
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_submit(deal=deal, actor=rep)
    card = receiver.received[0].json["attachments"][0]["content"]
    assert card["body"][0]["text"] == f"Submitted for review: {deal.title}"
    assert "2 promises" in card["body"][1]["text"]
    assert card["actions"][0]["url"].endswith(f"/deals/{deal.pk}/")


def test_a_flag_names_the_promise_and_the_reason(
    rep, pm, manager, sales, receiver, django_capture_on_commit_callbacks
):
    channel(sales, manager, receiver.url, events=["verdict.recorded"])
    deal = draft(rep)
    deals.deal_submit(deal=deal, actor=rep)
    commitment = deal.commitments.order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True):
        deals.commitment_rule(
            commitment=commitment, actor=pm, verdict="flagged", reason="Nobody free in March"
        )
    text = receiver.received[0].json["text"]
    assert f"Priya Mehta flagged “{commitment.summary}”: Nobody free in March" in text


def test_a_channel_down_for_the_retry_window_is_turned_off_and_its_manager_told(
    rep, pm, manager, sales, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    slack = channel(sales, manager, free_port_url())
    with django_capture_on_commit_callbacks(execute=True):
        deals.deal_win(deal=signed_off(rep, pm), actor=rep)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks_delivery.sweep(now=timezone.now() + datetime.timedelta(minutes=2))
    slack.refresh_from_db()
    assert not slack.active
    notice = Notification.objects.get(kind="integration_disabled")
    assert notice.recipient == manager and "chat channel" in notice.text


# Pages and API


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_manager_adds_a_channel_whose_url_stays_secret(manager, sales, client_for):
    http = client_for(manager)
    response = http.post(
        reverse("chat:create"),
        {"team": sales.pk, "kind": "slack", "name": "#wins", "url": PUBLIC, "events": ["deal.won"]},
    )
    added = ChatChannel.objects.get()
    assert response.status_code == 302 and response.url == added.get_absolute_url()
    page = http.get(added.get_absolute_url()).content.decode()
    assert "secret-token" not in page and "https://93.184.215.14/…" in page
    listing = http.get(reverse("chat:list")).content.decode()
    assert "#wins" in listing and "secret-token" not in listing
    body = api_as(manager).get(reverse("api:chat-channel-detail", args=[added.pk])).json()
    assert body["url"] == "https://93.184.215.14/…" and body["team_name"] == "Retail sales"


def test_editing_without_a_url_keeps_the_url(manager, sales, client_for):
    added = channel(sales, manager, PUBLIC)
    response = client_for(manager).post(
        reverse("chat:edit", args=[added.pk]),
        {"team": sales.pk, "kind": "teams", "name": "#all", "url": "", "events": ["deal.lost"]},
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.url, added.kind, added.events) == (PUBLIC, "teams", ["deal.lost"])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "https://192.168.0.9/hook"}, "url"),
        ({"url": "http://93.184.215.14/hook"}, "url"),
        ({"kind": "irc"}, "kind"),
        ({"events": ["deal.exploded"]}, "events"),
        ({"team": 987654}, "team"),
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(manager, sales, client_for, data, field):
    body = {"team": sales.pk, "kind": "slack", "url": PUBLIC, "events": ["deal.won"], **data}
    page = client_for(manager).post(reverse("chat:create"), body)
    assert page.status_code == 400
    api = api_as(manager).post(reverse("api:chat-channel-list"), body, format="json")
    assert api.status_code == 400 and field in api.json()
    assert not ChatChannel.objects.exists()


def test_only_managers_set_up_team_chat(rep, pm, sales, client_for):
    body = {"team": sales.pk, "kind": "slack", "url": PUBLIC, "events": ["deal.won"]}
    for user in (rep, pm):
        assert client_for(user).get(reverse("chat:list")).status_code == 403
        assert client_for(user).post(reverse("chat:create"), body).status_code == 403
        assert api_as(user).post(reverse("api:chat-channel-list"), body).status_code == 403
    assert APIClient().get(reverse("api:chat-channel-list")).status_code == 401
    assert not ChatChannel.objects.exists()


def test_the_api_turns_a_channel_off_and_on_and_deletes_it(manager, sales):
    api = api_as(manager)
    added = channel(sales, manager, PUBLIC)
    off = api.post(reverse("api:chat-channel-disable", args=[added.pk])).json()
    assert off["active"] is False
    assert api.post(reverse("api:chat-channel-enable", args=[added.pk])).json()["active"] is True
    put = api.put(
        reverse("api:chat-channel-detail", args=[added.pk]),
        {"team": sales.pk, "kind": "teams", "events": ["deal.won"]},
        format="json",
    )
    assert put.status_code == 200 and put.json()["kind"] == "teams"
    assert api.delete(reverse("api:chat-channel-detail", args=[added.pk])).status_code == 204
    assert not ChatChannel.objects.exists()


def test_the_lists_read_in_as_many_queries_for_one_row_as_for_many(manager, sales, client_for):
    http, api = client_for(manager), api_as(manager)
    channel(sales, manager, PUBLIC)

    def count(get, url) -> int:
        with CaptureCount() as counted:
            assert get(url).status_code == 200
        return counted.count

    page_one = count(http.get, reverse("chat:list"))
    api_one = count(api.get, reverse("api:chat-channel-list"))
    for n in range(8):
        team = TeamFactory(name=f"Team {n}")
        channel(team, manager, f"{PUBLIC}/{n}")
    assert count(http.get, reverse("chat:list")) == page_one
    assert count(api.get, reverse("api:chat-channel-list")) == api_one
