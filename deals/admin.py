"""Django admin of deals. Status is shown, never set: the workflow is the only way to move it.

Review rounds, verdicts, sign-offs, escalations, comments and events are the record of
what people decided, so the admin only shows them. A deal's fields and commitments can
be corrected while it is a draft; every correction bumps the version and is recorded.
"""

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from deals.models import (
    Client,
    Comment,
    Commitment,
    Deal,
    DealEvent,
    Escalation,
    EventKind,
    Import,
    ReviewRound,
    SignOff,
    Verdict,
)
from deals.services.commitments import COMMITMENT_FIELDS
from deals.services.deals import DEAL_FIELDS

# The owner can be corrected here; the rest are the fields the workflow lets a draft change.
DEAL_EDITABLE_FIELDS = ("owner", *DEAL_FIELDS)


class NoWrites:
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NoWrites, admin.ModelAdmin):
    actions = None


class ReadOnlyInline(NoWrites, admin.TabularInline):
    extra = 0
    can_delete = False


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "industry", "external_source", "external_id", "created_at")
    list_filter = ("industry", "external_source")
    search_fields = ("name", "industry", "external_id")
    actions = None


class CommitmentInline(admin.TabularInline):
    model = Commitment
    extra = 0
    fields = (*COMMITMENT_FIELDS, "version")
    readonly_fields = ("version",)

    def _deal_is_draft(self, obj: Deal | None) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._deal_is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._deal_is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._deal_is_draft(obj) and super().has_delete_permission(request, obj)


class DealEventInline(ReadOnlyInline):
    model = DealEvent
    fields = ("at", "kind", "actor", "from_status", "to_status", "reason")
    readonly_fields = fields
    ordering = ("at", "id")


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "client",
        "owner",
        "status",
        "value",
        "currency",
        "expected_close_date",
        "updated_at",
    )
    list_filter = ("status", "currency", "owner")
    list_select_related = ("client", "owner")
    search_fields = ("title", "description", "client__name", "owner__username", "external_id")
    date_hierarchy = "updated_at"
    autocomplete_fields = ("client", "owner")
    # Set by the workflow only: shown, never edited here.
    readonly_fields = (
        "status",
        "lost_reason",
        "first_submitted_at",
        # Written by the intake from a CRM or a file: the key the next sync finds it by.
        "external_source",
        "external_id",
        "version",
        "created_at",
        "updated_at",
    )
    fields = (*DEAL_EDITABLE_FIELDS, *readonly_fields)
    inlines = (CommitmentInline, DealEventInline)
    # No bulk actions at all: not even delete, which would skip the "never submitted" rule.
    actions = None

    def get_readonly_fields(self, request: HttpRequest, obj: Deal | None = None):
        if obj is not None and not obj.is_editable:
            return (*DEAL_EDITABLE_FIELDS, *self.readonly_fields)
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Deal | None = None) -> bool:
        if obj is not None and (not obj.is_editable or obj.first_submitted_at is not None):
            return False
        return super().has_delete_permission(request, obj)

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Deal, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            _record(obj, request, EventKind.CREATED, to_status=obj.status)
            return
        if not form.changed_data:
            return
        obj.version += 1
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        _record(obj, request, EventKind.UPDATED, data={"changes": form.changed_data})

    @transaction.atomic
    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not Commitment:
            return super().save_formset(request, form, formset, change)
        deal = form.instance
        commitments = formset.save(commit=False)
        for commitment in formset.deleted_objects:
            _record(deal, request, EventKind.COMMITMENT_REMOVED, data={"commitment": commitment.pk})
            commitment.delete()
        for commitment in commitments:
            adding = commitment._state.adding
            if not adding:
                commitment.version += 1
                commitment.updated_at = timezone.now()
            commitment.save()
            _record(
                deal,
                request,
                EventKind.COMMITMENT_ADDED if adding else EventKind.COMMITMENT_CHANGED,
                data={"commitment": commitment.pk},
            )
        if commitments or formset.deleted_objects:
            Deal.objects.filter(pk=deal.pk).update(version=deal.version + 1)
        formset.save_m2m()


def _record(deal: Deal, request: HttpRequest, kind: str, **fields) -> None:
    data = {"via": "admin", **fields.pop("data", {})}
    DealEvent.objects.create(deal=deal, actor=request.user, kind=kind, data=data, **fields)


@admin.register(Import)
class ImportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "created_by", "filename", "status", "total_rows", "error_count")
    list_filter = ("status",)
    list_select_related = ("created_by",)


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyAdmin):
    list_display = ("summary", "deal", "kind", "promised_date", "effort_days", "version")
    list_filter = ("kind",)
    list_select_related = ("deal",)
    search_fields = ("summary", "detail", "deal__title")


class VerdictInline(ReadOnlyInline):
    model = Verdict
    fields = ("commitment", "verdict", "reason", "condition", "decided_by", "decided_at")
    readonly_fields = fields


@admin.register(ReviewRound)
class ReviewRoundAdmin(ReadOnlyAdmin):
    list_display = ("deal", "number", "submitted_at", "due_at", "reviewer", "outcome")
    list_filter = ("outcome",)
    list_select_related = ("deal", "reviewer")
    search_fields = ("deal__title",)
    inlines = (VerdictInline,)


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = ("commitment", "round", "verdict", "decided_by", "decided_at")
    list_filter = ("verdict",)
    list_select_related = ("commitment", "round__deal", "decided_by")
    search_fields = ("commitment__summary", "reason", "condition")


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = ("deal", "signed_by", "signed_at", "fingerprint")
    list_select_related = ("deal", "signed_by")
    search_fields = ("deal__title", "fingerprint")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("deal", "raised_by", "raised_at", "decision", "decided_by")
    list_filter = ("decision",)
    list_select_related = ("deal", "raised_by", "decided_by")
    search_fields = ("deal__title", "argument")


@admin.register(DealEvent)
class DealEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "deal", "kind", "actor", "from_status", "to_status")
    list_filter = ("kind",)
    list_select_related = ("deal", "actor")
    search_fields = ("deal__title", "reason")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("deal", "author", "created_at")
    list_select_related = ("deal", "author")
    search_fields = ("deal__title", "body")
