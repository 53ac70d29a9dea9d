"""The demo's customer acceptance: one accepted and rated, one declined, one waiting."""

from django.core.management import call_command

from projects.acceptance_models import AcceptanceRequest


def test_demo_has_an_accepted_a_declined_and_a_pending_request(seeded):
    states = dict(AcceptanceRequest.objects.values_list("status", "deliverable__status"))
    assert states == {
        "accepted": "delivered",
        "declined": "in_progress",
        "pending": "delivered",
    }
    accepted = AcceptanceRequest.objects.get(status="accepted")
    assert accepted.rating == 5 and accepted.decided_at is not None


def test_seeding_again_adds_nothing(seeded, settings):
    before = list(AcceptanceRequest.objects.values_list("pk", "status"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(AcceptanceRequest.objects.values_list("pk", "status")) == before
