"""What an event says outside: its webhook data and its chat message, from the audit event.

The data carries ids, the change and absolute links (SITE_URL), and never another person's
private data: no email addresses, and the body of a feedback note only when it was written
to a whole team (a note to one person says who wrote it to whom, and links to it).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.urls import reverse

from deals.models import Commitment, Escalation
from feedback.emails import absolute
from feedback.webhooks_models import WebhookEvent
from handoff.models import TeamKind, User
from projects.models import Deliverable

# Audit event kinds -> the event sent out.
DEAL_EVENTS = {
    "submitted": WebhookEvent.DEAL_SUBMITTED,
    "verdict": WebhookEvent.VERDICT_RECORDED,
    "changes_requested": WebhookEvent.DEAL_CHANGES_REQUESTED,
    "signed_off": WebhookEvent.DEAL_SIGNED_OFF,
    "lost": WebhookEvent.DEAL_LOST,
    "escalation_decided": WebhookEvent.ESCALATION_DECIDED,
}
# A deal is won when its project starts, in the same transaction: the project's creation
# event carries both, so the payload can link to the project.
PROJECT_EVENTS = {
    "created": WebhookEvent.DEAL_WON,
    "deliverable_status_changed": WebhookEvent.DELIVERABLE_UPDATED,
}

VERDICT_WORDS = {
    "approved": "approved",
    "approved_with_condition": "approved with a condition",
    "flagged": "flagged",
}


@dataclass
class ChatMessage:
    """One message for a team's chat: a line saying who did what, details, one link."""

    title: str
    text: str
    link: str
    link_label: str
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Outgoing:
    """An event to send: its data, its chat message, and whom it concerns (for team chat)."""

    type: str
    data: dict[str, Any]
    message: ChatMessage
    people: set[int] = field(default_factory=set)
    # Teams of these kinds hear it whoever is in them (a submission is every PM's queue).
    team_kinds: frozenset[str] = frozenset()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.display_name}


def _name(user: User | None) -> str:
    return user.display_name if user is not None else "Handoff"


def _external(row: Any) -> dict[str, str] | None:
    """The CRM's ids of a row it sent, so a receiver can match it to its own record."""
    source = getattr(row, "external_source", "")
    return {"source": source, "id": row.external_id} if source else None


def deal_data(deal: Any) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "external": _external(deal),
        "title": deal.title,
        "status": deal.status,
        "client": {"id": deal.client_id, "name": deal.client.name},
        "owner": person(deal.owner),
        "value": _plain(deal.value),
        "currency": deal.currency,
        "expected_close_date": _plain(deal.expected_close_date),
        "url": absolute(reverse("deals:detail", args=[deal.pk])),
        "api_url": absolute(reverse("api:deal-detail", args=[deal.pk])),
    }


def commitment_data(commitment: Any) -> dict[str, Any]:
    return {
        "id": commitment.pk,
        "external": _external(commitment),
        "kind": commitment.kind,
        "summary": commitment.summary,
        "promised_date": _plain(commitment.promised_date),
        "effort_days": _plain(commitment.effort_days),
        "version": commitment.version,
    }


def _deal_label(deal: Any) -> str:
    return f"{deal.title} ({deal.client.name})"


def _promises(commitments: list[Any]) -> str:
    shown = "; ".join(c.summary for c in commitments[:3])
    more = len(commitments) - 3
    return shown + (f"; and {more} more" if more > 0 else "")


def _change(event: Any) -> dict[str, Any]:
    return {"from_status": event.from_status, "to_status": event.to_status}


def _deal_message(deal: Any, title: str, text: str, facts: list[tuple[str, str]]) -> ChatMessage:
    return ChatMessage(
        title=title,
        text=text,
        link=absolute(reverse("deals:detail", args=[deal.pk])),
        link_label="Open the deal",
        facts=[("Deal", _deal_label(deal)), *facts],
    )


def _base(event: Any, event_type: str) -> tuple[Any, dict[str, Any], set[int]]:
    deal = event.deal
    data = {"deal": deal_data(deal), "actor": person(event.actor), "at": _plain(event.at)}
    people = {deal.owner_id, event.actor_id} - {None}
    return deal, data, people


def from_deal_event(event: Any, *, reviewers: set[int]) -> Outgoing | None:
    """The event sent for a deal's audit event, or None if it sends none."""
    event_type = DEAL_EVENTS.get(event.kind)
    if event_type is None:
        return None
    deal, data, people = _base(event, event_type)
    people |= reviewers
    actor = _name(event.actor)
    payload = event.data or {}
    data["round"] = payload.get("round")
    kinds: frozenset[str] = frozenset()
    if event.kind == "submitted":
        commitments = list(deal.commitments.order_by("id"))
        data["change"] = _change(event)
        data["review_due_at"] = payload.get("due_at")
        data["commitments"] = [commitment_data(c) for c in commitments]
        message = _deal_message(
            deal,
            f"Submitted for review: {deal.title}",
            f"{actor} submitted {_deal_label(deal)} for review with "
            f"{len(commitments)} promise{'s' if len(commitments) != 1 else ''}: "
            f"{_promises(commitments)}.",
            [("Round", str(payload.get("round", "")))],
        )
        kinds = frozenset({TeamKind.DELIVERY})
    elif event.kind == "verdict":
        commitment = Commitment.objects.filter(pk=payload.get("commitment")).first()
        verdict = payload.get("verdict", "")
        data["commitment"] = commitment_data(commitment) if commitment else None
        data["verdict"] = {
            "value": verdict,
            "reason": event.reason if verdict == "flagged" else "",
            "condition": payload.get("condition", ""),
            "counter_date": payload.get("counter_date"),
            "counter_effort_days": payload.get("counter_effort_days"),
        }
        summary = payload.get("summary") or (commitment.summary if commitment else "a promise")
        why = f": {event.reason}" if event.reason else "."
        message = _deal_message(
            deal,
            f"Promise {VERDICT_WORDS.get(verdict, verdict)}: {deal.title}",
            f"{actor} {VERDICT_WORDS.get(verdict, verdict)} “{summary}”{why}",
            [("Promise", summary)],
        )
    elif event.kind == "changes_requested":
        flagged = list(Commitment.objects.filter(pk__in=payload.get("flagged", [])).order_by("id"))
        data["change"] = _change(event)
        data["flagged"] = [commitment_data(c) for c in flagged]
        message = _deal_message(
            deal,
            f"Changes requested: {deal.title}",
            f"{actor} requested changes on {_deal_label(deal)}: "
            f"{len(flagged)} promise{'s' if len(flagged) != 1 else ''} flagged "
            f"({_promises(flagged)}).",
            [],
        )
    elif event.kind == "signed_off":
        commitments = list(deal.commitments.order_by("id"))
        data["change"] = _change(event)
        data["commitments"] = [commitment_data(c) for c in commitments]
        message = _deal_message(
            deal,
            f"Signed off: {deal.title}",
            f"{actor} signed off {_deal_label(deal)}: every promise approved "
            f"({_promises(commitments)}). It can be marked as won.",
            [],
        )
    elif event.kind == "lost":
        data["change"] = _change(event)
        data["reason"] = event.reason
        message = _deal_message(
            deal,
            f"Deal lost: {deal.title}",
            f"{actor} marked {_deal_label(deal)} as lost: {event.reason}",
            [],
        )
    else:  # escalation_decided
        escalation = (
            Escalation.objects.select_related("verdict__commitment")
            .filter(pk=payload.get("escalation"))
            .first()
        )
        commitment = escalation.verdict.commitment if escalation else None
        decision = payload.get("decision", "")
        data["escalation"] = {
            "id": escalation.pk if escalation else payload.get("escalation"),
            "decision": decision,
            "reason": event.reason,
            "commitment": commitment_data(commitment) if commitment else None,
        }
        summary = commitment.summary if commitment else "a promise"
        if escalation is not None:
            people.add(escalation.verdict.decided_by_id)
        message = _deal_message(
            deal,
            f"Escalation {decision}: {deal.title}",
            f"{actor} {decision} the flag on “{summary}”: {event.reason}",
            [("Promise", summary)],
        )
    return Outgoing(event_type, data, message, people, kinds)


def _project_data(project: Any) -> dict[str, Any]:
    return {
        "id": project.pk,
        "status": project.status,
        "pm": person(project.pm),
        "start_date": _plain(project.start_date),
        "url": absolute(project.get_absolute_url()),
        "api_url": absolute(reverse("api:project-detail", args=[project.pk])),
    }


def from_project_event(event: Any) -> Outgoing | None:
    """The event sent for a project's audit event (the win, a deliverable), or None."""
    event_type = PROJECT_EVENTS.get(event.kind)
    if event_type is None:
        return None
    project = event.project
    deal = project.deal
    actor = _name(event.actor)
    data = {
        "deal": deal_data(deal),
        "project": _project_data(project),
        "actor": person(event.actor),
        "at": _plain(event.at),
    }
    people = {deal.owner_id, project.pm_id, event.actor_id} - {None}
    link = absolute(project.get_absolute_url())
    if event.kind == "created":
        commitments = list(deal.commitments.order_by("id"))
        data["change"] = {"from_status": "signed_off", "to_status": "won"}
        data["commitments"] = [commitment_data(c) for c in commitments]
        message = ChatMessage(
            title=f"Deal won: {deal.title}",
            text=f"{actor} marked {_deal_label(deal)} as won; {project.pm.display_name} runs "
            f"its project. Promises to deliver: {_promises(commitments)}.",
            link=link,
            link_label="Open the project",
            facts=[("Deal", _deal_label(deal)), ("Project manager", project.pm.display_name)],
        )
        return Outgoing(event_type, data, message, people)
    payload = event.data or {}
    deliverable = Deliverable.objects.filter(pk=payload.get("deliverable")).first()
    data["deliverable"] = {
        "id": payload.get("deliverable"),
        "summary": payload.get("summary", ""),
        "commitment": deliverable.commitment_id if deliverable else None,
        "promised_date": _plain(deliverable.promised_date) if deliverable else None,
        "from_status": payload.get("from"),
        "to_status": payload.get("to"),
        "delivered_on": payload.get("delivered_on"),
        "kept": payload.get("kept"),
        "reason": event.reason,
        "api_url": absolute(reverse("api:deliverable-detail", args=[payload.get("deliverable")]))
        if payload.get("deliverable")
        else None,
    }
    status = (payload.get("to_label") or payload.get("to") or "").lower()
    why = f": {event.reason}" if event.reason else "."
    message = ChatMessage(
        title=f"Deliverable {status}: {deal.title}",
        text=f"{actor} marked “{payload.get('summary', 'a deliverable')}” {status}{why}",
        link=link,
        link_label="Open the project",
        facts=[("Deal", _deal_label(deal)), ("Promise", payload.get("summary", ""))],
    )
    return Outgoing(event_type, data, message, people)


def from_note(note: Any) -> Outgoing:
    """feedback.created: who wrote to whom about what; the body only of a note to a team."""
    to_team = note.recipient_id is None
    url = absolute(note.get_absolute_url())
    data = {
        "note": {
            "id": note.pk,
            "direction": note.direction,
            "topic": note.topic,
            "author": person(note.author),
            "recipient": person(note.recipient),
            "deal": note.deal_id,
            "project": note.project_id,
            "commitment": note.commitment_id,
            "body": note.body if to_team else None,
            "created_at": _plain(note.created_at),
            "url": url,
            "api_url": absolute(reverse("api:feedback-note-detail", args=[note.pk])),
        },
        "actor": person(note.author),
        "at": _plain(note.created_at),
    }
    topic = note.get_topic_display().lower()
    towards = "delivery" if note.direction == "to_delivery" else "sales"
    reader = f"the {towards} team" if to_team else note.recipient.display_name
    about = f" on {_deal_label(note.deal)}" if note.deal_id else ""
    text = f"{note.author.display_name} wrote to {reader} ({topic}){about}"
    text += f": {note.body[:280]}" if to_team else "."
    message = ChatMessage(
        title=f"Feedback to {towards}: {note.get_topic_display()}",
        text=text,
        link=url,
        link_label="Read the note",
        facts=[("Deal", _deal_label(note.deal))] if note.deal_id else [],
    )
    people = {note.author_id, note.recipient_id} - {None}
    kinds = frozenset({TeamKind.DELIVERY if towards == "delivery" else TeamKind.SALES})
    return Outgoing(
        WebhookEvent.FEEDBACK_CREATED, data, message, people, kinds if to_team else frozenset()
    )
