"""API tokens made and revoked twice at once: one success and one clear refusal, never two
tokens of one name nor two revocations. PostgreSQL only: real row locks, one connection each."""

import pytest
from django.core.exceptions import ValidationError

from handoff.token_models import ApiToken, ApiTokenEvent
from handoff.tokens import services
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_tokens_of_one_name_at_once(rep):
    def make():
        return services.api_token_create(actor=rep, name="CRM sync", scopes=["read"])

    results = race(make, make)

    assert sorted(outcome for outcome, _ in results) == ["error", "ok"]
    refused = next(value for outcome, value in results if outcome == "error")
    assert isinstance(refused, ValidationError) and "name" in refused.message_dict
    assert ApiToken.objects.filter(user=rep).count() == 1


def test_one_token_revoked_twice_at_once(rep):
    token, _ = services.api_token_create(actor=rep, name="CRM sync", scopes=["read"])

    def revoke():
        return services.api_token_revoke(token=token, actor=rep)

    results = race(revoke, revoke)

    assert sorted(outcome for outcome, _ in results) == ["error", "ok"]
    refused = next(value for outcome, value in results if outcome == "error")
    assert isinstance(refused, services.AlreadyRevoked)
    assert ApiTokenEvent.objects.filter(token=token, kind="revoked").count() == 1
