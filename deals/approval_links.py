"""Approve from an email: signed, single-use links naming a reviewer, a round and the versions
of the commitments the email showed, and the confirmation step that approves them.

A link is `signing.dumps({"u": user, "r": round, "c": [[commitment, version], ...], "n": nonce})`
under its own salt: nobody can forge or alter one, and it expires after APPROVAL_LINK_MAX_AGE.
Opening it (GET) reads only; approving (POST) records its nonce in ApprovalLinkUse first, so a
second use finds it, and rules on every listed commitment in the same transaction, all or none.
"""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from deals import services
from deals.approvals import RequirementState, prime_team_ids, round_requirements, satisfies
from deals.models import (
    ApprovalLinkUse,
    ApproverKind,
    Commitment,
    Deal,
    DealStatus,
    ReviewRound,
    Verdict,
    VerdictKind,
)
from deals.selectors import deals_visible_to
from handoff.errors import DomainError
from handoff.models import User
from handoff.templatetags.formats import when

SALT = "deals.approval_links"
# More than a deal may hold (MAX_COMMITMENTS_PER_DEAL); a longer list was not made here.
MAX_ITEMS = 500


class LinkRefused(Exception):
    """Why a link cannot be used now: the page shows `reason` with `status`, changing nothing.

    `deal` is set only when the signed-in user may see it, so the page can link to it.
    """

    def __init__(self, reason: str, *, status: int, code: str, deal: Deal | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code
        self.deal = deal


@dataclass(frozen=True)
class LinkPayload:
    user_id: int
    round_id: int
    items: tuple[tuple[int, int], ...]
    nonce: str


@dataclass
class LinkItem:
    """One commitment of a link: as it is now, what it needs, and whether the user gave it."""

    commitment: Commitment
    states: list[RequirementState]
    verdict: Verdict | None
    meets: list[str] = field(default_factory=list)
    approved_already: bool = False


@dataclass
class ApprovalLink:
    payload: LinkPayload
    review_round: ReviewRound
    deal: Deal
    items: list[LinkItem]

    @property
    def pending(self) -> list[LinkItem]:
        return [item for item in self.items if not item.approved_already]

    @property
    def claims_review(self) -> bool:
        """Approving makes the user the lead reviewer: a PM's ruling claims an unclaimed round."""
        return self.review_round.reviewer_id is None and any(
            s.requirement.approver == ApproverKind.REVIEWER
            for item in self.pending
            for s in item.states
        )


# Making links


def approval_token(*, user: User, review_round: ReviewRound, commitments: Iterable[Commitment]):
    """A signed token approving `commitments` at their current versions, for `user` only."""
    items = [[c.pk, c.version] for c in commitments]
    payload = {"u": user.pk, "r": review_round.pk, "c": items, "n": secrets.token_urlsafe(12)}
    return signing.dumps(payload, salt=SALT, compress=True)


def approval_path(token: str) -> str:
    return reverse("deals:approve_link", args=[token])


def needs_from(
    user: User,
    review_round: ReviewRound,
    states: Sequence[RequirementState],
    verdict: Verdict | None,
) -> list[str]:
    """The labels of the unmet requirements `user` can meet and has not: empty if none, or if
    the commitment stands flagged (undoing a flag is a decision for the deal page)."""
    if verdict is not None and verdict.verdict == VerdictKind.FLAGGED:
        return []
    return [
        state.label
        for state in states
        if not state.met
        and satisfies(user, state.requirement, review_round)
        and all(a.approver_id != user.pk for a in state.approvals)
    ]


def commitments_to_approve(
    user: User,
    review_round: ReviewRound,
    commitments: Sequence[Commitment],
    states: Mapping[int, list[RequirementState]],
    verdicts: Mapping[int, Verdict],
) -> list[tuple[Commitment, list[str]]]:
    """The commitments waiting for an approval `user` may give, with the requirements it meets."""
    found = []
    for commitment in commitments:
        needs = needs_from(
            user, review_round, states.get(commitment.pk, []), verdicts.get(commitment.pk)
        )
        if needs:
            found.append((commitment, needs))
    return found


# Reading links


def read_token(token: str) -> LinkPayload:
    """The payload of a genuine, unexpired token, or LinkRefused (400) saying which it is not."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.APPROVAL_LINK_MAX_AGE)
    except signing.SignatureExpired:
        hours = settings.APPROVAL_LINK_MAX_AGE // 3600
        raise LinkRefused(
            f"This approval link has expired: links work for {hours} hours after the email "
            "is sent. Open the deal to rule on its commitments.",
            status=400,
            code="expired",
        ) from None
    except signing.BadSignature:
        raise _invalid() from None
    try:
        items = tuple((int(pk), int(version)) for pk, version in data["c"])
        payload = LinkPayload(int(data["u"]), int(data["r"]), items, str(data["n"]))
    except (KeyError, TypeError, ValueError):
        raise _invalid() from None
    if not 0 < len(items) <= MAX_ITEMS or not payload.nonce:
        raise _invalid()
    return payload


def _invalid() -> LinkRefused:
    return LinkRefused(
        "This approval link is not valid: it may have been cut short or changed on the way. "
        "Open the deal from the review queue instead.",
        status=400,
        code="invalid",
    )


def _payload_for(user: User, token: str) -> LinkPayload:
    payload = read_token(token)
    if payload.user_id != user.pk:
        raise LinkRefused(
            "This approval link was sent to someone else: only the person it was sent to can "
            "use it, signed in as themselves.",
            status=403,
            code="not_yours",
        )
    return payload


def _load(user: User, payload: LinkPayload, *, lock: bool) -> ApprovalLink:
    """The link as things stand now; LinkRefused when it is used, stale or done."""
    used = ApprovalLinkUse.objects.filter(nonce=payload.nonce).first()
    review_round = ReviewRound.objects.filter(pk=payload.round_id).first()
    deal = None
    if review_round is not None:
        deal = deals_visible_to(user).filter(pk=review_round.deal_id).first()
    if deal is None:
        raise LinkRefused(
            "The review this link belongs to is no longer there, or you may not see it.",
            status=404,
            code="not_found",
        )
    if lock:
        deal = Deal.objects.select_for_update().select_related("client", "owner").get(pk=deal.pk)
        review_round = ReviewRound.objects.get(pk=review_round.pk)
    if used is not None:
        raise LinkRefused(
            f"This approval link was already used, on {when(used.used_at)}. Each link works once.",
            status=409,
            code="already_used",
            deal=deal,
        )
    if not review_round.is_open or deal.status != DealStatus.IN_REVIEW:
        raise LinkRefused(
            f"Review round {review_round.number} of this deal is over, so its approval links "
            "no longer work. The deal page shows where it stands.",
            status=409,
            code="round_closed",
            deal=deal,
        )
    return _with_items(user, payload, review_round, deal)


def _with_items(
    user: User, payload: LinkPayload, review_round: ReviewRound, deal: Deal
) -> ApprovalLink:
    wanted = dict(payload.items)
    commitments = list(deal.commitments.filter(pk__in=wanted).order_by("id"))
    if len(commitments) != len(wanted):
        raise _stale("A commitment in this link was removed from the deal", deal)
    changed = [c for c in commitments if c.version != wanted[c.pk]]
    if changed:
        names = ", ".join(f"“{c.summary}”" for c in changed)
        raise _stale(f"{names} changed after the email was sent", deal)
    verdicts = {
        v.commitment_id: v
        for v in Verdict.objects.filter(round=review_round).select_related("decided_by")
    }
    flagged = [
        c for c in commitments if getattr(verdicts.get(c.pk), "verdict", "") == VerdictKind.FLAGGED
    ]
    if flagged:
        who = verdicts[flagged[0].pk].decided_by
        raise _stale(f"{who} flagged “{flagged[0].summary}” after the email was sent", deal)
    prime_team_ids([user])
    states = round_requirements(review_round, commitments, verdicts)
    items = []
    for commitment in commitments:
        own = states.get(commitment.pk, [])
        item = LinkItem(commitment=commitment, states=own, verdict=verdicts.get(commitment.pk))
        item.meets = [s.label for s in own if satisfies(user, s.requirement, review_round)]
        mine = [s for s in own if satisfies(user, s.requirement, review_round)]
        item.approved_already = bool(mine) and all(
            any(a.approver_id == user.pk and not a.is_carried for a in s.approvals) for s in mine
        )
        items.append(item)
    link = ApprovalLink(payload=payload, review_round=review_round, deal=deal, items=items)
    if not link.pending:
        raise LinkRefused(
            "You already approved every commitment in this link; nothing is left to do.",
            status=409,
            code="already_approved",
            deal=deal,
        )
    return link


def _stale(what: str, deal: Deal) -> LinkRefused:
    return LinkRefused(
        f"{what}, so this link approves nothing. Open the deal to rule on what it says now.",
        status=409,
        code="stale",
        deal=deal,
    )


def link_open(*, user: User, token: str) -> ApprovalLink:
    """What a link would approve, for the confirmation page. Reads only."""
    return _load(user, _payload_for(user, token), lock=False)


def link_approve(*, user: User, token: str) -> ApprovalLink:
    """Approve every commitment of the link not yet approved by `user`, all or none.

    The nonce is recorded first: two uses at once wait on its unique index, and the second
    is refused. A ruling the rules refuse rolls everything back, the nonce included.
    """
    payload = _payload_for(user, token)
    try:
        with transaction.atomic():
            link = _load(user, payload, lock=True)
            try:
                with transaction.atomic():
                    ApprovalLinkUse.objects.create(
                        nonce=payload.nonce, user=user, round=link.review_round
                    )
            except IntegrityError:
                raise LinkRefused(
                    "This approval link was already used. Each link works once.",
                    status=409,
                    code="already_used",
                    deal=link.deal,
                ) from None
            for item in link.pending:
                services.commitment_rule(
                    commitment=item.commitment, actor=user, verdict=VerdictKind.APPROVED
                )
    except DomainError as error:
        raise LinkRefused(
            f"Nothing was approved: {error.message}",
            status=error.http_status or 409,
            code=error.code,
            deal=link.deal,
        ) from error
    return link
