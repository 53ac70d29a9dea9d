from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

# APPEND_ONLY_TRIGGER and AppendOnlyQuerySet are re-exported: they lived here first.
from handoff.audit import APPEND_ONLY_TRIGGER as APPEND_ONLY_TRIGGER
from handoff.audit import AppendOnlyModel
from handoff.audit import AppendOnlyQuerySet as AppendOnlyQuerySet
from handoff.validators import multi_line, single_line, within_years


class Client(models.Model):
    name = models.CharField(max_length=200, validators=[single_line])
    industry = models.CharField(max_length=100, blank=True, validators=[single_line])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="client_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class DealStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SIGNED_OFF = "signed_off", "Signed off"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Deal edited"
    COMMITMENT_ADDED = "commitment_added", "Commitment added"
    COMMITMENT_CHANGED = "commitment_changed", "Commitment changed"
    COMMITMENT_REMOVED = "commitment_removed", "Commitment removed"
    SUBMITTED = "submitted", "Submitted for review"
    CLAIMED = "claimed", "Review claimed"
    ASSIGNED = "assigned", "Reviewer assigned"
    VERDICT = "verdict", "Ruled on a commitment"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SIGNED_OFF = "signed_off", "Signed off"
    ESCALATED = "escalated", "Flag escalated"
    ESCALATION_DECIDED = "escalation_decided", "Escalation decided"
    REVISED = "revised", "Revised"
    SIGN_OFF_VOIDED = "sign_off_voided", "Sign-off voided"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    COMMENTED = "commented", "Commented"


# The one table of allowed transitions: action -> (from statuses, to status).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({DealStatus.DRAFT, DealStatus.CHANGES_REQUESTED}), DealStatus.IN_REVIEW),
    "request_changes": (frozenset({DealStatus.IN_REVIEW}), DealStatus.CHANGES_REQUESTED),
    "sign_off": (frozenset({DealStatus.IN_REVIEW}), DealStatus.SIGNED_OFF),
    "revise": (
        frozenset({DealStatus.DRAFT, DealStatus.CHANGES_REQUESTED, DealStatus.SIGNED_OFF}),
        DealStatus.DRAFT,
    ),
    "win": (frozenset({DealStatus.SIGNED_OFF}), DealStatus.WON),
    "lose": (
        frozenset(
            {
                DealStatus.DRAFT,
                DealStatus.IN_REVIEW,
                DealStatus.CHANGES_REQUESTED,
                DealStatus.SIGNED_OFF,
            }
        ),
        DealStatus.LOST,
    ),
}
TERMINAL_STATUSES = frozenset({DealStatus.WON, DealStatus.LOST})
# Deals and commitments are edited only in draft; `revise` brings a deal back to draft.
EDITABLE_STATUSES = frozenset({DealStatus.DRAFT})

# Bounds of what a user may enter; the database holds more (max_digits), the pages need less.
MAX_DEAL_VALUE = Decimal("1000000000")
MAX_EFFORT_DAYS = Decimal("5000")


def _allowed_status_changes() -> list[tuple[str, str]]:
    """Every (from, to) pair of TRANSITIONS that changes the status."""
    return sorted(
        {
            (str(origin), str(target))
            for origins, target in TRANSITIONS.values()
            for origin in origins
            if origin != target
        }
    )


# The close gate in PostgreSQL: a status change outside TRANSITIONS, or a win without the
# current sign-off of the commitments as they are now, fails whatever code or SQL writes it.
CLOSE_GATE_TRIGGER = "close_gate"

# The commitment's fingerprint_data() in SQL: the same keys, written as Python writes them.
_COMMITMENT_AS_SIGNED = """jsonb_build_object(
    'id', c.id, 'version', c.version, 'kind', c.kind, 'summary', c.summary,
    'detail', c.detail, 'promised_date', to_char(c.promised_date, 'YYYY-MM-DD'),
    'effort_days', c.effort_days::text)"""


# The trigger's body; close_gate_trigger() fills in the statuses, each checked to be a plain
# identifier, and the commitment as signed. No value from outside this module reaches it.
_CLOSE_GATE_SQL = """
    IF (OLD.status, NEW.status) NOT IN ({allowed}) THEN
        RAISE EXCEPTION 'close gate: a deal cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = '{won}' THEN
        -- The latest sign-off, as deal_win reads it, unless a revision voided it since.
        SELECT s.snapshot INTO signed_items FROM deals_signoff s WHERE s.deal_id = NEW.id
            AND NOT EXISTS (
                SELECT 1 FROM deals_dealevent e WHERE e.deal_id = NEW.id
                    AND e.kind = '{voided}'
                    AND e.data ->> 'sign_off' = s.id::text)
            AND s.signed_at = (SELECT max(signed_at) FROM deals_signoff WHERE deal_id = NEW.id)
            ORDER BY s.id DESC LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'close gate: deal % has no current sign-off and cannot be won',
                NEW.id USING ERRCODE = 'check_violation';
        END IF;
        SELECT COALESCE(jsonb_agg(item - 'condition' ORDER BY (item ->> 'id')::bigint), '[]')
            INTO signed_items FROM jsonb_array_elements(signed_items) AS item;
        SELECT COALESCE(jsonb_agg({commitment} ORDER BY c.id), '[]')
            INTO current_items FROM deals_commitment c WHERE c.deal_id = NEW.id;
        IF signed_items IS DISTINCT FROM current_items THEN
            RAISE EXCEPTION 'close gate: the commitments of deal % differ from its sign-off',
                NEW.id USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
    """


def close_gate_trigger() -> pgtrigger.Trigger:
    pairs = _allowed_status_changes()
    if not all(value.isidentifier() for pair in pairs for value in pair):
        raise ValueError("Deal statuses must be plain identifiers to be written into SQL.")
    func = _CLOSE_GATE_SQL.format(
        allowed=", ".join(f"('{origin}', '{target}')" for origin, target in pairs),
        won=DealStatus.WON.value,
        voided=EventKind.SIGN_OFF_VOIDED.value,
        commitment=_COMMITMENT_AS_SIGNED,
    )
    return pgtrigger.Trigger(
        name=CLOSE_GATE_TRIGGER,
        when=pgtrigger.Before,
        operation=pgtrigger.UpdateOf("status"),
        condition=pgtrigger.Condition("OLD.status IS DISTINCT FROM NEW.status"),
        declare=[("signed_items", "jsonb"), ("current_items", "jsonb")],
        func=func,
    )


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    GBP = "GBP", "GBP"


# Fields only the workflow (deals.services) writes. Everything else must go through it.
WORKFLOW_FIELDS = frozenset({"status", "lost_reason", "first_submitted_at"})
_in_workflow: ContextVar[bool] = ContextVar("deal_workflow_write", default=False)


class StatusWriteRefused(Exception):
    """A write of a deal's status outside deals.services: the close gate said no."""


@contextmanager
def workflow_write() -> Iterator[None]:
    """Marks the workflow's own status writes; only deals.services enters it."""
    token = _in_workflow.set(True)
    try:
        yield
    finally:
        _in_workflow.reset(token)


def _refuse_workflow_fields(fields: Iterable[str]) -> None:
    touched = WORKFLOW_FIELDS.intersection(fields)
    if touched and not _in_workflow.get():
        raise StatusWriteRefused(
            f"{', '.join(sorted(touched))} change only through the review workflow."
        )


class DealQuerySet(models.QuerySet):
    """Bulk writes cannot set status: update() and bulk_update() refuse workflow fields."""

    def update(self, **kwargs):
        _refuse_workflow_fields(kwargs)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse_workflow_fields(fields)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not _in_workflow.get() and any(_has_workflow_state(o) for o in objs):
            raise StatusWriteRefused("A new deal starts as a draft.")
        return super().bulk_create(objs, *args, **kwargs)

    bulk_create.alters_data = True


def _has_workflow_state(deal: "Deal") -> bool:
    return (
        deal.status != DealStatus.DRAFT
        or bool(deal.lost_reason)
        or deal.first_submitted_at is not None
    )


class Deal(models.Model):
    title = models.CharField(max_length=200, validators=[single_line])
    # db_index=False: deal_client_updated_idx and deal_owner_updated_idx lead with these
    # columns and serve their lookups; a second index on each would only slow the writes.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_DEAL_VALUE)],
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    expected_close_date = models.DateField(validators=[within_years])
    expected_start_date = models.DateField(null=True, blank=True, validators=[within_years])
    description = models.TextField(blank=True, validators=[multi_line])
    # Set only by deals.services; never editable through forms, the API or the admin.
    status = models.CharField(
        max_length=20, choices=DealStatus.choices, default=DealStatus.DRAFT, editable=False
    )
    lost_reason = models.TextField(blank=True, editable=False)
    first_submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped by every write, so a stale form or API client gets a conflict, not a lost update.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="deal_value_non_negative"),
            models.CheckConstraint(
                condition=Q(status__in=DealStatus.values), name="deal_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=DealStatus.LOST) | ~Q(lost_reason=""),
                name="deal_lost_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="deal_owner_updated_idx"),
            models.Index(fields=["status", "-updated_at"], name="deal_status_updated_idx"),
            models.Index(fields=["-updated_at", "-id"], name="deal_updated_idx"),
            models.Index(
                fields=["-updated_at", "-id"],
                name="deal_submitted_updated_idx",
                condition=Q(first_submitted_at__isnull=False),
            ),
            models.Index(fields=["client", "-updated_at"], name="deal_client_updated_idx"),
            # The deal list's sorts, with the tie-breaker it orders by (deals.forms.SORTS).
            models.Index(fields=["-value", "-id"], name="deal_value_idx"),
            models.Index(fields=["expected_close_date", "id"], name="deal_close_idx"),
            models.Index(fields=["title", "id"], name="deal_title_idx"),
        ]
        triggers = [close_gate_trigger()]
        # Search reads trigram indexes on the searched texts, PostgreSQL only: see migration
        # 0004_search_trigram_indexes.

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Outside the workflow a save never writes status, and refuses to change it."""
        if _in_workflow.get():
            return super().save(*args, **kwargs)
        if self._state.adding:
            if _has_workflow_state(self):
                raise StatusWriteRefused("A new deal starts as a draft.")
            return super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            _refuse_workflow_fields(update_fields)
            return super().save(*args, **kwargs)
        stored = Deal.objects.filter(pk=self.pk).values(*WORKFLOW_FIELDS).first() or {}
        if any(stored.get(f, getattr(self, f)) != getattr(self, f) for f in WORKFLOW_FIELDS):
            raise StatusWriteRefused("A deal's status changes only through the review workflow.")
        # Write everything but the workflow fields, so a stale copy cannot put an old status back.
        kwargs["update_fields"] = [
            f.name
            for f in self._meta.concrete_fields
            if not f.primary_key and f.name not in WORKFLOW_FIELDS
        ]
        return super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("deals:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in TERMINAL_STATUSES


class CommitmentKind(models.TextChoices):
    SCOPE = "scope", "Scope"
    TIMELINE = "timeline", "Timeline"
    STAFFING = "staffing", "Staffing"
    PRICING = "pricing", "Pricing"
    SUPPORT = "support", "Support"
    INTEGRATION = "integration", "Integration"
    OTHER = "other", "Other"


class Commitment(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="commitments")
    kind = models.CharField(max_length=20, choices=CommitmentKind.choices)
    summary = models.CharField(max_length=200, validators=[single_line])
    detail = models.TextField(blank=True, validators=[multi_line])
    promised_date = models.DateField(validators=[within_years])
    effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["deal_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effort_days__gte=0), name="commitment_effort_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CommitmentKind.values), name="commitment_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind"], name="commitment_kind_idx")]

    def __str__(self) -> str:
        return self.summary

    def fingerprint_data(self) -> dict:
        return {
            "id": self.pk,
            "version": self.version,
            "kind": self.kind,
            "summary": self.summary,
            "detail": self.detail,
            "promised_date": self.promised_date.isoformat(),
            "effort_days": str(self.effort_days),
        }


class RoundOutcome(models.TextChoices):
    PENDING = "", "Pending"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    SIGNED_OFF = "signed_off", "Signed off"
    CLOSED = "closed", "Closed (deal lost)"


class ReviewRound(models.Model):
    # Lookups by deal read round_number_unique (deal, number), by reviewer round_reviewer_idx.
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="rounds", db_index=False)
    number = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_rounds",
        db_index=False,
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, choices=RoundOutcome.choices, default=RoundOutcome.PENDING, blank=True
    )

    class Meta:
        ordering = ["deal_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="round_number_unique"),
            models.UniqueConstraint(
                fields=["deal"],
                condition=Q(decided_at__isnull=True),
                name="round_one_open_per_deal",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, outcome="")
                | (Q(decided_at__isnull=False) & ~Q(outcome="")),
                name="round_outcome_when_decided",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="round_open_due_idx", condition=Q(decided_at__isnull=True)
            ),
            models.Index(fields=["reviewer", "decided_at"], name="round_reviewer_idx"),
            models.Index(fields=["submitted_at"], name="round_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} · round {self.number}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class VerdictKind(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITION = "approved_with_condition", "Approved with condition"
    FLAGGED = "flagged", "Flagged"


class Verdict(models.Model):
    # verdict_one_per_commitment_round (round, commitment) and verdict_commitment_idx
    # (commitment, round) serve the lookups by each foreign key.
    round = models.ForeignKey(
        ReviewRound, on_delete=models.CASCADE, related_name="verdicts", db_index=False
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="verdicts", db_index=False
    )
    commitment_version = models.PositiveIntegerField()
    verdict = models.CharField(max_length=30, choices=VerdictKind.choices)
    reason = models.TextField(blank=True, validators=[multi_line])
    condition = models.TextField(blank=True, validators=[multi_line])
    counter_date = models.DateField(null=True, blank=True, validators=[within_years])
    counter_effort_days = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round_id", "commitment_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "commitment"], name="verdict_one_per_commitment_round"
            ),
            models.CheckConstraint(
                condition=~Q(verdict=VerdictKind.FLAGGED) | ~Q(reason=""),
                name="verdict_flag_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(verdict=VerdictKind.APPROVED_WITH_CONDITION) | ~Q(condition=""),
                name="verdict_condition_has_text",
            ),
            models.CheckConstraint(
                condition=Q(counter_effort_days__isnull=True) | Q(counter_effort_days__gte=0),
                name="verdict_counter_effort_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["commitment", "round"], name="verdict_commitment_idx")]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: {self.commitment}"

    @property
    def is_approval(self) -> bool:
        return self.verdict != VerdictKind.FLAGGED


class EscalationDecision(models.TextChoices):
    PENDING = "", "Pending"
    UPHELD = "upheld", "Flag upheld"
    OVERRULED = "overruled", "Flag overruled"
    # Set by the workflow, not a manager: the deal left changes requested before a decision.
    CLOSED = "closed", "Closed: the deal moved on"


class Escalation(models.Model):
    """A rep contests a flag; a manager upholds or overrules it."""

    verdict = models.OneToOneField(Verdict, on_delete=models.CASCADE, related_name="escalation")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="escalations")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    argument = models.TextField(validators=[multi_line])
    decision = models.CharField(
        max_length=20, choices=EscalationDecision.choices, default="", blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, validators=[multi_line])

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True)
                | (~Q(decision="") & Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="escalation_decided_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["raised_at"], name="escalation_open_idx", condition=Q(decision=""))
        ]

    def __str__(self) -> str:
        return f"Escalation on {self.verdict.commitment}"

    @property
    def is_open(self) -> bool:
        return not self.decision


class SignOff(AppendOnlyModel):
    """Who signed which commitments, as they were. Immutable."""

    round = models.OneToOneField(ReviewRound, on_delete=models.PROTECT, related_name="sign_off")
    # Lookups by deal read signoff_deal_idx (deal, -signed_at).
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="sign_offs", db_index=False
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    fingerprint = models.CharField(max_length=64)
    snapshot = models.JSONField()

    class Meta(AppendOnlyModel.Meta):
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["deal", "-signed_at"], name="signoff_deal_idx")]

    def __str__(self) -> str:
        return f"Sign-off of {self.deal} by {self.signed_by}"


class DealEvent(AppendOnlyModel):
    """The audit trail. Written once by the services, never edited or deleted."""

    # Lookups by deal read event_deal_at_idx (deal, at).
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta(AppendOnlyModel.Meta):
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="event_deal_at_idx"),
            models.Index(fields=["kind", "at"], name="event_kind_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.deal_id}"


class Comment(models.Model):
    # Lookups by deal read comment_deal_idx (deal, created_at).
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(validators=[multi_line])
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["deal", "created_at"], name="comment_deal_idx")]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.deal}"
