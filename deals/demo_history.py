"""Demo data only: dates a demo deal's audit trail by the back-dated rows it describes.

The demo makes its deals through the services in a second, then moves rounds back in time.
Here every event, sign-off, escalation and comment of the deal follows: an event that
describes a row (a submission, a claim, a verdict, a decision) takes that row's time, and one
that does not comes shortly after the event before it, so the trail reads in order and
"the past week" means the past week.
"""

import bisect
import datetime

from django.utils import timezone

from deals.models import (
    Comment,
    Deal,
    DealEvent,
    Escalation,
    EventKind,
    ReviewRound,
    SignOff,
    workflow_write,
)
from handoff.audit import append_only_lifted

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

# How long after the event before it an event without a row of its own happened.
GAP = {
    EventKind.COMMITMENT_ADDED: HOUR,
    EventKind.COMMITMENT_CHANGED: HOUR,
    EventKind.COMMITMENT_REMOVED: HOUR,
    EventKind.UPDATED: HOUR,
    EventKind.REVISED: 2 * HOUR,
    EventKind.SIGN_OFF_VOIDED: datetime.timedelta(0),
    EventKind.ESCALATED: 3 * HOUR,
    EventKind.ESCALATION_DECIDED: DAY,
    EventKind.WON: DAY,
    EventKind.LOST: DAY,
    EventKind.COMMENTED: HOUR,
}
# Written by the same call as the event before them, so at the same moment.
SAME_CALL = {(EventKind.CREATED, EventKind.COMMITMENT_ADDED)}

# (time the seed wrote an audit row, time the row was given), from every demo trail dated in
# this process: the rows other apps' demos wrote along with them (notifications) follow.
_moved: list[tuple[datetime.datetime, datetime.datetime]] = []


def remember_moved(pairs: list[tuple[datetime.datetime, datetime.datetime]]) -> None:
    _moved.extend(pairs)


def take_moved() -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Every (written, given) pair remembered so far, oldest written first; forgets them."""
    pairs = sorted(_moved)
    _moved.clear()
    return pairs


def moved_time(pairs, written: datetime.datetime) -> datetime.datetime | None:
    """The time given to what the seed wrote at `written`: that of the audit row just before."""
    before = bisect.bisect_right(
        pairs, (written, datetime.datetime.max.replace(tzinfo=datetime.UTC))
    )
    return pairs[before - 1][1] if before else None


def date_trail(deal: Deal, *, created: datetime.datetime) -> None:
    """Give the deal's events, sign-offs, escalations and comments times that fit its rounds."""
    now = timezone.now()
    rounds = {r.number: r for r in ReviewRound.objects.filter(deal=deal)}
    number = 0
    last = created
    previous = ""
    # (time the seed wrote the event, time it is given): comments follow the event before them.
    moved: list[tuple[datetime.datetime, datetime.datetime]] = []
    for event in DealEvent.objects.filter(deal=deal).order_by("id"):
        if event.kind == EventKind.SUBMITTED:
            number += 1
        review_round = rounds.get(number)
        at = _anchor(event, review_round, created)
        if at is None:
            same_call = (previous, event.kind) in SAME_CALL or (
                event.kind == EventKind.COMMITMENT_ADDED and previous == EventKind.COMMITMENT_ADDED
            )
            at = last if same_call else last + GAP.get(event.kind, HOUR)
        at = min(max(at, last), now)
        data = event.data
        if event.kind == EventKind.SUBMITTED and review_round is not None:
            data = {**event.data, "due_at": review_round.due_at.isoformat()}
        _rewrite_event(event, at=at, data=data)
        _date_rows_of(event, at)
        moved.append((event.at, at))
        last, previous = at, event.kind
    _date_comments(deal, moved, created)
    remember_moved(moved)
    Deal.objects.filter(pk=deal.pk).update(updated_at=last)
    if first := rounds.get(1):
        # The time of the first submission moves with it; the status is left as it is.
        with workflow_write():
            Deal.objects.filter(pk=deal.pk).update(first_submitted_at=first.submitted_at)


def _anchor(
    event: DealEvent, review_round: ReviewRound | None, created: datetime.datetime
) -> datetime.datetime | None:
    """The time of the row the event describes, or None when it describes none."""
    if event.kind == EventKind.CREATED:
        return created
    if review_round is None:
        return None
    if event.kind == EventKind.SUBMITTED:
        return review_round.submitted_at
    if event.kind in (EventKind.CLAIMED, EventKind.ASSIGNED):
        return review_round.claimed_at or review_round.submitted_at
    if event.kind == EventKind.VERDICT:
        verdict = review_round.verdicts.filter(commitment_id=event.data.get("commitment")).first()
        return verdict.decided_at if verdict else None
    if event.kind in (EventKind.CHANGES_REQUESTED, EventKind.SIGNED_OFF):
        return review_round.decided_at
    return None


def _rewrite_event(event: DealEvent, *, at: datetime.datetime, data: dict) -> None:
    # Seeding only: the audit tables refuse updates everywhere else (handoff.audit).
    with append_only_lifted("deals.DealEvent"):
        DealEvent._base_manager.filter(pk=event.pk).update(at=at, data=data)


def _date_rows_of(event: DealEvent, at: datetime.datetime) -> None:
    """The rows written with the event take its time."""
    if event.kind == EventKind.SIGNED_OFF:
        with append_only_lifted("deals.SignOff"):
            SignOff._base_manager.filter(
                deal_id=event.deal_id, round__number=event.data.get("round")
            ).update(signed_at=at)
    elif event.kind == EventKind.ESCALATED:
        Escalation.objects.filter(pk=event.data.get("escalation")).update(raised_at=at)
    elif event.kind == EventKind.ESCALATION_DECIDED:
        Escalation.objects.filter(pk=event.data.get("escalation")).update(decided_at=at)


def _date_comments(
    deal: Deal,
    moved: list[tuple[datetime.datetime, datetime.datetime]],
    created: datetime.datetime,
) -> None:
    """A comment comes a little after the event the seed wrote just before it."""
    written = [seeded for seeded, _ in moved]
    for comment in Comment.objects.filter(deal=deal).order_by("id"):
        before = bisect.bisect_right(written, comment.created_at) - 1
        at = moved[before][1] + GAP[EventKind.COMMENTED] if before >= 0 else created
        Comment.objects.filter(pk=comment.pk).update(created_at=min(at, timezone.now()))
