"""What the organisation did around its deals: feedback notes, notifications, webhook deliveries."""

import hashlib
from datetime import timedelta

from bench.generate.history import People
from bench.generate.vocabulary import (
    DELIVERY_DAYS,
    TOPICS,
    WEBHOOK_ENDPOINTS,
    WEBHOOK_EVENTS,
)


class Activity:
    """The rows beside the deals, made by the generator that mixes this in."""

    def feedback(self, deal_ids: list[int], people: People, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            to_delivery = rng.random() < 0.5
            author = people.pick(rng, "sales" if to_delivery else "pm")
            acknowledged = rng.random() < 0.4
            created = self.now - timedelta(days=rng.uniform(0, 365))
            self.add(
                "feedback.FeedbackNote",
                direction="to_delivery" if to_delivery else "to_sales",
                author_id=author,
                recipient_id=people.pick(rng, "pm" if to_delivery else "sales")
                if rng.random() < 0.5
                else None,
                deal_id=rng.choice(deal_ids) if rng.random() < 0.6 else None,
                commitment_id=None,
                topic=rng.choice(TOPICS),
                body="The client expects weekly demos; plan for them.",
                acknowledged_by_id=people.pick(rng, "pm" if to_delivery else "sales")
                if acknowledged
                else None,
                acknowledged_at=created + timedelta(days=1) if acknowledged else None,
                reply="",
                created_at=created,
            )

    def notifications(self, deal_ids: list[int], people: People, count: int) -> None:
        rng = self.rng
        everyone = [pk for ids in people.by_role.values() for pk in ids]
        for _ in range(count):
            deal_id = rng.choice(deal_ids)
            created = self.now - timedelta(days=rng.uniform(0, 30))
            self.add(
                "feedback.Notification",
                recipient_id=rng.choice(everyone),
                kind=rng.choice(["submitted", "flagged", "signed_off", "won", "feedback_note"]),
                actor_id=people.pick(rng, "pm"),
                deal_id=deal_id,
                text="A deal you follow moved on.",
                url=f"/deals/{deal_id}/",
                key="",
                created_at=created,
                read_at=created + timedelta(hours=5) if rng.random() < 0.6 else None,
            )

    def webhooks(self, deal_ids: list[int], people: People, count: int) -> None:
        if not (self.has("feedback.WebhookEndpoint") and self.has("feedback.WebhookDelivery")):
            return
        Endpoint = self.models["feedback.WebhookEndpoint"]
        endpoints = list(Endpoint.objects.order_by("pk").values_list("pk", flat=True))
        created = self.now - timedelta(days=400)
        for n in range(len(endpoints), WEBHOOK_ENDPOINTS):
            endpoints.append(
                self.add(
                    "feedback.WebhookEndpoint",
                    # A documentation address (192.0.2.0/24): refused before any lookup or
                    # connection, so a delivery to it never leaves the machine.
                    url=f"https://192.0.2.{n + 1}/hooks",
                    events=WEBHOOK_EVENTS,
                    active=True,
                    failure_streak=0,
                    disabled_at=None,
                    last_delivered_at=self.now,
                    created_at=created,
                    updated_at=created,
                    owner_id=people.by_role["manager"][n % len(people.by_role["manager"])],
                    description=f"Warehouse sync {n + 1}",
                    secret="whsec_" + hashlib.sha256(f"bench-{n}".encode()).hexdigest()[:40],
                    previous_secret_expires_at=None,
                )
            )
        rng = self.rng
        for _ in range(count):
            at = self.now - timedelta(days=rng.uniform(0, DELIVERY_DAYS))
            event_type = rng.choice(WEBHOOK_EVENTS)
            delivered = rng.random() < 0.97
            pk = self.new_id("feedback.WebhookDelivery")
            self.add(
                "feedback.WebhookDelivery",
                id=pk,
                kind="webhook",
                endpoint_id=endpoints[0] if rng.random() < 0.5 else rng.choice(endpoints),
                channel_id=None,
                event_id=f"msg_bench_{pk}",
                event_type=event_type,
                payload={
                    "type": event_type,
                    "timestamp": at.isoformat(),
                    "data": {"deal": rng.choice(deal_ids)},
                },
                status="delivered" if delivered else "failed",
                attempts=1 if delivered else 8,
                next_attempt_at=at,
                claimed_at=None,
                response_code=200 if delivered else 503,
                duration_ms=rng.randint(40, 900),
                response_excerpt="ok" if delivered else "Service Unavailable",
                last_error="" if delivered else "HTTP 503",
                created_at=at,
                attempted_at=at,
                delivered_at=at if delivered else None,
            )
