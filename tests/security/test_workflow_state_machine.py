"""Random people doing random things to deals, through the services and the API.

After every step: no deal is won unless its last sign-off's fingerprint matches its
commitments now; every status a deal went through is in its event trail, in order; the API
never answers 5xx.
"""

import contextlib

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
from deals.models import Client, Commitment, Deal, DealEvent, Escalation, Verdict
from handoff.errors import DomainError
from tests.security.world import commitment_data, deal_data

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
RUNS = {"steps": 0, "api_calls": 0, "examples": 0, "won": 0, "signed_off": 0}


class DealWorkflow(RuleBasedStateMachine):
    users: dict = {}

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from the same users and no deals: its writes are rolled back.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.client = Client.objects.create(name="Machine client")
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

    @rule(owner=st.sampled_from(("rep", "rep2")), commitments=st.integers(1, 3))
    def create_deal(self, owner: str, commitments: int) -> None:
        deal = services.deal_create(
            actor=self.users[owner],
            data=deal_data(self.client, f"Deal {len(self.deals) + 1}"),
            commitments=[commitment_data(n) for n in range(1, commitments + 1)],
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
        url = reverse("api:commitment-verdict", kwargs={"pk": commitment.pk})
        self._do(via_api, actor, services.commitment_rule, url, data, commitment=commitment, **data)

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
        steps=st.integers(1, 8),
        flag=st.sampled_from((False, False, True)),
        via_api=st.booleans(),
    )
    def the_right_people_take_the_next_steps(self, i, steps, flag, via_api):
        """Random actors rarely get a deal far; this moves it on as the workflow intends."""
        for _ in range(steps):
            self._next_step(i, flag, via_api)

    def _next_step(self, i, flag, via_api):
        deal = self._deal(i)
        owner = next(name for name, user in self.users.items() if user.pk == deal.owner_id)
        open_round = deal.rounds.filter(decided_at__isnull=True).first()
        reviewer = "pm"
        if open_round and open_round.reviewer_id:
            reviewer = next(n for n, u in self.users.items() if u.pk == open_round.reviewer_id)
        if deal.status in ("draft", "changes_requested"):
            self.submit(i, owner, via_api)
        elif deal.status == "in_review":
            ruled = set(open_round.verdicts.values_list("commitment_id", flat=True))
            unruled = deal.commitments.exclude(pk__in=ruled).order_by("id").first()
            if unruled is not None:
                verdict = "flagged" if flag else "approved"
                c = list(deal.commitments.order_by("id")).index(unruled)
                self.rule_on_commitment(i, c, reviewer, verdict, via_api)
            elif open_round.verdicts.filter(verdict="flagged").exists():
                self.request_changes(i, reviewer, via_api)
            else:
                self.sign_off(i, reviewer, via_api)
        elif deal.status == "signed_off":
            self.win(i, owner, via_api)

    # Invariants

    @invariant()
    def won_only_with_a_matching_sign_off(self) -> None:
        RUNS["won"] += Deal.objects.filter(pk__in=self.deals, status="won").count()
        RUNS["signed_off"] += Deal.objects.filter(pk__in=self.deals, status="signed_off").count()
        for deal in Deal.objects.filter(pk__in=self.deals, status="won"):
            sign_off = deal.sign_offs.order_by("-signed_at", "-pk").first()
            assert sign_off is not None, f"{deal} is won without a sign-off"
            digest, _ = services.fingerprint(deal.commitments.all())
            assert sign_off.fingerprint == digest, f"{deal} is won on other commitments"

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
    # The machine reached the close gate, not only the easy refusals.
    assert RUNS["won"] > 0
    print(f"\nworkflow machine: {RUNS}")
