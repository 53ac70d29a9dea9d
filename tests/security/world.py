"""A small world of objects in every state, built through the services like a user would.

rep owns a deal in every status; rep2 owns a draft and a deal in review. The route matrix,
the object-access tests and the fuzzer fill path parameters and filters from it.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from deals import services
from deals.models import Client, Commitment, Deal, DealEvent, Escalation, Verdict
from handoff.models import User
from tests.security.areas import area_modules


def commitment_data(n: int = 1) -> dict[str, Any]:
    return {
        "kind": "scope",
        "summary": f"Promise {n}",
        "promised_date": timezone.localdate() + datetime.timedelta(days=60 + n),
        "effort_days": Decimal("5.0"),
    }


def deal_data(client: Client, title: str) -> dict[str, Any]:
    return {
        "title": title,
        "client": client,
        "value": Decimal("12000.00"),
        "expected_close_date": timezone.localdate() + datetime.timedelta(days=30),
    }


def new_deal(owner: User, client: Client, title: str, commitments: int = 2) -> Deal:
    return services.deal_create(
        actor=owner,
        data=deal_data(client, title),
        commitments=[commitment_data(n) for n in range(1, commitments + 1)],
    )


def rule_all(deal: Deal, pm: User, verdict: str = "approved", *, flag_first: bool = False) -> None:
    for i, commitment in enumerate(deal.commitments.order_by("id")):
        kind = "flagged" if flag_first and i == 0 else verdict
        services.commitment_rule(
            commitment=commitment,
            actor=pm,
            verdict=kind,
            reason="Cannot staff it" if kind == "flagged" else "",
            condition="If the client signs by Friday" if kind == "approved_with_condition" else "",
        )


def signed_off_deal(owner: User, pm: User, client: Client, title: str) -> Deal:
    deal = new_deal(owner, client, title)
    services.deal_submit(deal=deal, actor=owner)
    rule_all(deal, pm)
    services.deal_sign_off(deal=deal, actor=pm)
    return Deal.objects.get(pk=deal.pk)


@dataclass
class World:
    users: dict[str, User]
    client: Client
    other_client: Client
    deals: dict[str, Deal] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        """'deal.in_review' -> the deal; 'user.rep2' -> the user; other keys -> objects."""
        kind, _, name = key.partition(".")
        if kind == "deal":
            return self.deals[name]
        if kind == "user":
            return self.users[name]
        return self.objects[key]


def build_world(users: dict[str, User]) -> World:
    rep, rep2, pm, manager = users["rep"], users["rep2"], users["pm"], users["manager"]
    client = Client.objects.create(name="Acme Retail")
    other_client = Client.objects.create(name="Globex Logistics")
    world = World(users=users, client=client, other_client=other_client)

    world.deals["draft"] = new_deal(rep, client, "Draft store rollout")

    in_review = new_deal(rep, client, "Warehouse scanners")
    services.deal_submit(deal=in_review, actor=rep)
    world.deals["in_review"] = in_review

    claimed = new_deal(rep, client, "Claimed kiosk fleet")
    services.deal_submit(deal=claimed, actor=rep)
    services.review_claim(deal=claimed, actor=pm)
    world.deals["claimed"] = claimed

    changes = new_deal(rep, client, "Loyalty app")
    services.deal_submit(deal=changes, actor=rep)
    rule_all(changes, pm, flag_first=True)
    services.deal_request_changes(deal=changes, actor=pm)
    world.deals["changes_requested"] = changes
    flag = Verdict.objects.filter(round__deal=changes, verdict="flagged").first()
    world.objects["verdict.flagged"] = flag
    world.objects["escalation"] = services.verdict_escalate(
        verdict=flag, actor=rep, argument="The client already agreed to it."
    )

    world.deals["signed_off"] = signed_off_deal(rep, pm, client, "Payment terminals")
    world.deals["won"] = signed_off_deal(rep, pm, client, "Store analytics")
    services.deal_win(deal=world.deals["won"], actor=rep)

    lost = new_deal(rep, client, "Lost tender")
    services.deal_lose(deal=lost, actor=rep, reason="Budget cut")
    world.deals["lost"] = lost

    world.deals["rep2_draft"] = new_deal(rep2, other_client, "Rep2 private draft")
    rep2_review = new_deal(rep2, other_client, "Rep2 fleet tracking")
    services.deal_submit(deal=rep2_review, actor=rep2)
    world.deals["rep2_in_review"] = rep2_review

    for key, deal in list(world.deals.items()):
        world.deals[key] = Deal.objects.get(pk=deal.pk)
        world.objects[f"commitment.{key}"] = Commitment.objects.filter(deal=deal).first()
        world.objects[f"event.{key}"] = DealEvent.objects.filter(deal=deal).last()
    world.objects["comment"] = services.comment_add(
        deal=world.deals["in_review"], actor=rep, body="Client asked about @pm staffing."
    )
    world.objects["comment.rep2"] = services.comment_add(
        deal=world.deals["rep2_draft"], actor=rep2, body="Private note on my draft."
    )
    # Made after every deal, and for a kind no world deal has, so no round's requirements change.
    world.objects["review_rule"] = services.review_rule_create(
        actor=manager,
        data={
            "name": "Integration needs a manager",
            "kinds": ["integration"],
            "approver": "manager",
        },
    )
    _add_other_apps(world, manager)
    world.objects["import"] = _an_import(rep)
    world.objects["deal_template"] = services.deal_template_save(
        actor=manager,
        name="Retail rollout",
        commitments=[{"kind": "scope", "summary": "Pilot store", "offset_days": 30}],
    )
    # A live review rule no commitment of the world matches: the deals above keep their review.
    world.objects["review_rule"] = services.review_rule_create(
        actor=manager,
        data={
            "name": "Integrations need a manager",
            "kinds": ["integration"],
            "approver": "manager",
        },
    )
    for area in area_modules():
        if hasattr(area, "add_to_world"):
            area.add_to_world(world)
    return world


def _add_other_apps(world: World, manager: User) -> None:
    """Projects, feedback and goals, through their services; each part only once it exists."""
    rep, rep2, pm = world.users["rep"], world.users["rep2"], world.users["pm"]
    from projects import services as project_services
    from projects.models import Deliverable, Project

    project = Project.objects.get(deal=world.deals["won"])
    world.objects["project"] = project
    world.objects["deliverable"] = Deliverable.objects.filter(project=project).first()
    world.objects["kickoff_item"] = project.kickoff_items.order_by("pk").first()
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    world.objects["time_off"] = project_services.capacity_exception_add(
        pm=pm, actor=pm, week_start=monday + datetime.timedelta(weeks=3), days="1", note="Leave"
    )

    from feedback import services as feedback_services
    from feedback.models import Notification

    world.objects["note"] = feedback_services.note_create(
        author=pm,
        direction="to_sales",
        topic="hard_to_deliver",
        body="The scanners need a site survey first.",
        recipient=rep,
        deal=world.deals["in_review"],
    )
    world.objects["note.rep2"] = feedback_services.note_create(
        author=pm,
        direction="to_sales",
        topic="customer_insight",
        body="Only for rep2.",
        recipient=rep2,
        deal=world.deals["rep2_in_review"],
    )
    world.objects["note.lesson"] = feedback_services.note_create(
        author=pm,
        direction="to_sales",
        topic="estimate_miss",
        body="Store analytics scope took twice the estimate.",
        recipient=rep,
        commitment=world.objects["commitment.won"],
    )
    world.objects["notification"] = (
        Notification.objects.filter(recipient=rep).order_by("pk").first()
    )
    world.objects["notification.pm"] = (
        Notification.objects.filter(recipient=pm).order_by("pk").first()
    )

    from handoff.models import SharedGoal

    world.objects["goal"] = SharedGoal.objects.create(
        quarter=f"{timezone.localdate().year}-Q1",
        metric="kept_rate",
        target=Decimal("90"),
        created_by=manager,
    )

    _add_integrations(world, manager)


def _add_integrations(world: World, manager: User) -> None:
    """A webhook and a team's chat channel at a public address, each with one delivery made
    after every event above (so none of them wrote one)."""
    from feedback.webhooks_models import ChatChannel, WebhookDelivery, WebhookEndpoint
    from handoff.models import Team

    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(
        owner=manager,
        url="https://93.184.215.14/hooks/handoff",
        events=["deal.submitted", "deal.won"],
        secret="whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0",
    )
    team = Team.objects.create(name="Field sales", kind="sales", lead=manager)
    team.members.add(world.users["rep"])
    channel = ChatChannel.objects.create(
        team=team,
        kind="slack",
        url="https://93.184.215.14/services/T000/B000/XXXX",
        events=["deal.won"],
        created_by=manager,
    )
    world.objects["webhook"] = endpoint
    world.objects["chat_channel"] = channel
    targets = (
        ("webhook_delivery", {"kind": "webhook", "endpoint": endpoint}),
        ("chat_delivery", {"kind": "chat", "channel": channel}),
    )
    for key, target in targets:
        world.objects[key] = WebhookDelivery.objects.create(
            **target,
            event_id="msg_world",
            event_type="deal.won",
            payload={"type": "deal.won", "data": {}},
            status="delivered",
            attempts=1,
            response_code=200,
            delivered_at=now,
        )


def _an_import(rep: User):
    """rep's previewed import of one new deal: rep2 and the PMs may not see it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from deals.import_rows import COLUMNS
    from deals.services.imports import import_preview

    close = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    promised = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    cells = {
        "external_id": "w-1",
        "title": "Imported kiosk rollout",
        "client": "Acme Retail",
        "expected_close_date": close,
        "kind": "scope",
        "summary": "Ten kiosks",
        "promised_date": promised,
    }
    text = ",".join(COLUMNS) + "\n" + ",".join(cells.get(c, "") for c in COLUMNS) + "\n"
    upload = SimpleUploadedFile("deals.csv", text.encode(), content_type="text/csv")
    return import_preview(actor=rep, upload=upload)


def first(model: type, **filters: Any) -> Any:
    return model.objects.filter(**filters).order_by("pk").first()


__all__ = ["Escalation", "World", "build_world", "first"]
