"""Who hears about a review: the people asked to rule when a deal is submitted, assigned or
released, with the approval links of their email, and the proposer of an accepted counter.

Nobody hears of a deal they may not see (deals.selectors.people_who_see). Each email that asks
someone to rule lists the commitments waiting for an approval that person may give, each with
an "Approve" link (deals.approval_links), and one link approving all of them unchanged.
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings

from deals.approval_links import (
    approval_path,
    approval_token,
    commitments_to_approve,
    needs_from,
)
from deals.approvals import RequirementState, prime_team_ids, round_requirements
from deals.models import Commitment, Deal, ReviewRound, Verdict, VerdictKind
from deals.selectors import people_who_see
from feedback.emails import absolute, deal_url
from feedback.models import NotificationKind
from feedback.notify import notify
from handoff.models import User
from handoff.roles import is_pm
from handoff.templatetags.formats import count

# Commitments named in a notification's one line before "and N more".
NAMED_IN_TEXT = 3


@dataclass
class RoundPicture:
    """A round as its notices need it: commitments, verdicts, requirements, who sees the deal."""

    deal: Deal
    review_round: ReviewRound
    commitments: list[Commitment]
    verdicts: dict[int, Verdict]
    states: dict[int, list[RequirementState]]
    seers: dict[int, User]

    @classmethod
    def of(cls, deal: Deal, review_round: ReviewRound) -> "RoundPicture":
        """Read in six queries, however many people and commitments."""
        commitments = list(deal.commitments.order_by("id"))
        verdicts = {v.commitment_id: v for v in review_round.verdicts.all()}
        seers = {user.pk: user for user in people_who_see(deal)}
        prime_team_ids(user for user in seers.values() if is_pm(user))
        states = round_requirements(review_round, commitments, verdicts)
        return cls(deal, review_round, commitments, verdicts, states, seers)

    def sees(self, users: Iterable[User | None]) -> list[User]:
        """Those of `users` who may see the deal, as read with their settings."""
        return [self.seers[u.pk] for u in users if u is not None and u.pk in self.seers]

    @property
    def pms(self) -> list[User]:
        return [user for user in self.seers.values() if is_pm(user)]

    @property
    def in_queue(self) -> bool:
        """Nobody who may see the deal leads its review: any PM may claim it."""
        return not self.sees([self.review_round.reviewer])

    def lead(self) -> list[User]:
        """Who leads the review: its reviewer, or every PM who may claim it."""
        return self.pms if self.in_queue else self.sees([self.review_round.reviewer])

    def to_approve(self, user: User) -> list[tuple[Commitment, list[str]]]:
        return commitments_to_approve(
            user, self.review_round, self.commitments, self.states, self.verdicts
        )

    def asked_by_rules(self) -> dict[int, list[Commitment]]:
        """Who a review rule asks for an approval still missing: user id -> the commitments."""
        asked: dict[int, list[Commitment]] = {}
        for user in self.seers.values():
            wanted = [
                c
                for c in self.commitments
                if needs_from(
                    user,
                    self.review_round,
                    [s for s in self.states.get(c.pk, []) if s.requirement.rule_id is not None],
                    self.verdicts.get(c.pk),
                )
            ]
            if wanted:
                asked[user.pk] = wanted
        return asked

    def pending(self) -> list[Commitment]:
        """The commitments with a requirement not yet met."""
        return [c for c in self.commitments if any(not s.met for s in self.states.get(c.pk, []))]

    def links(self, user: User) -> dict[str, Any]:
        """The approval links of `user`'s email: one per commitment, and one for them all."""
        todo = self.to_approve(user)
        if not todo:
            return {"approvals": []}
        page = absolute(deal_url(self.deal))

        def url(commitments: list[Commitment]) -> str:
            token = approval_token(
                user=user, review_round=self.review_round, commitments=commitments
            )
            return absolute(approval_path(token))

        context: dict[str, Any] = {
            "approvals": [
                {
                    "summary": c.summary,
                    "kind": c.get_kind_display(),
                    "promised_date": c.promised_date,
                    "effort_days": c.effort_days,
                    "version": c.version,
                    "needs": "; ".join(needs),
                    "url": url([c]),
                    "flag_url": f"{page}#commitment-{c.pk}",
                }
                for c, needs in todo
            ]
        }
        if len(todo) > 1:
            context["approve_all_url"] = url([c for c, _ in todo])
        return context

    def personal(self, users: Iterable[User]) -> "PersonalLinks":
        return PersonalLinks(self, {user.pk: user for user in users})


class PersonalLinks(Mapping[int, dict[str, Any]]):
    """Each person's approval links, signed when their email is written: told to a whole
    queue, most people want no email now, and their links are never made."""

    def __init__(self, picture: RoundPicture, users: dict[int, User]) -> None:
        self.picture, self.users = picture, users

    def __getitem__(self, pk: int) -> dict[str, Any]:
        return self.picture.links(self.users[pk])

    def __contains__(self, pk: object) -> bool:
        return pk in self.users

    def __iter__(self) -> Iterator[int]:
        return iter(self.users)

    def __len__(self) -> int:
        return len(self.users)


def _named(commitments: list[Commitment]) -> str:
    """“A”, “B” and 2 more."""
    names = [f"“{c.summary}”" for c in commitments[:NAMED_IN_TEXT]]
    rest = len(commitments) - len(names)
    if rest:
        return ", ".join(names) + f" and {rest} more"
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0] if names else ""


def _round_summary(picture: RoundPicture) -> str:
    """“3 approvals carried from round 1, 1 commitment to rule”."""
    carried = Counter(
        v.carried_from_round
        for v in picture.verdicts.values()
        if v.is_carried and v.verdict != VerdictKind.FLAGGED
    )
    parts = []
    if carried:
        origins = sorted(carried)
        rounds = (
            f"round {origins[0]}"
            if len(origins) == 1
            else "rounds " + ", ".join(map(str, origins[:-1])) + f" and {origins[-1]}"
        )
        parts.append(f"{count(sum(carried.values()), 'approval')} carried from {rounds}")
    parts.append(f"{count(len(picture.pending()), 'commitment')} to rule")
    return ", ".join(parts)


def round_context(picture: RoundPicture) -> dict[str, Any]:
    review_round = picture.review_round
    return {
        "round": review_round.number,
        "due_at": review_round.due_at,
        "reviewer": str(review_round.reviewer) if review_round.reviewer_id else None,
        "links_valid_hours": settings.APPROVAL_LINK_MAX_AGE // 3600,
    }


def _latest_round(deal: Deal) -> ReviewRound | None:
    return deal.rounds.select_related("reviewer").order_by("-number").first()


def _round_of(event: Any) -> ReviewRound | None:
    """The round an event names (its data's "round"), else the deal's latest."""
    number = event.data.get("round")
    if number is None:
        return _latest_round(event.deal)
    return event.deal.rounds.select_related("reviewer").filter(number=number).first()


# Deal events


def submitted(event: Any) -> None:
    """The lead reviewer (or every PM) hears of the submission; each approver a review rule
    asks for, who is not among them, hears that their approval is needed."""
    deal = event.deal
    review_round = _round_of(event)
    # Told by the worker after commit: a round decided since then asks nobody to rule.
    if review_round is None or not review_round.is_open:
        return
    picture = RoundPicture.of(deal, review_round)
    # A resubmission goes back to the PM who asked for the changes; a first one to the queue.
    lead = picture.lead()
    context = round_context(picture)
    summary = _round_summary(picture)
    notify(
        recipients=lead,
        kind=NotificationKind.SUBMITTED,
        text=f"{event.actor} submitted {deal} for review (round {review_round.number}): {summary}.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={
            **context,
            "summary": summary,
            "claimable": not review_round.reviewer_id,
            "to_queue": picture.in_queue,
        },
        personal=picture.personal(lead),
    )
    told = {user.pk for user in lead}
    groups: dict[tuple[int, ...], list[User]] = {}
    for user_pk, commitments in picture.asked_by_rules().items():
        if user_pk not in told:
            groups.setdefault(tuple(c.pk for c in commitments), []).append(picture.seers[user_pk])
    by_pk = {c.pk: c for c in picture.commitments}
    for commitment_ids, people in groups.items():
        notify(
            recipients=people,
            kind=NotificationKind.APPROVAL_NEEDED,
            text=f"Your approval is needed on {deal}: "
            f"{_named([by_pk[pk] for pk in commitment_ids])}.",
            url=deal_url(deal),
            actor=event.actor,
            deal=deal,
            context=context,
            personal=picture.personal(people),
        )


def claimed(event: Any) -> None:
    deal = event.deal
    notify(
        recipients=[deal.owner],
        kind=NotificationKind.CLAIMED,
        text=f"{event.actor} is reviewing {deal}.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"reviewer": str(event.actor)},
    )


def assigned(event: Any) -> None:
    """The owner (and a reviewer taken off the review) hear who leads it now; the new lead
    reviewer is asked to rule, with the note of whoever handed it on."""
    deal = event.deal
    review_round = _latest_round(deal)
    data = event.data
    reviewer_id, previous_id = data.get("reviewer"), data.get("previous")
    people = User.objects.in_bulk([pk for pk in (reviewer_id, previous_id) if pk])
    reviewer, previous = people.get(reviewer_id), people.get(previous_id)
    if review_round is None or reviewer is None:
        return
    picture = RoundPicture.of(deal, review_round)
    handed_on = bool(data.get("handed_on"))
    verb = "handed the review of" if handed_on else "assigned the review of"
    notify(
        recipients=picture.sees([deal.owner, previous]),
        kind=NotificationKind.CLAIMED,
        text=f"{event.actor} {verb} {deal} {'on ' if handed_on else ''}to {reviewer}.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={"reviewer": str(reviewer)},
    )
    note = event.reason
    said = (
        f"{event.actor} handed the review of {deal} on to you"
        if handed_on
        else (f"{event.actor} assigned you the review of {deal}")
    )
    lead = picture.sees([reviewer])
    notify(
        recipients=lead,
        kind=NotificationKind.REVIEW_ASSIGNED,
        text=f"{said}: “{note}”" if note else f"{said}.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={**round_context(picture), "headline": f"{said}.", "note": note},
        personal=picture.personal(lead),
    )


def released(event: Any) -> None:
    """The PMs who may claim a released review hear it is free, with the releaser's note."""
    deal = event.deal
    review_round = _latest_round(deal)
    if review_round is None or not review_round.is_open:
        return
    picture = RoundPicture.of(deal, review_round)
    note = event.reason
    said = f"{event.actor} released the review of {deal}: claim it to lead the review"
    notify(
        recipients=picture.pms,
        kind=NotificationKind.REVIEW_RELEASED,
        text=f"{said}. “{note}”" if note else f"{said}.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={
            **round_context(picture),
            "headline": f"{said}.",
            "note": note,
            "claimable": True,
            "to_queue": True,
        },
        personal=picture.personal(picture.pms),
    )


def counter_accepted(event: Any) -> None:
    """The PM who proposed a counter hears the owner took it, and what the promise is now."""
    deal = event.deal
    flag = Verdict.objects.select_related("decided_by").filter(pk=event.data.get("verdict")).first()
    if flag is None:
        return
    proposer = list(people_who_see(deal).filter(pk=flag.decided_by_id))
    summary = event.data.get("summary", "a commitment")
    after = event.data.get("after") or {}
    promised = after.get("promised_date")
    notify(
        recipients=proposer,
        kind=NotificationKind.COUNTER_ACCEPTED,
        text=f"{event.actor} accepted your counter-proposal on “{summary}” ({deal}). "
        "It comes back approved by you when the deal is resubmitted.",
        url=deal_url(deal),
        actor=event.actor,
        deal=deal,
        context={
            "summary": summary,
            "promised_date": date.fromisoformat(promised) if promised else None,
            "effort_days": after.get("effort_days"),
            "round": event.data.get("round"),
        },
    )


HANDLERS = {
    "submitted": submitted,
    "claimed": claimed,
    "assigned": assigned,
    "released": released,
    "counter_accepted": counter_accepted,
}
