"""Random people doing random things to deals, through the services and the API.

The world has review rules (integration promises need a PM of the Integration team, pricing
on large deals a manager, big efforts two PMs) that a manager may change or retire midway;
approvals carry into the next round and counter-proposals are accepted.

After every step: no deal is won unless its last sign-off's fingerprint matches its
commitments now, and every commitment as signed was approved under the rules of its round
(each requirement met by enough distinct people who could give it); every status a deal went
through is in its event trail, in order; the API never answers 5xx.
"""

import contextlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from deals import services
from deals.approvals import could_satisfy
from deals.models import (
    ApprovalRequirement,
    ApproverKind,
    Client,
    Commitment,
    Deal,
    DealEvent,
    Escalation,
    ReviewRule,
    Verdict,
)
from handoff.errors import DomainError
from handoff.models import Team, TeamKind
from tests.security.world import commitment_data, deal_data

KINDS = ("scope", "integration", "pricing")

ACTORS = ("rep", "rep2", "pm", "pm2", "manager")
VERDICTS = ("approved", "approved_with_condition", "flagged")
API_ANSWERS = {200, 201, 204, 400, 403, 404, 409}
MACHINE_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
RUNS = {
    "steps": 0,
    "api_calls": 0,
    "examples": 0,
    "won": 0,
    "signed_off": 0,
    "won_under_rules": 0,
    "carried": 0,
    "counters_accepted": 0,
}


class DealWorkflow(RuleBasedStateMachine):
    users: dict = {}

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from the same users and no deals: its writes are rolled back.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.client = Client.objects.create(name="Machine client")
        team = Team.objects.create(name="Integration", kind=TeamKind.DELIVERY)
        team.members.add(self.users["pm2"])
        manager = self.users["manager"]
        for data in (
            {"name": "Integration", "kinds": ["integration"], "approver": "pm", "team": team},
            {
                "name": "Big pricing",
                "kinds": ["pricing"],
                "min_deal_value": 10000,
                "approver": "manager",
            },
            {"name": "Big effort", "min_effort_days": 8, "approver": "pm", "approvals_required": 2},
        ):
            services.review_rule_create(actor=manager, data=data)
        self.deals: list[int] = []
        self.seen: dict[int, list[str]] = {}
        RUNS["examples"] += 1

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # Helpers

    def _deal(self, index: int) -> Deal:
        return Deal.objects.get(pk=self.deals[index % len(self.deals)])

    def _api(self, actor: str, method: str, url: str, data: dict | None = None) -> int:
        api = APIClient()
        api.force_authenticate(self.users[actor])
        response = getattr(api, method)(url, data or {}, format="json")
        RUNS["api_calls"] += 1
        assert response.status_code < 500, f"{method.upper()} {url} as {actor}: {response}"
        assert response.status_code in API_ANSWERS, (
            f"{method.upper()} {url} as {actor}: {response.status_code} {response.content[:300]}"
        )
        return response.status_code

    def _service(self, call, **kwargs) -> None:
        with contextlib.suppress(DomainError, ValidationError):
            call(**kwargs)

    def _do(self, via_api: bool, actor: str, service, url: str, data: dict, **kwargs) -> None:
        RUNS["steps"] += 1
        if via_api:
            self._api(actor, "post", url, data)
        else:
            self._service(service, actor=self.users[actor], **kwargs)

    # Rules

    @rule(
        owner=st.sampled_from(("rep", "rep2")),
        kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=3),
        big=st.booleans(),
    )
    def create_deal(self, owner: str, kinds: list[str], big: bool) -> None:
        items = [
            {**commitment_data(n), "kind": kind, **({"effort_days": 10} if big and n == 1 else {})}
            for n, kind in enumerate(kinds, start=1)
        ]
        deal = services.deal_create(
            actor=self.users[owner],
            data=deal_data(self.client, f"Deal {len(self.deals) + 1}"),
            commitments=items,
        )
        self.deals.append(deal.pk)
        self.seen[deal.pk] = [deal.status]

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def submit(self, i, actor, via_api):
        deal = self._deal(i)
        url = reverse("api:deal-submit", kwargs={"pk": deal.pk})
        self._do(via_api, actor, services.deal_submit, url, {}, deal=deal)

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def claim(self, i, actor, via_api):
        deal = self._deal(i)
        url = reverse("api:deal-claim", kwargs={"pk": deal.pk})
        self._do(via_api, actor, services.review_claim, url, {}, deal=deal)

    @precondition(lambda self: self.deals)
    @rule(
        i=st.integers(0, 9),
        c=st.integers(0, 2),
        actor=st.sampled_from(ACTORS),
        verdict=st.sampled_from(VERDICTS),
        via_api=st.booleans(),
    )
    def rule_on_commitment(self, i, c, actor, verdict, via_api):
        deal = self._deal(i)
        commitments = list(deal.commitments.order_by("id"))
        if not commitments:
            return
        commitment = commitments[c % len(commitments)]
        data = {
            "verdict": verdict,
            "reason": "Not feasible" if verdict == "flagged" else "",
            "condition": "If staffed" if verdict == "approved_with_condition" else "",
        }
        typed = dict(data)
        if verdict == "flagged" and c % 2 == 0:
            data["counter_effort_days"] = "7.5"
            typed["counter_effort_days"] = Decimal("7.5")
        url = reverse("api:commitment-verdict", kwargs={"pk": commitment.pk})
        self._do(
            via_api, actor, services.commitment_rule, url, data, commitment=commitment, **typed
        )

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def accept_counter(self, i, actor, via_api):
        flag = (
            Verdict.objects.filter(round__deal=self._deal(i), verdict="flagged")
            .exclude(counter_effort_days=None)
            .order_by("-pk")
            .first()
        )
        if flag is None:
            return
        before = flag.counter_accepted_version
        url = reverse("api:verdict-accept-counter", kwargs={"pk": flag.pk}) if via_api else ""
        self._do(via_api, actor, services.verdict_accept_counter, url, {}, verdict=flag)
        flag.refresh_from_db()
        RUNS["counters_accepted"] += before is None and flag.counter_accepted_version is not None

    @precondition(lambda self: self.deals)
    @rule(
        actor=st.sampled_from(ACTORS),
        name=st.sampled_from(("Integration", "Big pricing", "Big effort")),
        change=st.sampled_from(("two", "one", "retire")),
    )
    def change_a_rule(self, actor, name, change):
        rule_ = ReviewRule.objects.filter(name=name, retired_at__isnull=True).first()
        if rule_ is None:
            return
        RUNS["steps"] += 1
        if change == "retire":
            self._service(services.review_rule_retire, rule=rule_, actor=self.users[actor])
        else:
            data = {"approvals_required": 2 if change == "two" else 1}
            self._service(
                services.review_rule_update, rule=rule_, actor=self.users[actor], data=data
            )

    @precondition(lambda self: self.deals)
    @rule(
        i=st.integers(0, 9),
        actor=st.sampled_from(ACTORS),
        to=st.sampled_from(("pm", "pm2")),
        release=st.booleans(),
    )
    def hand_on(self, i, actor, to, release):
        deal = self._deal(i)
        RUNS["steps"] += 1
        if release:
            self._service(services.review_release, deal=deal, actor=self.users[actor])
        else:
            self._service(
                services.review_assign, deal=deal, actor=self.users[actor], reviewer=self.users[to]
            )

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def request_changes(self, i, actor, via_api):
        deal = self._deal(i)
        url = reverse("api:deal-request-changes", kwargs={"pk": deal.pk})
        self._do(via_api, actor, services.deal_request_changes, url, {}, deal=deal)

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def sign_off(self, i, actor, via_api):
        deal = self._deal(i)
        url = reverse("api:deal-sign-off", kwargs={"pk": deal.pk})
        self._do(via_api, actor, services.deal_sign_off, url, {}, deal=deal)

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def escalate(self, i, actor, via_api):
        deal = self._deal(i)
        verdict = (
            Verdict.objects.filter(round__deal=deal, verdict="flagged").order_by("-pk").first()
        )
        if verdict is None:
            return
        data = {"argument": "The client already agreed."}
        url = reverse("api:verdict-escalate", kwargs={"pk": verdict.pk})
        self._do(via_api, actor, services.verdict_escalate, url, data, verdict=verdict, **data)

    @precondition(lambda self: self.deals)
    @rule(
        i=st.integers(0, 9),
        actor=st.sampled_from(ACTORS),
        decision=st.sampled_from(("upheld", "overruled")),
        via_api=st.booleans(),
    )
    def decide(self, i, actor, decision, via_api):
        escalation = Escalation.objects.filter(deal=self._deal(i)).order_by("-pk").first()
        if escalation is None:
            return
        data = {"decision": decision, "reason": "Looked at capacity"}
        url = reverse("api:escalation-decide", kwargs={"pk": escalation.pk})
        self._do(
            via_api, actor, services.escalation_decide, url, data, escalation=escalation, **data
        )

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def revise(self, i, actor, via_api):
        deal = self._deal(i)
        url = reverse("api:deal-revise", kwargs={"pk": deal.pk})
        self._do(via_api, actor, services.deal_revise, url, {}, deal=deal)

    @precondition(lambda self: self.deals)
    @rule(
        i=st.integers(0, 9),
        c=st.integers(0, 2),
        actor=st.sampled_from(ACTORS),
        summary=st.sampled_from(("Two sites", "Three sites", "Go-live in May")),
        via_api=st.booleans(),
    )
    def edit_commitment(self, i, c, actor, summary, via_api):
        commitments = list(Commitment.objects.filter(deal=self._deal(i)).order_by("id"))
        if not commitments:
            return
        commitment = commitments[c % len(commitments)]
        RUNS["steps"] += 1
        if via_api:
            url = reverse("api:commitment-detail", kwargs={"pk": commitment.pk})
            self._api(actor, "patch", url, {"summary": summary})
        else:
            self._service(
                services.commitment_update,
                commitment=commitment,
                actor=self.users[actor],
                data={"summary": summary},
            )

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def win(self, i, actor, via_api):
        deal = self._deal(i)
        url = reverse("api:deal-win", kwargs={"pk": deal.pk})
        self._do(via_api, actor, services.deal_win, url, {}, deal=deal)

    @precondition(lambda self: self.deals)
    @rule(i=st.integers(0, 9), actor=st.sampled_from(ACTORS), via_api=st.booleans())
    def lose(self, i, actor, via_api):
        deal = self._deal(i)
        url = reverse("api:deal-lose", kwargs={"pk": deal.pk})
        data = {"reason": "Went with a competitor"}
        self._do(via_api, actor, services.deal_lose, url, data, deal=deal, **data)

    @precondition(lambda self: self.deals)
    @rule(
        i=st.integers(0, 9),
        steps=st.integers(1, 12),
        flag=st.sampled_from((False, True)),
        via_api=st.booleans(),
    )
    def the_right_people_take_the_next_steps(self, i, steps, flag, via_api):
        """Random actors rarely get a deal far; this moves it on as the workflow intends,
        flagging (with a counter-proposal) in the first round only when `flag`, so that the
        next round has approvals to carry and a counter-proposal to accept."""
        for _ in range(steps):
            deal = self._deal(i)
            first_round = deal.rounds.count() <= 1
            self._next_step(i, flag and first_round, via_api)

    def _next_step(self, i, flag, via_api):
        deal = self._deal(i)
        owner = next(name for name, user in self.users.items() if user.pk == deal.owner_id)
        open_round = deal.rounds.filter(decided_at__isnull=True).first()
        reviewer = "pm"
        if open_round and open_round.reviewer_id:
            reviewer = next(n for n, u in self.users.items() if u.pk == open_round.reviewer_id)
        countered = (
            Verdict.objects.filter(
                round__deal=deal, verdict="flagged", counter_accepted_version=None
            )
            .exclude(counter_effort_days=None)
            .exists()
        )
        if deal.status == "changes_requested" and countered:
            self.accept_counter(i, owner, via_api)
        elif deal.status in ("draft", "changes_requested"):
            self.submit(i, owner, via_api)
        elif deal.status == "in_review":
            commitments = list(deal.commitments.order_by("id"))
            ruled = set(open_round.verdicts.values_list("commitment_id", flat=True))
            waiting = self._waiting(open_round, ruled, commitments, reviewer)
            if waiting is not None:
                c, who = waiting
                # One flag a round at most, so the next round has approvals to carry.
                flagged = open_round.verdicts.filter(verdict="flagged").exists()
                verdict = "flagged" if flag and not flagged and c not in ruled else "approved"
                self.rule_on_commitment(i, c, who, verdict, via_api)
            elif open_round.verdicts.filter(verdict="flagged").exists():
                self.request_changes(i, reviewer, via_api)
            else:
                self.sign_off(i, reviewer, via_api)
        elif deal.status == "signed_off":
            self.win(i, owner, via_api)

    def _waiting(self, open_round, ruled, commitments, reviewer):
        """The first commitment still short of an approval, and who can give it."""
        requirements = ApprovalRequirement.objects.filter(round=open_round).prefetch_related(
            "approvals"
        )
        by_commitment = {}
        for requirement in requirements:
            by_commitment.setdefault(requirement.commitment_id, []).append(requirement)
        flagged = set(
            open_round.verdicts.filter(verdict="flagged").values_list("commitment_id", flat=True)
        )
        for index, commitment in enumerate(commitments):
            if commitment.pk in flagged:
                continue
            if commitment.pk not in by_commitment and commitment.pk not in ruled:
                return index, reviewer
            for requirement in by_commitment.get(commitment.pk, []):
                given = {a.approver_id for a in requirement.approvals.all()}
                if len(given) >= requirement.approvals_required:
                    continue
                if requirement.approver == ApproverKind.REVIEWER:
                    return index, reviewer
                for name in ("pm2", "pm", "manager"):
                    user = self.users[name]
                    if user.pk not in given and could_satisfy(user, requirement):
                        return index, name
        return None

    # Invariants

    @invariant()
    def won_only_with_a_matching_sign_off(self) -> None:
        RUNS["won"] += Deal.objects.filter(pk__in=self.deals, status="won").count()
        RUNS["signed_off"] += Deal.objects.filter(pk__in=self.deals, status="signed_off").count()
        RUNS["carried"] += Verdict.objects.filter(
            round__deal__in=self.deals, carried_from_round__isnull=False
        ).count()
        for deal in Deal.objects.filter(pk__in=self.deals, status="won"):
            sign_off = deal.sign_offs.order_by("-signed_at", "-pk").first()
            assert sign_off is not None, f"{deal} is won without a sign-off"
            digest, _ = services.fingerprint(deal.commitments.all())
            assert sign_off.fingerprint == digest, f"{deal} is won on other commitments"
            self._approved_under_its_rules(deal, sign_off)

    def _approved_under_its_rules(self, deal, sign_off) -> None:
        """Every commitment as signed was approved by enough distinct people who could."""
        review_round = sign_off.round
        versions = {item["id"]: item["version"] for item in sign_off.snapshot}
        verdicts = {v.commitment_id: v for v in review_round.verdicts.all()}
        requirements = list(
            ApprovalRequirement.objects.filter(round=review_round).prefetch_related(
                "approvals__approver"
            )
        )
        for commitment_id, version in versions.items():
            verdict = verdicts.get(commitment_id)
            assert verdict is not None and verdict.is_approval, f"{deal}: {commitment_id} unruled"
            assert verdict.commitment_version == version, f"{deal}: verdict on another version"
        rules_used = False
        for requirement in requirements:
            approvers = [a.approver for a in requirement.approvals.all()]
            assert len({a.pk for a in approvers}) >= requirement.approvals_required, (
                f"{deal}: {requirement.label} not met at sign-off"
            )
            if requirement.approver != ApproverKind.REVIEWER:
                rules_used = True
                for approver in approvers:
                    assert could_satisfy(approver, requirement), (
                        f"{deal}: {approver} cannot give {requirement.label}"
                    )
        RUNS["won_under_rules"] += rules_used

    @invariant()
    def every_status_change_has_its_event(self) -> None:
        for deal in Deal.objects.filter(pk__in=self.deals):
            seen = self.seen[deal.pk]
            if seen[-1] != deal.status:
                seen.append(deal.status)
            changes = [
                (e.from_status, e.to_status)
                for e in DealEvent.objects.filter(deal=deal).order_by("at", "id")
                if e.to_status
            ]
            trail = [changes[0][1]] if changes else []
            for before, after in changes[1:]:
                assert before == trail[-1], f"{deal}: event {before}->{after} after {trail[-1]}"
                trail.append(after)
            assert trail and trail[-1] == deal.status, f"{deal}: {deal.status}, events {trail}"
            # What we saw between steps is a subsequence of the trail.
            position = 0
            for status in seen:
                assert status in trail[position:], f"{deal}: saw {seen}, trail {trail}"
                position = trail.index(status, position)


@pytest.mark.django_db
def test_random_actions_keep_the_close_gate_and_the_audit_trail(users):
    DealWorkflow.users = users
    run_state_machine_as_test(DealWorkflow, settings=MACHINE_SETTINGS)
    assert RUNS["examples"] >= 10
    assert RUNS["api_calls"] > 0
    # The machine reached the close gate, not only the easy refusals, and did so under rules,
    # with carried approvals and accepted counter-proposals.
    assert RUNS["won"] > 0
    assert RUNS["won_under_rules"] > 0
    assert RUNS["carried"] > 0
    assert RUNS["counters_accepted"] > 0
    print(f"\nworkflow machine: {RUNS}")
