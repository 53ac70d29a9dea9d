"""The deal page's timeline in words: one sentence per audit event, by its kind and data.

The audit trail stays raw (the API answers its kind and data as recorded); this is the one
place that says what each event means to a person reading the deal.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.dateparse import parse_datetime

from deals.models import DealEvent, DealStatus, EscalationDecision, EventKind
from handoff.templatetags import formats

STATUS_LABELS = dict(DealStatus.choices)
FIELD_LABELS = {
    "title": "title",
    "client": "client",
    "value": "value",
    "currency": "currency",
    "expected_close_date": "expected close date",
    "expected_start_date": "expected start date",
    "description": "description",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: the event, its sentence, and the status change it made."""

    event: DealEvent
    text: str

    @property
    def status_change(self) -> str:
        origin, target = self.event.from_status, self.event.to_status
        if not (origin or target):
            return ""
        target_label = STATUS_LABELS.get(target, target)
        if not origin:
            return target_label
        return f"{STATUS_LABELS.get(origin, origin)} → {target_label}"


def day(value: date | str | None) -> str:
    """20 Mar 2027, from a date or its ISO text (as recorded in an event's data)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return formats.day(value)


def moment(value: str | None) -> str:
    """Fri 5 Mar 2027, 14:00 in the reader's time zone, from an ISO date-time."""
    parsed = parse_datetime(value) if value else None
    return formats.when(parsed) if parsed is not None else ""


def number(value: Decimal | str | float | None) -> str:
    """12, 12.5: an effort without trailing zeros (an unreadable value as it was recorded)."""
    shown = formats.number(value)
    return shown or ("" if value is None else str(value))


def days(value: Decimal | str | float | None) -> str:
    """12 person-days, 12.5 person-days, 1 person-day."""
    return formats.person_days(value)


def quoted(summary: str | None) -> str:
    return f"“{summary}”" if summary else "a commitment"


def _with(text: str, detail: str | None, sep: str = ": ") -> str:
    return f"{text}{sep}{detail}" if detail else text


def _actor(event: DealEvent) -> str:
    return event.actor.display_name if event.actor_id else "Handoff"


def _summary(event: DealEvent, summaries: Mapping[int, str]) -> str:
    data = event.data or {}
    summary = data.get("summary") or (data.get("after") or {}).get("summary")
    summary = summary or (data.get("before") or {}).get("summary")
    return quoted(summary or summaries.get(data.get("commitment")))


def _counter(data: Mapping) -> str:
    parts = [day(data.get("counter_date")), days(data.get("counter_effort_days"))]
    offered = ", ".join(p for p in parts if p)
    return f"counter-proposal {offered}" if offered else ""


def _commitment_changes(before: Mapping, after: Mapping) -> str:
    changes = []
    if before.get("summary") != after.get("summary"):
        changes.append(f"summary {quoted(before.get('summary'))} → {quoted(after.get('summary'))}")
    if before.get("kind") != after.get("kind"):
        changes.append(f"kind {before.get('kind')} → {after.get('kind')}")
    if before.get("promised_date") != after.get("promised_date"):
        changes.append(
            f"promised date {day(before.get('promised_date'))} → {day(after.get('promised_date'))}"
        )
    if before.get("effort_days") != after.get("effort_days"):
        changes.append(
            f"effort {number(before.get('effort_days'))} → {days(after.get('effort_days'))}"
        )
    if before.get("detail") != after.get("detail"):
        changes.append("detail")
    return ", ".join(changes)


def _verdict(event: DealEvent, summaries: Mapping[int, str]) -> str:
    data = event.data or {}
    who, what = _actor(event), _summary(event, summaries)
    if data.get("verdict") == "flagged":
        text = _with(f"{who} flagged {what}", event.reason)
        return _with(text, _counter(data), " — ")
    if data.get("condition"):
        return f"{who} approved {what} with a condition: {data['condition']}"
    return f"{who} approved {what}"


def _carried(event: DealEvent, summaries: Mapping[int, str]) -> str:
    groups: dict[object, list[str]] = {}
    for item in (event.data or {}).get("carried", []):
        label = quoted(item.get("summary") or summaries.get(item.get("commitment")))
        if names := ", ".join(item.get("approved_by") or []):
            label = f"{label} ({names})"
        groups.setdefault(item.get("from_round"), []).append(label)
    if not groups:
        return "Approvals carried from the last round"
    return "; ".join(
        f"{'Approvals carried' if n == 0 else 'carried'} from round {origin}: {', '.join(items)}"
        for n, (origin, items) in enumerate(groups.items())
    )


def _counter_accepted(event: DealEvent, summaries: Mapping[int, str]) -> str:
    after = (event.data or {}).get("after") or {}
    accepted = [day(after.get("promised_date")), days(after.get("effort_days"))]
    text = f"{_actor(event)} accepted the counter-proposal on {_summary(event, summaries)}"
    return _with(text, ", ".join(p for p in accepted if p))


def _assigned(event: DealEvent, summaries: Mapping[int, str]) -> str:
    data = event.data or {}
    to = data.get("reviewer_name") or "another project manager"
    if data.get("handed_on"):
        return _with(f"{_actor(event)} handed the review to {to}", event.reason)
    return _with(f"{_actor(event)} assigned the review to {to}", event.reason)


def _revised(event: DealEvent, summaries: Mapping[int, str]) -> str:
    if (event.data or {}).get("implicit"):
        return f"Revised by editing ({_actor(event)}): back to draft"
    return _with(f"{_actor(event)} revised the deal, back to draft", event.reason, " — ")


def _updated(event: DealEvent, summaries: Mapping[int, str]) -> str:
    changed = [FIELD_LABELS.get(name, name) for name in (event.data or {}).get("changes", {})]
    return _with(f"{_actor(event)} edited the deal", ", ".join(changed))


def _commitment_changed(event: DealEvent, summaries: Mapping[int, str]) -> str:
    data = event.data or {}
    before = data.get("before") or {}
    changes = _commitment_changes(before, data.get("after") or {})
    what = quoted(before.get("summary") or summaries.get(data.get("commitment")))
    return _with(f"{_actor(event)} changed {what}", changes)


def _submitted(event: DealEvent, summaries: Mapping[int, str]) -> str:
    data = event.data or {}
    due = moment(data.get("due_at"))
    details = ", ".join(
        p
        for p in (f"round {data['round']}" if data.get("round") else "", due and f"due {due}")
        if p
    )
    text = f"{_actor(event)} submitted the deal for review"
    return f"{text} ({details})" if details else text


def _changes_requested(event: DealEvent, summaries: Mapping[int, str]) -> str:
    flagged = [quoted(summaries.get(pk)) for pk in (event.data or {}).get("flagged", [])]
    text = f"{_actor(event)} requested changes"
    return _with(text, f"{', '.join(flagged)} flagged" if flagged else "")


def _escalation_decided(event: DealEvent, summaries: Mapping[int, str]) -> str:
    data = event.data or {}
    verb = "upheld" if data.get("decision") == EscalationDecision.UPHELD else "overruled"
    return _with(f"{_actor(event)} {verb} the flag on {_summary(event, summaries)}", event.reason)


Sentence = Callable[[DealEvent, Mapping[int, str]], str]

SENTENCES: dict[str, Sentence] = {
    EventKind.CREATED: lambda e, s: f"{_actor(e)} created the deal",
    EventKind.UPDATED: _updated,
    EventKind.COMMITMENT_ADDED: lambda e, s: f"{_actor(e)} added {_summary(e, s)}",
    EventKind.COMMITMENT_CHANGED: _commitment_changed,
    EventKind.COMMITMENT_REMOVED: lambda e, s: f"{_actor(e)} removed {_summary(e, s)}",
    EventKind.SUBMITTED: _submitted,
    EventKind.CLAIMED: lambda e, s: f"{_actor(e)} claimed the review",
    EventKind.ASSIGNED: _assigned,
    EventKind.RELEASED: lambda e, s: _with(f"{_actor(e)} released the review", e.reason),
    EventKind.APPROVALS_CARRIED: _carried,
    EventKind.VERDICT: _verdict,
    EventKind.COUNTER_ACCEPTED: _counter_accepted,
    EventKind.CHANGES_REQUESTED: _changes_requested,
    EventKind.SIGNED_OFF: lambda e, s: f"{_actor(e)} signed the deal off",
    EventKind.ESCALATED: lambda e, s: _with(
        f"{_actor(e)} escalated the flag on {_summary(e, s)}", e.reason
    ),
    EventKind.ESCALATION_DECIDED: _escalation_decided,
    EventKind.REVISED: _revised,
    EventKind.SIGN_OFF_VOIDED: lambda e, s: _with("The sign-off was voided", e.reason),
    EventKind.WON: lambda e, s: f"{_actor(e)} marked the deal as won: its project has started",
    EventKind.LOST: lambda e, s: _with(f"{_actor(e)} marked the deal as lost", e.reason),
    EventKind.COMMENTED: lambda e, s: f"{_actor(e)} commented",
}


def describe(event: DealEvent, summaries: Mapping[int, str] | None = None) -> str:
    """What happened, in one sentence; `summaries` names commitments the event gives by id."""
    sentence = SENTENCES.get(event.kind)
    if sentence is None:
        return _with(f"{_actor(event)}: {event.get_kind_display()}", event.reason, " — ")
    return sentence(event, summaries or {})


def timeline(events: Iterable[DealEvent], summaries: Mapping[int, str]) -> list[TimelineEntry]:
    """The deal's events as the page shows them, oldest first."""
    return [TimelineEntry(event, describe(event, summaries)) for event in events]
