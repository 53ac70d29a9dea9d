"""The deal page as its record layout reads it: each commitment's row, the review round's
summary, the next step of the review and who may take it, in a fixed number of queries."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest

from deals import rules
from deals.approvals import RequirementState, missing_approvals, round_requirements, satisfies
from deals.forms import (
    AssignForm,
    CommentForm,
    EscalateForm,
    HandOnForm,
    ReasonForm,
    ReleaseForm,
    RuleForm,
)
from deals.models import (
    Commitment,
    Deal,
    DealStatus,
    Escalation,
    ReviewRound,
    Verdict,
    VerdictKind,
)
from deals.panels import deal_panels_context
from deals.promise_advice import calibration_template, calibrations
from deals.selectors import deal_comments, deal_events, deal_rounds
from deals.timeline import day, days, number, timeline
from handoff.models import User
from handoff.roles import can_review, is_manager, is_pm

# The actions the side column offers; the review's next step is under the commitments.
SIDE_ACTIONS = frozenset({"edit", "claim", "release", "assign", "revise", "win", "lose"})


@dataclass
class Badge:
    key: str
    text: str


@dataclass
class CommitmentRow:
    """One commitment as its row shows it to the user looking."""

    commitment: Commitment
    verdict: Verdict | None
    states: list[RequirementState]
    history: list[tuple[ReviewRound, Verdict]]
    badge: Badge | None
    can_rule: bool = False
    needs_ruling: bool = False
    escalation: Escalation | None = None
    can_escalate: bool = False
    counter_change: str = ""
    rule_form: RuleForm | None = None
    escalate_form: EscalateForm | None = None
    # Which ruling form opens by itself: the one whose errors the user must see.
    open_form: str = ""
    requirement_lines: list[dict] = field(default_factory=list)
    # What history says about the promise, for whoever reviews it (deals.promise_advice).
    calibration: object | None = None
    calibration_template: str = ""

    @property
    def can_accept_counter(self) -> bool:
        return bool(self.counter_change)


def _escalation_of(verdict: Verdict):
    try:
        return verdict.escalation
    except Verdict.escalation.RelatedObjectDoesNotExist:
        return None


def counter_change(commitment: Commitment, flag: Verdict) -> str:
    """What accepting a flag's counter-proposal changes: "promised date 20 Mar 2027 → 3 Apr 2027,
    effort 12 → 15 days"."""
    changes = []
    if flag.counter_date is not None and flag.counter_date != commitment.promised_date:
        changes.append(f"promised date {day(commitment.promised_date)} → {day(flag.counter_date)}")
    effort = flag.counter_effort_days
    if effort is not None and effort != commitment.effort_days:
        changes.append(f"effort {number(commitment.effort_days)} → {days(effort)}")
    return ", ".join(changes) or "nothing: the commitment already reads as proposed"


def requirement_lines(states: Sequence[RequirementState]) -> list[dict]:
    """'Approval by a PM of Integration — Tom Berg ✓', '… — waiting', one per requirement."""
    lines = []
    for state in states:
        given = [
            f"{a.approver.display_name} ✓"
            + (f" (carried from round {a.carried_from_round})" if a.is_carried else "")
            for a in state.approvals
        ]
        if state.missing:
            given.append("waiting" if not given else f"waiting for {state.missing} more")
        lines.append({"label": state.label, "given": ", ".join(given), "met": state.met})
    return lines


def _carried_by(verdict: Verdict, states: Sequence[RequirementState]) -> str:
    names = {a.approver.display_name for s in states for a in s.approvals if a.is_carried}
    return ", ".join(sorted(names)) or verdict.decided_by.display_name


def _badge(row: CommitmentRow, *, in_review: bool, all_met: bool) -> Badge | None:
    verdict = row.verdict
    if verdict is not None and verdict.verdict == VerdictKind.FLAGGED:
        if verdict.counter_accepted_version is not None:
            return Badge("flagged", "Flagged · counter-proposal accepted")
        return Badge("flagged", "Flagged")
    if row.needs_ruling:
        return Badge("needs", "Needs your ruling")
    if verdict is None:
        return Badge("pending", "Not ruled yet") if in_review else None
    if not all_met:
        return Badge("waiting", "Waiting for approvals")
    if verdict.is_carried:
        who = _carried_by(verdict, row.states)
        return Badge(
            "carried", f"Carried from round {verdict.carried_from_round} · approved by {who}"
        )
    return Badge(verdict.verdict, verdict.get_verdict_display())


def _needs_ruling(
    user: User, open_round: ReviewRound, verdict: Verdict | None, states: Sequence[RequirementState]
) -> bool:
    """Whether the user still has an approval to give here (or nobody ruled yet)."""
    if verdict is None:
        return True
    if not verdict.is_approval:
        return False
    mine = [s for s in states if satisfies(user, s.requirement, open_round)]
    gave = any(a.approver_id == user.pk and not a.is_carried for s in mine for a in s.approvals)
    return not gave and any(not s.met for s in mine)


@dataclass
class ReviewState:
    """The deal's rounds and the latest one's verdicts, requirements and what is missing."""

    rounds: list[ReviewRound]
    commitments: list[Commitment]
    verdicts: dict[int, Verdict]
    states: dict[int, list[RequirementState]]

    @property
    def latest(self) -> ReviewRound | None:
        return self.rounds[0] if self.rounds else None

    @property
    def open_round(self) -> ReviewRound | None:
        latest = self.latest
        return latest if latest is not None and latest.is_open else None

    @property
    def missing(self) -> list[dict]:
        return missing_approvals(self.commitments, self.states) if self.open_round else []

    @property
    def approvals(self) -> tuple[int, int]:
        """(given, required) approvals of the open round, over every commitment."""
        states = [s for pk in (c.pk for c in self.commitments) for s in self.states.get(pk, [])]
        given = sum(min(len(s.approvals), s.requirement.approvals_required) for s in states)
        return given, sum(s.requirement.approvals_required for s in states)

    def review_answers(self, user: User, deal: Deal) -> dict:
        """The open round's decision for the user, each answer with its refusal."""
        review = {
            "commitment_ids": [c.pk for c in self.commitments],
            "verdicts": self.verdicts if self.open_round else None,
        }
        return {
            "request_changes": rules.can_request_changes(user, deal, self.open_round, **review),
            "sign_off": rules.can_sign_off(
                user, deal, self.open_round, **review, missing=self.missing
            ),
        }


def review_state(deal: Deal) -> ReviewState:
    rounds = deal_rounds(deal)
    commitments = list(deal.commitments.all())
    verdicts = {v.commitment_id: v for v in rounds[0].verdicts.all()} if rounds else {}
    states = round_requirements(rounds[0] if rounds else None, commitments, verdicts)
    return ReviewState(rounds, commitments, verdicts, states)


@dataclass(frozen=True)
class Ruled:
    commitment: Commitment
    verdict: Verdict


def decision_summary(state: ReviewState) -> dict:
    """What deciding the review would decide: the flags sent back, the conditions signed."""
    ruled = [Ruled(c, state.verdicts[c.pk]) for c in state.commitments if c.pk in state.verdicts]
    return {
        "commitment_count": len(state.commitments),
        "flagged": [r for r in ruled if r.verdict.verdict == VerdictKind.FLAGGED],
        "conditions": [r for r in ruled if r.verdict.condition and r.verdict.is_approval],
    }


def _is_decider(user: User, deal: Deal, open_round: ReviewRound | None) -> bool:
    """The lead reviewer, or a PM who would become it by ruling on an unclaimed review."""
    who = rules.can_sign_off(user, deal, open_round)
    return bool(who) or getattr(who.refusal, "code", "") == "review_not_claimed"


def _rows(user: User, deal: Deal, state: ReviewState, forms: Mapping) -> list[CommitmentRow]:
    open_round, latest = state.open_round, state.latest
    history_of: dict[int, list] = {}
    for old_round in state.rounds[1:]:
        for verdict in old_round.verdicts.all():
            history_of.setdefault(verdict.commitment_id, []).append((old_round, verdict))
    rows = []
    for commitment in state.commitments:
        verdict = state.verdicts.get(commitment.pk)
        states = state.states.get(commitment.pk, [])
        row = CommitmentRow(commitment, verdict, states, history_of.get(commitment.pk, []), None)
        row.requirement_lines = requirement_lines(states)
        if open_round is not None:
            row.can_rule = bool(rules.can_rule(user, deal, open_round, requirements=states))
            row.needs_ruling = row.can_rule and _needs_ruling(user, open_round, verdict, states)
        row.badge = _badge(
            row, in_review=open_round is not None, all_met=all(s.met for s in states)
        )
        if verdict is not None:
            verdict.commitment = commitment  # the rules read it; the row has it already
            row.escalation = _escalation_of(verdict)
            row.can_escalate = row.escalation is None and bool(
                rules.can_escalate(user, deal, verdict, latest_round=latest)
            )
            if verdict.has_counter and rules.can_accept_counter(
                user, deal, verdict, latest_round=latest
            ):
                row.counter_change = counter_change(commitment, verdict)
            row.escalate_form = forms.get(("escalate", verdict.pk)) or EscalateForm(
                prefix=f"escalate-{verdict.pk}"
            )
        if row.can_rule:
            posted = forms.get(("rule", commitment.pk))
            row.rule_form = posted or RuleForm(prefix=f"rule-{commitment.pk}")
            if posted is not None:
                row.open_form = posted.data.get(posted.add_prefix("verdict"), "")
        rows.append(row)
    if open_round is not None and can_review(user):
        _calibrate(rows, pm_id=open_round.reviewer_id or (user.pk if is_pm(user) else None))
    return rows


def _calibrate(rows: list[CommitmentRow], *, pm_id: int | None) -> None:
    """Beside each commitment in review, what history says about it (for the reviewer's team)."""
    promises = [
        (row.commitment.kind, row.commitment.effort_days, row.commitment.promised_date)
        for row in rows
    ]
    for row, found in zip(rows, calibrations(promises, pm_id=pm_id), strict=True):
        row.calibration = found
        row.calibration_template = calibration_template()


def deal_page_context(
    request: HttpRequest, deal: Deal, forms: Mapping | None = None, *, panels: bool = True
) -> dict:
    """Everything the deal page draws for the user looking (`panels`: other apps' sections)."""
    forms = forms or {}
    user = request.user
    state = review_state(deal)
    open_round = state.open_round
    actions = rules.available_actions(
        user,
        deal,
        open_round,
        commitment_ids=[c.pk for c in state.commitments],
        verdicts=state.verdicts if open_round else None,
        missing=state.missing,
    )
    rows = _rows(user, deal, state, forms)
    sign_off = None
    if deal.status in (DealStatus.SIGNED_OFF, DealStatus.WON):
        sign_off = deal.sign_offs.select_related("signed_by").order_by("-signed_at").first()
    summaries = {c.pk: c.summary for c in state.commitments}
    comments = list(deal_comments(deal).prefetch_related("mentions"))
    given, required = state.approvals
    owner = deal.owner_id == user.pk
    context = {
        "deal": deal,
        "rounds": state.rounds,
        "current_round": state.latest,
        "open_round": open_round,
        "rows": rows,
        "actions": actions,
        "to_rule": sum(1 for row in rows if row.needs_ruling),
        "side_actions": bool(actions & SIDE_ACTIONS),
        "approvals_given": given,
        "approvals_required": required,
        "decision": state.review_answers(user, deal)
        if _is_decider(user, deal, open_round)
        else None,
        "submit_answer": rules.can_submit(user, deal, commitment_count=len(state.commitments))
        if owner and deal.status in (DealStatus.DRAFT, DealStatus.CHANGES_REQUESTED)
        else None,
        **decision_summary(state),
        "sign_off": sign_off,
        "timeline": timeline(deal_events(deal), summaries),
        "comments": comments,
        "is_manager": is_manager(user),
        "lose_form": forms.get("lose") or ReasonForm(prefix="lose"),
        "assign_form": forms.get("assign") or AssignForm(prefix="assign"),
        "hand_on_form": forms.get("hand_on") or HandOnForm(prefix="hand_on", exclude=user),
        "release_form": forms.get("release") or ReleaseForm(prefix="release"),
        "comment_form": forms.get("comment") or CommentForm(prefix="comment"),
        "open_side_form": next(
            (name for name in ("assign", "hand_on", "release") if name in forms), ""
        ),
    }
    if panels:
        context.update(deal_panels_context(request, deal))
    return context
