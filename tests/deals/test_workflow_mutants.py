"""What the workflow tells people: refusals in words, field errors, and the audit trail's rows.

Written against the mutants mutmut left alive (`make mutation`): each test checks what a user
reads on a page or an API client gets back, so a changed message, code or event fails here.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from deals import services
from deals.models import (
    CLOSE_GATE_TRIGGER,
    Client,
    Commitment,
    Deal,
    DealEvent,
    DealStatus,
    Escalation,
    EscalationDecision,
    EventKind,
    ReviewRound,
    StatusWriteRefused,
    Verdict,
    close_gate_trigger,
    workflow_write,
)
from handoff.errors import ActionForbidden, ConcurrentChange, DomainError, TransitionNotAllowed
from handoff.models import Role
from projects.models import Project
from tests.deals.builders import deal_in, draft_deal
from tests.factories import ClientFactory, UserFactory


def refusal(exception, call):
    """The error a service raised: its message and code are what the page and the API show."""
    with pytest.raises(exception) as error:
        call()
    return error.value


def field_errors(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def last_event(deal: Deal) -> DealEvent:
    return DealEvent.objects.filter(deal=deal).latest("id")


def trail(event: DealEvent) -> tuple:
    return (event.kind, event.actor, event.from_status, event.to_status, event.reason, event.data)


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", role=Role.ADMIN)


# Clients


def test_a_client_is_added_with_its_name_and_industry_trimmed(rep):
    client = services.client_create(actor=rep, name="  Acme Ltd  ", industry="  Retail ")
    assert (client.name, client.industry) == ("Acme Ltd", "Retail")
    assert Client.objects.get(pk=client.pk).name == "Acme Ltd"


@pytest.mark.parametrize("industry", [None, ""])
def test_a_client_without_an_industry_has_none(rep, industry):
    args = {} if industry is None else {"industry": industry}
    client = services.client_create(actor=rep, name="Acme", **args)
    assert Client.objects.get(pk=client.pk).industry == ""


@pytest.mark.parametrize("role", [Role.SALES, Role.MANAGER, Role.ADMIN])
def test_reps_managers_and_admins_add_clients(role, db):
    user = UserFactory(role=role)
    assert services.client_create(actor=user, name=f"Client of {role}").pk


def test_a_pm_cannot_add_a_client(pm):
    error = refusal(ActionForbidden, lambda: services.client_create(actor=pm, name="Acme"))
    assert error.message == "Only sales reps and managers add clients."
    assert not Client.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_client_needs_a_name(rep, name):
    errors = field_errors(lambda: services.client_create(actor=rep, name=name))
    assert errors == {"name": ["Give the client's name."]}


def test_a_client_name_is_unique_whatever_its_case(rep):
    ClientFactory(name="Acme Ltd")
    errors = field_errors(lambda: services.client_create(actor=rep, name="ACME ltd"))
    assert errors == {"name": ["A client with this name already exists."]}


def test_a_client_added_meanwhile_by_someone_else_is_a_field_error(rep, monkeypatch):
    # The check passed, then the same name landed first: the unique index answers.
    ClientFactory(name="Acme")
    monkeypatch.setattr(Client.objects, "filter", lambda **kw: Client.objects.none())
    errors = field_errors(lambda: services.client_create(actor=rep, name="acme"))
    assert errors == {"name": ["A client with this name already exists."]}


# Deals and their edits


@pytest.mark.parametrize("role", [Role.SALES, Role.MANAGER, Role.ADMIN])
def test_reps_managers_and_admins_create_deals(role, db):
    user = UserFactory(role=role)
    deal = services.deal_create(
        actor=user,
        data={
            "title": "New deal",
            "client": ClientFactory(),
            "expected_close_date": timezone.localdate() + datetime.timedelta(days=20),
        },
        commitments=[
            {
                "kind": "scope",
                "summary": "Pilot",
                "promised_date": timezone.localdate() + datetime.timedelta(days=40),
                "effort_days": Decimal("3.0"),
            }
        ],
    )
    commitment = deal.commitments.get()
    created, added = DealEvent.objects.filter(deal=deal).order_by("id")
    assert trail(created) == (EventKind.CREATED, user, "", DealStatus.DRAFT, "", {})
    assert (added.kind, added.actor) == (EventKind.COMMITMENT_ADDED, user)
    assert added.data == {
        "commitment": commitment.pk,
        "after": {
            "version": 1,
            "kind": "scope",
            "summary": "Pilot",
            "detail": "",
            "promised_date": commitment.promised_date.isoformat(),
            "effort_days": "3.0",
        },
    }


def test_a_pm_cannot_create_a_deal(pm):
    error = refusal(
        ActionForbidden,
        lambda: services.deal_create(actor=pm, data={"title": "x", "client": ClientFactory()}),
    )
    assert error.message == "Only sales reps and managers create deals."
    assert not Deal.objects.exists()


def test_a_deal_edit_records_each_change_before_and_after(rep):
    deal = draft_deal(rep, commitments=1)
    old_close, old_value = deal.expected_close_date, deal.value
    new_close = old_close + datetime.timedelta(days=7)
    services.deal_update(
        deal=deal,
        actor=rep,
        data={"expected_close_date": new_close, "value": Decimal("75000.00"), "title": deal.title},
    )
    event = last_event(deal)
    assert trail(event) == (
        EventKind.UPDATED,
        rep,
        "",
        "",
        "",
        {
            "changes": {
                "value": [str(old_value), "75000.00"],
                "expected_close_date": [old_close.isoformat(), new_close.isoformat()],
            }
        },
    )


def test_a_deal_edit_of_its_client_records_the_client_names(rep):
    deal = draft_deal(rep, commitments=1)
    before = deal.client.name
    other = ClientFactory(name="Globex")
    services.deal_update(deal=deal, actor=rep, data={"client": other})
    assert last_event(deal).data == {"changes": {"client": [before, "Globex"]}}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            DealStatus.IN_REVIEW,
            "A deal that is in review cannot be edited while it is in review; "
            "once the review is decided, revise it first.",
        ),
        (DealStatus.SIGNED_OFF, "A deal that is signed off cannot be edited — revise it first."),
        (DealStatus.WON, "A deal that is won cannot be edited."),
        (DealStatus.LOST, "A deal that is lost cannot be edited."),
    ],
)
def test_an_edit_outside_draft_says_how_to_edit(status, message, rep, pm):
    deal = deal_in(status, owner=rep, pm=pm)
    error = refusal(
        TransitionNotAllowed,
        lambda: services.deal_update(deal=deal, actor=rep, data={"title": "Renamed"}),
    )
    assert (error.message, error.code) == (message, "deal_not_editable")
    commitment = deal.commitments.first()
    error = refusal(
        TransitionNotAllowed,
        lambda: services.commitment_update(
            commitment=commitment, actor=rep, data={"summary": "Changed"}
        ),
    )
    expected = message.replace("A deal that is", "Commitments of a deal that is").replace(
        " cannot be edited", " are read-only"
    )
    assert (error.message, error.code) == (expected, "commitments_read_only")


def test_only_the_owner_edits_deletes_or_changes_commitments(rep, rep2):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    calls = {
        "Only the deal's owner can edit it.": lambda: services.deal_update(
            deal=deal, actor=rep2, data={"title": "Mine now"}
        ),
        "Only the deal's owner can delete it.": lambda: services.deal_delete(deal=deal, actor=rep2),
        "Only the deal's owner can change its commitments.": lambda: services.commitment_remove(
            commitment=commitment, actor=rep2
        ),
        "Only the deal's owner can submit it.": lambda: services.deal_submit(deal=deal, actor=rep2),
        "Only the deal's owner can revise it.": lambda: services.deal_revise(deal=deal, actor=rep2),
    }
    for message, call in calls.items():
        assert refusal(ActionForbidden, call).message == message
    assert Deal.objects.filter(pk=deal.pk, title=deal.title).exists()


def test_a_submitted_deal_cannot_be_deleted(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    services.deal_revise(deal=deal, actor=rep)
    error = refusal(TransitionNotAllowed, lambda: services.deal_delete(deal=deal, actor=rep))
    assert error.message == (
        "Only a draft that was never submitted can be deleted; mark it as lost instead."
    )
    assert error.code == "delete_not_allowed"
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_a_stale_deal_edit_is_a_conflict_with_a_reason(rep):
    deal = draft_deal(rep, commitments=1)
    error = refusal(
        ConcurrentChange,
        lambda: services.deal_update(
            deal=deal, actor=rep, data={"title": "Late"}, expected_version=deal.version - 1
        ),
    )
    assert error.message == (
        "Someone else changed this deal while you were working on it. "
        "Reload to see their change, then try again."
    )


# Commitments


def test_adding_a_commitment_records_who_added_what(rep):
    deal = draft_deal(rep, commitments=0)
    commitment = services.commitment_add(
        deal=deal,
        actor=rep,
        data={
            "kind": "timeline",
            "summary": "Go live",
            "detail": "In March",
            "promised_date": timezone.localdate() + datetime.timedelta(days=60),
            "effort_days": Decimal("2.5"),
        },
    )
    assert trail(last_event(deal)) == (
        EventKind.COMMITMENT_ADDED,
        rep,
        "",
        "",
        "",
        {
            "commitment": commitment.pk,
            "after": {
                "version": 1,
                "kind": "timeline",
                "summary": "Go live",
                "detail": "In March",
                "promised_date": commitment.promised_date.isoformat(),
                "effort_days": "2.5",
            },
        },
    )


def test_changing_a_commitment_records_it_before_and_after_with_versions(rep):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    before = {
        "version": 1,
        "kind": commitment.kind,
        "summary": commitment.summary,
        "detail": commitment.detail,
        "promised_date": commitment.promised_date.isoformat(),
        "effort_days": str(commitment.effort_days),
    }
    changed = services.commitment_update(
        commitment=commitment, actor=rep, data={"summary": "Bigger pilot"}, expected_version=1
    )
    assert changed.version == 2
    assert trail(last_event(deal)) == (
        EventKind.COMMITMENT_CHANGED,
        rep,
        "",
        "",
        "",
        {
            "commitment": commitment.pk,
            "before": before,
            "after": {**before, "summary": "Bigger pilot", "version": 2},
        },
    )


def test_saving_a_commitment_unchanged_records_nothing(rep):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    events = DealEvent.objects.filter(deal=deal).count()
    same = services.commitment_update(
        commitment=commitment, actor=rep, data={"summary": commitment.summary}
    )
    assert same.version == 1
    assert DealEvent.objects.filter(deal=deal).count() == events


def test_a_stale_commitment_edit_is_a_conflict_with_a_reason(rep):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    services.commitment_update(commitment=commitment, actor=rep, data={"summary": "First"})
    error = refusal(
        ConcurrentChange,
        lambda: services.commitment_update(
            commitment=commitment, actor=rep, data={"summary": "Second"}, expected_version=1
        ),
    )
    assert error.message == "This commitment changed since you opened it. Reload and try again."
    assert Commitment.objects.get(pk=commitment.pk).summary == "First"


def test_removing_a_commitment_records_what_it_was(rep):
    deal = draft_deal(rep, commitments=2)
    commitment = deal.commitments.first()
    before = commitment.fingerprint_data()
    before.pop("id")
    services.commitment_remove(commitment=commitment, actor=rep)
    assert trail(last_event(deal)) == (
        EventKind.COMMITMENT_REMOVED,
        rep,
        "",
        "",
        "",
        {"commitment": commitment.pk, "before": before},
    )
    assert not Commitment.objects.filter(pk=commitment.pk).exists()


def test_the_commitment_cap_is_a_field_error_with_its_code(rep, settings):
    settings.MAX_COMMITMENTS_PER_DEAL = 1
    deal = draft_deal(rep, commitments=1)
    with pytest.raises(ValidationError) as error:
        services.commitment_add(
            deal=deal,
            actor=rep,
            data={
                "kind": "scope",
                "summary": "One too many",
                "promised_date": timezone.localdate() + datetime.timedelta(days=10),
            },
        )
    (field_error,) = next(iter(error.value.error_dict.values()))
    assert field_error.code == "too_many_commitments"
    assert deal.commitments.count() == 1


# Reviews: claim and assign


def test_assigning_a_review_records_who_now_reviews_it(rep, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    before = timezone.now()
    review_round = services.review_assign(deal=deal, actor=manager, reviewer=pm2)
    stored = ReviewRound.objects.get(pk=review_round.pk)
    assert stored.reviewer == pm2
    assert stored.claimed_at >= before
    assert trail(last_event(deal)) == (
        EventKind.ASSIGNED,
        manager,
        "",
        "",
        "",
        {
            "round": 1,
            "reviewer": pm2.pk,
            "reviewer_name": str(pm2),
            "previous": pm.pk,
            "previous_name": str(pm),
            "handed_on": False,
        },
    )


def test_only_a_manager_assigns_reviews_to_an_active_pm(rep, rep2, pm, pm2, manager):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    error = refusal(
        ActionForbidden, lambda: services.review_assign(deal=deal, actor=pm2, reviewer=pm2)
    )
    assert error.message == "Only a manager or the lead reviewer can assign this review."
    pm2.is_active = False
    pm2.save()
    for reviewer in (rep2, pm2):
        errors = field_errors(
            lambda reviewer=reviewer: services.review_assign(
                deal=deal, actor=manager, reviewer=reviewer
            )
        )
        assert errors == {"reviewer": ["Choose an active project manager."]}
    assert ReviewRound.objects.get(deal=deal).reviewer == pm


def test_only_a_deal_in_review_is_assigned(rep, pm, pm2, manager):
    deal = draft_deal(rep)
    error = refusal(
        TransitionNotAllowed,
        lambda: services.review_assign(deal=deal, actor=manager, reviewer=pm2),
    )
    assert (error.message, error.code) == (
        "Only a deal in review can be assigned.",
        "assign_not_allowed",
    )


# Comments


def test_an_empty_comment_is_a_field_error(rep):
    deal = draft_deal(rep)
    for body in ("", "   ", None):
        errors = field_errors(
            lambda body=body: services.comment_add(deal=deal, actor=rep, body=body)
        )
        assert errors == {"body": ["Write something first."]}


def test_a_comment_may_be_5000_characters_and_no_more(rep):
    deal = draft_deal(rep)
    assert services.comment_add(deal=deal, actor=rep, body="x" * 5000).body == "x" * 5000
    errors = field_errors(lambda: services.comment_add(deal=deal, actor=rep, body="y" * 5001))
    assert errors == {"body": ["Keep comments under 5,000 characters."]}


def test_a_mention_at_the_end_of_a_sentence_notifies_that_person(rep, manager):
    deal = draft_deal(rep)
    comment = services.comment_add(deal=deal, actor=rep, body="Thanks @manager.")
    assert list(comment.mentions.all()) == [manager]


def test_a_username_ending_in_x_is_mentioned_whole(rep):
    max_ = UserFactory(username="MAX", role=Role.MANAGER)
    deal = draft_deal(rep)
    comment = services.comment_add(deal=deal, actor=rep, body="Over to @MAX.")
    assert list(comment.mentions.all()) == [max_]


def test_mentions_skip_the_author_and_people_who_left(rep, manager):
    UserFactory(username="gone", role=Role.MANAGER, is_active=False)
    deal = draft_deal(rep)
    comment = services.comment_add(deal=deal, actor=rep, body="@rep @gone @manager see this")
    assert list(comment.mentions.all()) == [manager]
    # Nobody who can see the deal was left out: the author is not told of anyone.
    assert services.mentions_left_out(comment) == ""


@pytest.mark.parametrize(
    ("names", "told"),
    [
        ([], ""),
        (["rep2"], "@rep2 cannot see this deal and was not notified."),
        (["rep2", "pm"], "@pm and @rep2 cannot see this deal and were not notified."),
        (
            ["rep2", "pm", "pm2"],
            "@pm, @pm2 and @rep2 cannot see this deal and were not notified.",
        ),
    ],
)
def test_the_author_is_told_who_cannot_see_the_deal(names, told, rep, rep2, pm, pm2, manager):
    deal = draft_deal(rep)
    body = "Look " + " ".join(f"@{name}" for name in names) + " and @manager"
    comment = services.comment_add(deal=deal, actor=rep, body=body)
    assert services.mentions_left_out(comment) == told
    assert list(comment.mentions.all()) == [manager]


def test_a_comment_read_back_tells_of_nobody_left_out(rep):
    deal = draft_deal(rep)
    comment = services.comment_add(deal=deal, actor=rep, body="@rep2 hello")
    stored = deal.comments.get(pk=comment.pk)
    assert services.mentions_left_out(stored) == ""


# The gate on bulk writes


def test_bulk_writes_of_other_fields_go_through(rep):
    deals = [draft_deal(rep, commitments=0) for _ in range(3)]
    for deal in deals:
        deal.title = f"Bulk {deal.pk}"
    Deal.objects.bulk_update(deals, ["title"], batch_size=1)
    assert sorted(Deal.objects.values_list("title", flat=True)) == sorted(
        f"Bulk {deal.pk}" for deal in deals
    )
    client = ClientFactory()
    made = Deal.objects.bulk_create(
        [
            Deal(title=f"Imported {n}", client=client, owner=rep, expected_close_date="2030-01-01")
            for n in range(2)
        ],
        batch_size=1,
    )
    assert len(made) == 2
    assert Deal.objects.filter(title__startswith="Imported", status=DealStatus.DRAFT).count() == 2


def test_a_bulk_status_write_names_the_fields_it_refuses(rep):
    draft_deal(rep, commitments=0)
    error = refusal(StatusWriteRefused, lambda: Deal.objects.update(status="won", lost_reason="x"))
    assert str(error) == "lost_reason, status change only through the review workflow."
    assert not Deal.objects.filter(status="won").exists()


def test_a_save_of_some_fields_leaves_the_others_as_someone_else_wrote_them(rep):
    deal = draft_deal(rep, commitments=0)
    stale = Deal.objects.get(pk=deal.pk)
    services.deal_update(deal=deal, actor=rep, data={"value": Decimal("99.00")})
    stale.title = "Renamed by a script"
    stale.save(update_fields=["title"])
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.title, stored.value) == ("Renamed by a script", Decimal("99.00"))


def test_a_new_deal_saved_past_draft_is_refused_in_words(rep):
    deal = Deal(
        title="Born signed", client=ClientFactory(), owner=rep, expected_close_date="2030-01-01"
    )
    deal.status = DealStatus.SIGNED_OFF
    error = refusal(StatusWriteRefused, deal.save)
    assert str(error) == "A new deal starts as a draft."


def test_a_stale_copy_cannot_save_an_old_status_back(rep):
    deal = draft_deal(rep, commitments=1)
    stale = Deal.objects.get(pk=deal.pk)
    services.deal_submit(deal=deal, actor=rep)
    stale.title = "From an old form"
    error = refusal(StatusWriteRefused, stale.save)
    assert str(error) == "A deal's status changes only through the review workflow."
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.IN_REVIEW


def test_a_new_deal_with_a_loss_reason_is_not_a_draft(rep):
    deal = Deal(
        title="Born lost", client=ClientFactory(), owner=rep, expected_close_date="2030-01-01"
    )
    deal.lost_reason = "Never wanted"
    refusal(StatusWriteRefused, deal.save)
    assert not Deal.objects.filter(title="Born lost").exists()


def test_bulk_create_keeps_its_options(rep):
    # A re-run import that skips the deals it already wrote must not fail on them.
    existing = draft_deal(rep, commitments=0)
    again = Deal(
        pk=existing.pk,
        title="Imported twice",
        client=existing.client,
        owner=rep,
        expected_close_date="2030-01-01",
    )
    Deal.objects.bulk_create([again], ignore_conflicts=True)
    assert Deal.objects.get(pk=existing.pk).title == existing.title


def test_bulk_create_refuses_deals_past_draft_outside_the_workflow(rep):
    client = ClientFactory()
    deal = Deal(
        title="Born won",
        client=client,
        owner=rep,
        expected_close_date="2030-01-01",
        status=DealStatus.WON,
    )
    error = refusal(StatusWriteRefused, lambda: Deal.objects.bulk_create([deal]))
    assert str(error) == "A new deal starts as a draft."
    assert not Deal.objects.filter(title="Born won").exists()
    with workflow_write():
        Deal.objects.bulk_create(
            [Deal(title="Restored", client=client, owner=rep, expected_close_date="2030-01-01")]
        )
    assert Deal.objects.filter(title="Restored").exists()


# Submit, claim and rule


def test_a_submission_opens_round_one_and_records_its_due_time(rep):
    deal = draft_deal(rep, commitments=1)
    review_round = services.deal_submit(deal=deal, actor=rep)
    stored = Deal.objects.get(pk=deal.pk)
    assert (review_round.number, review_round.submitted_by, review_round.reviewer) == (1, rep, None)
    assert review_round.claimed_at is None
    assert stored.first_submitted_at == review_round.submitted_at
    assert trail(last_event(deal)) == (
        EventKind.SUBMITTED,
        rep,
        DealStatus.DRAFT,
        DealStatus.IN_REVIEW,
        "",
        {"round": 1, "due_at": review_round.due_at.isoformat()},
    )


def test_a_resubmission_goes_back_to_the_pm_who_asked_for_changes(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    first_submitted = Deal.objects.get(pk=deal.pk).first_submitted_at
    review_round = services.deal_submit(deal=deal, actor=rep)
    assert (review_round.number, review_round.reviewer) == (2, pm)
    assert review_round.claimed_at == review_round.submitted_at
    assert Deal.objects.get(pk=deal.pk).first_submitted_at == first_submitted
    assert last_event(deal).data["round"] == 2


def test_submitting_without_commitments_says_what_is_missing(rep):
    deal = draft_deal(rep, commitments=0)
    error = refusal(DomainError, lambda: services.deal_submit(deal=deal, actor=rep))
    assert error.message == "Add at least one commitment before submitting for review."


def test_a_transition_from_the_wrong_status_names_the_action_and_the_status(rep, pm):
    deal = deal_in(DealStatus.WON, owner=rep, pm=pm)
    for action, call, label in [
        ("submit", lambda: services.deal_submit(deal=deal, actor=rep), "submit"),
        ("revise", lambda: services.deal_revise(deal=deal, actor=rep), "revise"),
        ("lose", lambda: services.deal_lose(deal=deal, actor=rep, reason="x"), "mark as lost"),
        ("win", lambda: services.deal_win(deal=deal, actor=rep), "mark as won"),
        ("sign_off", lambda: services.deal_sign_off(deal=deal, actor=pm), "sign off"),
        (
            "request_changes",
            lambda: services.deal_request_changes(deal=deal, actor=pm),
            "request changes on",
        ),
    ]:
        error = refusal(TransitionNotAllowed, call)
        assert (error.message, error.code) == (
            f"You cannot {label} a deal that is won.",
            f"{action}_not_allowed",
        )


def test_claiming_records_who_claimed_which_round(rep, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    before = timezone.now()
    review_round = services.review_claim(deal=deal, actor=pm)
    stored = ReviewRound.objects.get(pk=review_round.pk)
    assert stored.reviewer == pm
    assert stored.claimed_at >= before
    assert trail(last_event(deal)) == (EventKind.CLAIMED, pm, "", "", "", {"round": 1})
    # Claiming again is a no-op, not a second claim.
    services.review_claim(deal=deal, actor=pm)
    assert DealEvent.objects.filter(deal=deal, kind=EventKind.CLAIMED).count() == 1


def test_claiming_says_why_it_cannot(rep, pm, pm2):
    deal = draft_deal(rep, commitments=1)
    error = refusal(TransitionNotAllowed, lambda: services.review_claim(deal=deal, actor=pm))
    assert (error.message, error.code) == (
        "Only a deal in review can be claimed.",
        "claim_not_allowed",
    )
    services.deal_submit(deal=deal, actor=rep)
    error = refusal(ActionForbidden, lambda: services.review_claim(deal=deal, actor=rep))
    assert error.message == "Only a project manager can claim a review."
    services.review_claim(deal=deal, actor=pm)
    error = refusal(ConcurrentChange, lambda: services.review_claim(deal=deal, actor=pm2))
    assert (error.message, error.code) == (f"{pm} already claimed this review.", "already_claimed")


def test_ruling_on_an_unclaimed_review_claims_it_first(rep, pm):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    commitment = deal.commitments.get()
    before = timezone.now()
    services.commitment_rule(commitment=commitment, actor=pm, verdict="approved")
    stored = ReviewRound.objects.get(deal=deal)
    assert stored.reviewer == pm
    assert stored.claimed_at >= before
    claimed, ruled = DealEvent.objects.filter(deal=deal).order_by("-id")[:2][::-1]
    assert trail(claimed) == (EventKind.CLAIMED, pm, "", "", "", {"round": 1})
    assert ruled.kind == EventKind.VERDICT


def test_a_flag_records_its_reason_and_counter_proposal(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()
    later = commitment.promised_date + datetime.timedelta(days=14)
    ruling = services.commitment_rule(
        commitment=commitment,
        actor=pm,
        verdict="flagged",
        reason="  Two weeks short ",
        condition="ignored for a flag",
        counter_date=later,
        counter_effort_days=Decimal("8.0"),
    )
    stored = Verdict.objects.get(pk=ruling.pk)
    assert (stored.verdict, stored.reason, stored.condition) == (
        "flagged",
        "Two weeks short",
        "",
    )
    assert (stored.counter_date, stored.counter_effort_days) == (later, Decimal("8.0"))
    assert (stored.decided_by, stored.commitment_version) == (pm, commitment.version)
    assert trail(last_event(deal)) == (
        EventKind.VERDICT,
        pm,
        "",
        "",
        "Two weeks short",
        {
            "round": 1,
            "commitment": commitment.pk,
            "summary": commitment.summary,
            "verdict": "flagged",
            "condition": "",
            "requirements": [],
            "counter_date": later.isoformat(),
            "counter_effort_days": "8.0",
        },
    )


def test_a_conditional_approval_keeps_only_its_condition(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()
    ruling = services.commitment_rule(
        commitment=commitment,
        actor=pm,
        verdict="approved_with_condition",
        reason="not a flag",
        condition=" If the client signs by Friday ",
        counter_date=commitment.promised_date,
        counter_effort_days=Decimal("1.0"),
    )
    stored = Verdict.objects.get(pk=ruling.pk)
    assert (stored.reason, stored.condition, stored.counter_date, stored.counter_effort_days) == (
        "",
        "If the client signs by Friday",
        None,
        None,
    )
    event = last_event(deal)
    assert event.reason == "If the client signs by Friday"
    assert (event.data["counter_date"], event.data["counter_effort_days"]) == (None, None)
    ruling = services.commitment_rule(
        commitment=commitment, actor=pm, verdict="approved", condition="dropped"
    )
    assert Verdict.objects.get(pk=ruling.pk).condition == ""
    assert last_event(deal).reason == ""


def test_a_verdict_says_what_it_lacks(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, ruled=False)
    commitment = deal.commitments.first()

    def rule(**kwargs):
        return lambda: services.commitment_rule(commitment=commitment, actor=pm, **kwargs)

    assert field_errors(rule(verdict="maybe")) == {
        "verdict": ["Choose approved, approved with condition or flagged."]
    }
    assert field_errors(rule(verdict="flagged", reason="  ")) == {
        "reason": ["Say why you flag this commitment."]
    }
    assert field_errors(rule(verdict="flagged")) == {
        "reason": ["Say why you flag this commitment."]
    }
    assert field_errors(rule(verdict="approved_with_condition", condition=None)) == {
        "condition": ["Write the condition of this approval."]
    }
    assert field_errors(
        rule(verdict="flagged", reason="Too much", counter_effort_days=Decimal("-1"))
    ) == {"counter_effort_days": ["Effort cannot be negative."]}
    zero = services.commitment_rule(
        commitment=commitment,
        actor=pm,
        verdict="flagged",
        reason="None of it",
        counter_effort_days=Decimal("0"),
    )
    assert Verdict.objects.get(pk=zero.pk).counter_effort_days == Decimal("0")
    assert not Verdict.objects.filter(verdict="maybe").exists()


def test_ruling_says_who_may_and_when(rep, pm, pm2):
    deal = draft_deal(rep, commitments=1)
    commitment = deal.commitments.get()
    error = refusal(
        TransitionNotAllowed,
        lambda: services.commitment_rule(commitment=commitment, actor=pm, verdict="approved"),
    )
    assert (error.message, error.code) == (
        "Commitments can be ruled on only while the deal is in review.",
        "rule_not_allowed",
    )
    services.deal_submit(deal=deal, actor=rep)
    error = refusal(
        ActionForbidden,
        lambda: services.commitment_rule(commitment=commitment, actor=rep, verdict="approved"),
    )
    assert error.message == "Only a project manager can rule on commitments."
    services.review_claim(deal=deal, actor=pm)
    error = refusal(
        ActionForbidden,
        lambda: services.commitment_rule(commitment=commitment, actor=pm2, verdict="approved"),
    )
    assert error.message == f"This review is claimed by {pm}."


def test_deciding_a_review_says_who_may(rep, pm, pm2, manager):
    deal = draft_deal(rep, commitments=1)
    services.deal_submit(deal=deal, actor=rep)
    error = refusal(
        TransitionNotAllowed, lambda: services.deal_request_changes(deal=deal, actor=pm)
    )
    assert (error.message, error.code) == (
        "Claim this review before deciding it.",
        "review_not_claimed",
    )
    error = refusal(ActionForbidden, lambda: services.deal_sign_off(deal=deal, actor=manager))
    assert error.message == "Only a project manager can review commitments."
    services.review_claim(deal=deal, actor=pm)
    error = refusal(ActionForbidden, lambda: services.deal_sign_off(deal=deal, actor=pm2))
    assert error.message == f"This review is claimed by {pm}."
    error = refusal(DomainError, lambda: services.deal_sign_off(deal=deal, actor=pm))
    assert (error.message, error.code) == (
        "Rule on every commitment first: 1 still without a verdict.",
        "commitments_not_ruled",
    )


# Request changes


def test_requesting_changes_records_the_round_and_the_flags(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, flagged=True)
    flag = flag_of(deal)
    services.deal_request_changes(deal=deal, actor=pm)
    assert trail(last_event(deal)) == (
        EventKind.CHANGES_REQUESTED,
        pm,
        DealStatus.IN_REVIEW,
        DealStatus.CHANGES_REQUESTED,
        "",
        {"round": 1, "flagged": [flag.commitment_id]},
    )


def test_requesting_changes_with_nothing_flagged_says_to_sign_off(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    error = refusal(DomainError, lambda: services.deal_request_changes(deal=deal, actor=pm))
    assert (error.message, error.code) == (
        "Nothing is flagged: sign the deal off instead.",
        "nothing_flagged",
    )


# Sign-off


def test_a_sign_off_records_its_round_and_fingerprint(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    sign_off = services.deal_sign_off(deal=deal, actor=pm)
    assert trail(last_event(deal)) == (
        EventKind.SIGNED_OFF,
        pm,
        DealStatus.IN_REVIEW,
        DealStatus.SIGNED_OFF,
        "",
        {"round": 1, "fingerprint": sign_off.fingerprint},
    )
    assert sign_off.fingerprint == services.fingerprint(deal.commitments.all())[0]


def test_a_flagged_deal_cannot_be_signed_off_and_says_what_to_do(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm, flagged=True)
    error = refusal(DomainError, lambda: services.deal_sign_off(deal=deal, actor=pm))
    assert (error.message, error.code) == (
        "A flagged commitment cannot be signed off: request changes instead.",
        "flagged_commitments",
    )


def test_a_commitment_changed_after_its_verdict_is_not_signed_off(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    commitment = deal.commitments.first()
    # Changed behind the workflow's back after the PM ruled on it.
    Commitment.objects.filter(pk=commitment.pk).update(version=commitment.version + 1)
    error = refusal(ConcurrentChange, lambda: services.deal_sign_off(deal=deal, actor=pm))
    assert (error.message, error.code) == (
        "A commitment changed after it was ruled on.",
        "stale_verdict",
    )
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.IN_REVIEW


# Escalations


def flag_of(deal: Deal) -> Verdict:
    flags = Verdict.objects.filter(round__deal=deal, verdict="flagged")
    return flags.select_related("commitment").first()


def test_an_escalation_records_the_argument_and_the_flag(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = flag_of(deal)
    escalation = services.verdict_escalate(verdict=flag, actor=rep, argument="  It is doable  ")
    assert Escalation.objects.get(pk=escalation.pk).argument == "It is doable"
    assert trail(last_event(deal)) == (
        EventKind.ESCALATED,
        rep,
        "",
        "",
        "It is doable",
        {
            "escalation": escalation.pk,
            "commitment": flag.commitment_id,
            "summary": flag.commitment.summary,
        },
    )


def test_escalating_says_why_it_cannot(rep, rep2, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = flag_of(deal)
    approval = Verdict.objects.filter(round__deal=deal, verdict="approved")[0]
    error = refusal(
        ActionForbidden,
        lambda: services.verdict_escalate(verdict=flag, actor=rep2, argument="Please"),
    )
    assert error.message == "Only the deal's owner can escalate its flags."
    error = refusal(
        DomainError,
        lambda: services.verdict_escalate(verdict=approval, actor=rep, argument="Please"),
    )
    assert (error.message, error.code) == (
        "Only a flag of the latest review can be escalated.",
        "not_a_flag",
    )
    for argument in ("", "  ", None):
        errors = field_errors(
            lambda argument=argument: services.verdict_escalate(
                verdict=flag, actor=rep, argument=argument
            )
        )
        assert errors == {"argument": ["Say why the flag should be overruled."]}
    services.verdict_escalate(verdict=flag, actor=rep, argument="Please")
    error = refusal(
        DomainError, lambda: services.verdict_escalate(verdict=flag, actor=rep, argument="Again")
    )
    assert (error.message, error.code) == ("This flag is already escalated.", "already_escalated")


def test_a_flag_is_escalated_only_while_changes_are_requested(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    flag = flag_of(deal)
    services.deal_revise(deal=deal, actor=rep)
    error = refusal(
        TransitionNotAllowed,
        lambda: services.verdict_escalate(verdict=flag, actor=rep, argument="Please"),
    )
    assert (error.message, error.code) == (
        "Flags can be escalated only while changes are requested.",
        "escalate_not_allowed",
    )


@pytest.fixture
def escalation(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    return services.verdict_escalate(verdict=flag_of(deal), actor=rep, argument="Doable")


@pytest.mark.parametrize("decision", [EscalationDecision.UPHELD, EscalationDecision.OVERRULED])
def test_a_manager_decides_an_escalation_and_the_trail_says_how(decision, escalation, manager):
    services.escalation_decide(
        escalation=escalation, actor=manager, decision=decision, reason="  Capacity is there "
    )
    stored = Escalation.objects.get(pk=escalation.pk)
    assert (stored.decision, stored.decided_by, stored.decision_reason) == (
        decision,
        manager,
        "Capacity is there",
    )
    assert trail(last_event(escalation.deal)) == (
        EventKind.ESCALATION_DECIDED,
        manager,
        "",
        "",
        "Capacity is there",
        {
            "escalation": escalation.pk,
            "decision": decision,
            "commitment": escalation.verdict.commitment_id,
        },
    )


def test_deciding_an_escalation_says_why_it_cannot(escalation, pm, manager):
    error = refusal(
        ActionForbidden,
        lambda: services.escalation_decide(
            escalation=escalation, actor=pm, decision="upheld", reason="No"
        ),
    )
    assert error.message == "Only a manager decides escalations."
    errors = field_errors(
        lambda: services.escalation_decide(
            escalation=escalation, actor=manager, decision="maybe", reason=" "
        )
    )
    assert errors == {
        "decision": ["Choose uphold or overrule."],
        "reason": ["Give the reason for your decision."],
    }
    services.escalation_decide(
        escalation=escalation, actor=manager, decision="upheld", reason="Too risky"
    )
    error = refusal(
        ConcurrentChange,
        lambda: services.escalation_decide(
            escalation=escalation, actor=manager, decision="overruled", reason="Changed my mind"
        ),
    )
    assert (error.message, error.code) == (
        "This escalation was already decided.",
        "already_decided",
    )
    assert Escalation.objects.get(pk=escalation.pk).decision == "upheld"


def test_moving_on_closes_only_this_deals_open_escalations(rep, pm, manager):
    decided = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    upheld = services.verdict_escalate(verdict=flag_of(decided), actor=rep, argument="One")
    services.escalation_decide(escalation=upheld, actor=manager, decision="upheld", reason="No")
    other = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    elsewhere = services.verdict_escalate(verdict=flag_of(other), actor=rep, argument="Two")
    services.deal_revise(deal=decided, actor=rep)
    # A decision stands, and another deal's escalation is still for its manager to decide.
    assert Escalation.objects.get(pk=upheld.pk).decision == EscalationDecision.UPHELD
    assert Escalation.objects.get(pk=elsewhere.pk).is_open


def test_deciding_an_escalation_after_the_deal_moved_on_says_so(rep, pm, manager):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    escalation = services.verdict_escalate(verdict=flag_of(deal), actor=rep, argument="Doable")
    services.deal_revise(deal=deal, actor=rep)
    error = refusal(
        TransitionNotAllowed,
        lambda: services.escalation_decide(
            escalation=escalation, actor=manager, decision="overruled", reason="Late"
        ),
    )
    assert (error.message, error.code) == (
        "The deal has moved on since this escalation was raised; there is nothing to decide.",
        "escalation_stale",
    )


# Revise, win, lose


def test_revising_after_sign_off_voids_it_in_the_trail(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    sign_off = deal.sign_offs.get()
    services.deal_revise(deal=deal, actor=rep, reason="Client asked for more")
    revised, voided = DealEvent.objects.filter(deal=deal).order_by("-id")[:2][::-1]
    assert trail(revised) == (
        EventKind.REVISED,
        rep,
        DealStatus.SIGNED_OFF,
        DealStatus.DRAFT,
        "Client asked for more",
        {},
    )
    assert trail(voided) == (
        EventKind.SIGN_OFF_VOIDED,
        rep,
        "",
        "",
        "Client asked for more",
        {"sign_off": sign_off.pk, "revised_event": revised.pk},
    )


def test_revising_after_sign_off_without_a_reason_says_so(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    services.deal_revise(deal=deal, actor=rep)
    revised, voided = DealEvent.objects.filter(deal=deal).order_by("-id")[:2][::-1]
    assert revised.reason == ""
    assert voided.reason == "Revised after sign-off"


def test_a_revise_from_a_stale_page_is_a_conflict(rep, pm):
    deal = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    refusal(
        ConcurrentChange,
        lambda: services.deal_revise(deal=deal, actor=rep, expected_version=deal.version - 1),
    )
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.CHANGES_REQUESTED


def test_winning_and_losing_say_who_may(rep, rep2, pm):
    signed = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    error = refusal(ActionForbidden, lambda: services.deal_win(deal=signed, actor=rep2))
    assert error.message == "Only the deal's owner or a manager can mark it as won."
    error = refusal(
        ActionForbidden, lambda: services.deal_lose(deal=signed, actor=rep2, reason="Gone")
    )
    assert error.message == "Only the deal's owner or a manager can mark it as lost."
    error = refusal(
        ActionForbidden, lambda: services.deal_win(deal=signed, actor=rep, project_manager=pm)
    )
    assert error.message == "Only a manager picks another project manager."


def test_a_win_records_the_sign_off_and_hands_over_to_the_chosen_pm(rep, pm, pm2, manager):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    sign_off = deal.sign_offs.get()
    services.deal_win(deal=deal, actor=manager, project_manager=pm2)
    assert trail(last_event(deal)) == (
        EventKind.WON,
        manager,
        DealStatus.SIGNED_OFF,
        DealStatus.WON,
        "",
        {"sign_off": sign_off.pk},
    )
    project = Project.objects.get(deal=deal)
    assert project.pm == pm2
    assert project.events.get().actor == manager


def test_a_win_after_a_change_says_to_revise_and_resubmit(rep, pm):
    deal = deal_in(DealStatus.SIGNED_OFF, owner=rep, pm=pm)
    commitment = deal.commitments.first()
    # A change behind the workflow's back (a data fix, a script): the fingerprint tells.
    Commitment.objects.filter(pk=commitment.pk).update(summary="Quietly bigger")
    error = refusal(DomainError, lambda: services.deal_win(deal=deal, actor=rep))
    assert (error.message, error.code) == (
        "The commitments differ from what was signed off; revise and resubmit.",
        "sign_off_mismatch",
    )
    assert not Project.objects.filter(deal=deal).exists()


def test_a_loss_needs_a_reason_and_records_it(rep, pm):
    deal = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    for reason in ("", "  ", None):
        errors = field_errors(
            lambda reason=reason: services.deal_lose(deal=deal, actor=rep, reason=reason)
        )
        assert errors == {"reason": ["Say why the deal was lost."]}
    services.deal_lose(deal=deal, actor=rep, reason="  Went with a competitor ")
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.lost_reason == "Went with a competitor"
    event = last_event(deal)
    assert (event.kind, event.actor, event.reason) == (
        EventKind.LOST,
        rep,
        "Went with a competitor",
    )
    assert ReviewRound.objects.get(deal=deal).outcome == "closed"


def test_the_migrations_install_the_close_gate_that_the_transition_table_describes(settings):
    # PostgreSQL enforces the trigger the migrations installed; it must be the one the
    # workflow's transition table and sign-off rule build now, or the database holds another gate.
    settings.MIGRATION_MODULES = {}  # the real migrations, also under pytest --nomigrations
    state = MigrationLoader(None, ignore_no_migrations=True).project_state()
    installed = {
        trigger.name: trigger for trigger in state.models["deals", "deal"].options["triggers"]
    }
    assert installed[CLOSE_GATE_TRIGGER] == close_gate_trigger().compile(Deal)
