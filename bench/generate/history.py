"""A deal's history consistent with its status: rounds, verdicts, sign-off, events, project."""

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from bench.generate.vocabulary import (
    CLOSED_MIX,
    COMMENTS_PER_DEAL,
    COMMITMENTS_PER_DEAL,
    HISTORY_DAYS,
    KINDS,
    OPEN_STATUSES,
    RECENT_DAYS,
    RECENT_MIX,
    WORDS,
)
from deals.sla import review_due_at


@dataclass
class People:
    """The generated users' ids by role."""

    by_role: dict[str, list[int]] = field(default_factory=dict)

    def pick(self, rng: random.Random, role: str) -> int:
        return rng.choice(self.by_role[role])


class DealHistory:
    """The rows of one deal, made by the generator that mixes this in."""

    def deal(self, n: int, people: People, clients: list[int]) -> int:
        rng = self.rng
        owner = people.pick(rng, "sales")
        age = rng.uniform(0.5, HISTORY_DAYS)
        created = self.now - timedelta(days=age)
        mix = CLOSED_MIX if age > RECENT_DAYS else RECENT_MIX
        status = rng.choices(list(mix), list(mix.values()))[0]
        if status in OPEN_STATUSES:
            last = self.now - timedelta(days=rng.uniform(0.05, min(age / 2, 5)))
        else:
            last = min(
                created + timedelta(days=rng.uniform(10, 60)),
                created + (self.now - created) * rng.uniform(0.5, 0.95),
            )
        close_date = (created + timedelta(days=rng.randint(20, 120))).date()
        deal_id = self.new_id("deals.Deal")
        commitments = []
        for i in range(max(1, round(rng.gauss(COMMITMENTS_PER_DEAL, 1.2)))):
            commitments.append(
                {
                    "id": self.new_id("deals.Commitment"),
                    "kind": KINDS[i % len(KINDS)] if i < 3 else rng.choice(KINDS),
                    "summary": f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} by milestone {i + 1}",
                    "detail": "As agreed with the client in the scoping call.",
                    "promised_date": close_date + timedelta(days=rng.randint(30, 240)),
                    "effort_days": Decimal(rng.randint(2, 60)).quantize(Decimal("0.1")),
                }
            )

        # The path the deal took, as (action, extra) steps; times are spread from created to last.
        plan: list[str] = ["created"]
        prior_rounds = 1 if rng.random() < 0.3 else 0
        lost_from = None
        if status == "lost":
            lost_from = rng.choices(
                ["draft", "in_review", "changes_requested", "signed_off"], [3, 3, 3, 1]
            )[0]
        reach = lost_from or status
        if reach == "draft":
            plan += ["cr_round", "revised"] if rng.random() < 0.3 else []
        elif reach == "in_review":
            plan += ["cr_round", "resubmit"] * prior_rounds + ["open_round"]
        elif reach == "changes_requested":
            plan += ["cr_round", "resubmit"] * prior_rounds + ["cr_round"]
        elif reach in ("signed_off", "won"):
            plan += ["cr_round", "resubmit"] * prior_rounds + ["signed_round"]
        if status == "won":
            plan.append("won")
        if status == "lost":
            plan.append("lost")
        steps = len(plan)
        times = [created + (last - created) * (i / max(1, steps - 1)) for i in range(steps)]

        reviewer = people.pick(rng, "pm")
        events: list[dict] = []
        current = "draft"
        first_submitted = None
        round_number = 0
        open_round_id = None
        sign_off_id = None
        conditions: dict[int, str] = {}
        version = 1

        def event(at, kind, to=None, reason="", data=None, actor=owner):
            nonlocal current, version
            row = {
                "deal_id": deal_id,
                "actor_id": actor,
                "at": at,
                "kind": kind,
                "from_status": current if to else "",
                "to_status": to or "",
                "reason": reason,
                "data": data or {},
            }
            if kind == "created":
                row["from_status"], row["to_status"] = "", "draft"
            events.append(row)
            if to:
                current = to
            version += 1

        def submit_round(at, decided=None, outcome=""):
            nonlocal round_number, first_submitted
            round_number += 1
            if first_submitted is None:
                first_submitted = at
            due = review_due_at(at)
            round_id = self.add(
                "deals.ReviewRound",
                deal_id=deal_id,
                number=round_number,
                submitted_by_id=owner,
                submitted_at=at,
                due_at=due,
                reviewer_id=None,
                claimed_at=None,
                decided_at=decided,
                outcome=outcome,
            )
            event(
                at,
                "submitted",
                "in_review",
                data={"round": round_number, "due_at": due.isoformat()},
            )
            return round_id

        def rule(round_id, at, flag: bool, only=None):
            ruled = commitments if only is None else commitments[:only]
            flagged_ids = []
            for i, c in enumerate(ruled):
                if flag and (i == 0 or rng.random() < 0.2):
                    kind, reason, condition = "flagged", "Not feasible with current staffing.", ""
                    flagged_ids.append(c["id"])
                elif rng.random() < 0.2:
                    kind, reason, condition = (
                        "approved_with_condition",
                        "",
                        "Client signs the spec first.",
                    )
                else:
                    kind, reason, condition = "approved", "", ""
                if condition:
                    conditions[c["id"]] = condition
                self.add(
                    "deals.Verdict",
                    round_id=round_id,
                    commitment_id=c["id"],
                    commitment_version=1,
                    verdict=kind,
                    reason=reason,
                    condition=condition,
                    counter_date=None,
                    counter_effort_days=None,
                    decided_by_id=reviewer,
                    decided_at=at,
                )
                event(
                    at,
                    "verdict",
                    reason=reason or condition,
                    actor=reviewer,
                    data={
                        "round": round_number,
                        "commitment": c["id"],
                        "summary": c["summary"],
                        "verdict": kind,
                        "counter_date": None,
                        "counter_effort_days": None,
                    },
                )
            return flagged_ids

        def claimed_round(round_id_at):
            round_id, at = round_id_at
            self.tables["deals.ReviewRound"].rows[-1].update(reviewer_id=reviewer, claimed_at=at)
            event(at, "claimed", actor=reviewer, data={"round": round_number})
            return round_id

        for step, at in zip(plan, times, strict=True):
            if step == "created":
                event(at, "created")
            elif step in ("cr_round", "signed_round"):
                half = min((last - created) / (4 * steps), timedelta(hours=8))
                decided = at + half
                signed = step == "signed_round"
                outcome = "signed_off" if signed else "changes_requested"
                round_id = submit_round(at, decided, outcome)
                claimed_round((round_id, at + half / 3))
                flagged = rule(round_id, at + half / 2, flag=not signed)
                if signed:
                    sign_off_id = self._sign_off(
                        deal_id, round_id, reviewer, decided, commitments, conditions
                    )
                    event(
                        decided,
                        "signed_off",
                        "signed_off",
                        actor=reviewer,
                        data={"round": round_number, "fingerprint": self._last_fingerprint},
                    )
                else:
                    event(
                        decided,
                        "changes_requested",
                        "changes_requested",
                        actor=reviewer,
                        data={"round": round_number, "flagged": flagged},
                    )
            elif step == "resubmit":
                pass  # the next round's submission is the resubmission
            elif step == "open_round":
                open_round_id = submit_round(at)
                if rng.random() < 0.6:
                    claimed_round((open_round_id, at + timedelta(hours=2)))
                    if rng.random() < 0.5:
                        rule(open_round_id, at + timedelta(hours=3), flag=False, only=1)
            elif step == "revised":
                event(at, "revised", "draft", reason="Reworked the flagged promises.")
            elif step == "won":
                event(at, "won", "won", data={"sign_off": sign_off_id})
                self._project(deal_id, reviewer, owner, at, commitments, conditions, close_date)
            elif step == "lost":
                if open_round_id is not None:
                    rows = self.tables["deals.ReviewRound"].rows
                    rows[-1].update(decided_at=at, outcome="closed")
                event(at, "lost", "lost", reason="The client chose a competitor.")

        assert current == status, (status, plan, current)
        for c in commitments:
            self.add(
                "deals.Commitment",
                deal_id=deal_id,
                version=1,
                created_at=created,
                updated_at=created,
                **c,
            )
        for row in events:
            self.add("deals.DealEvent", **row)
        if rng.random() < COMMENTS_PER_DEAL:
            self.add(
                "deals.Comment",
                deal_id=deal_id,
                author_id=owner if rng.random() < 0.5 else reviewer,
                body="Checked with the client: the dates hold.",
                created_at=times[-1],
            )
        self.add(
            "deals.Deal",
            id=deal_id,
            title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} programme #{n}",
            client_id=rng.choice(clients),
            owner_id=owner,
            value=Decimal(rng.randint(5, 900) * 1000),
            currency=rng.choice(["EUR", "EUR", "USD", "GBP"]),
            expected_close_date=close_date,
            expected_start_date=close_date + timedelta(days=14),
            description="A generated deal for the benchmark.",
            status=status,
            lost_reason="The client chose a competitor." if status == "lost" else "",
            first_submitted_at=first_submitted,
            version=version,
            created_at=created,
            updated_at=max(e["at"] for e in events),
        )
        return deal_id

    _last_fingerprint = ""

    def _sign_off(self, deal_id, round_id, reviewer, at, commitments, conditions) -> int | None:
        snapshot = sorted(
            (
                {
                    "id": c["id"],
                    "version": 1,
                    "kind": c["kind"],
                    "summary": c["summary"],
                    "detail": c["detail"],
                    "promised_date": c["promised_date"].isoformat(),
                    "effort_days": str(c["effort_days"]),
                }
                for c in commitments
            ),
            key=lambda d: d["id"],
        )
        digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()
        self._last_fingerprint = digest
        for item in snapshot:
            item["condition"] = conditions.get(item["id"], "")
        return self.add(
            "deals.SignOff",
            round_id=round_id,
            deal_id=deal_id,
            signed_by_id=reviewer,
            signed_at=at,
            fingerprint=digest,
            snapshot=snapshot,
        )

    def _project(self, deal_id, pm, owner, won_at, commitments, conditions, close_date) -> None:
        if not self.has("projects.Project"):
            return
        rng = self.rng
        start = won_at.date() + timedelta(days=14)
        age = (self.today - start).days
        status = (
            "completed"
            if age > 300
            else rng.choice(["active", "active", "on_hold"])
            if age > 30
            else "kickoff"
        )
        project_id = self.add(
            "projects.Project",
            deal_id=deal_id,
            pm_id=pm,
            start_date=start,
            status=status,
            customer_context="Long-standing client; values a weekly status call.",
            stakeholders="CIO (sponsor), head of operations",
            risks="Data quality of the legacy system.",
            promised_outside_commitments="",
            accepted_at=None if status == "kickoff" else won_at + timedelta(days=3),
            created_at=won_at,
            updated_at=won_at,
        )
        self.add(
            "projects.ProjectEvent",
            project_id=project_id,
            actor_id=owner,
            at=won_at,
            kind="created",
            reason="",
            data={"deal": deal_id},
        )
        for position, text in enumerate(
            ("Read the handoff brief", "Internal handoff meeting", "Client kickoff")
        ):
            self.add(
                "projects.KickoffItem",
                project_id=project_id,
                text=text,
                done=status != "kickoff",
                position=position,
            )
        for c in commitments:
            promised = c["promised_date"]
            if promised < self.today and status != "kickoff":
                d_status = rng.choices(["delivered", "missed", "descoped"], [80, 15, 5])[0]
            else:
                d_status = rng.choices(["planned", "in_progress", "at_risk"], [50, 40, 10])[0]
            delivered_on = None
            slip = None
            if d_status == "delivered":
                delivered_on = promised + timedelta(days=rng.choice([-5, -2, 0, 0, 0, 3, 10, 25]))
                slip = max(0, (delivered_on - promised).days)
            elif d_status == "missed":
                slip = (self.today - promised).days
            self.add(
                "projects.Deliverable",
                project_id=project_id,
                commitment_id=c["id"],
                kind=c["kind"],
                summary=c["summary"],
                promised_date=promised,
                effort_days=c["effort_days"],
                condition=conditions.get(c["id"], ""),
                status=d_status,
                status_reason="Blocked by the client's data."
                if d_status in ("at_risk", "descoped")
                else "",
                delivered_on=delivered_on,
                slip_days=slip,
                updated_at=won_at,
            )
