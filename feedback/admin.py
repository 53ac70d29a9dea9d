from django.contrib import admin
from django.utils import timezone

from feedback.models import (
    Announcement,
    CalendarFeed,
    DigestDelivery,
    EmailOutbox,
    FeedbackNote,
    Notification,
)


@admin.register(FeedbackNote)
class FeedbackNoteAdmin(admin.ModelAdmin):
    list_display = ["topic", "direction", "author", "recipient", "deal", "created_at"]
    list_filter = ["direction", "topic"]
    search_fields = ["body", "author__username", "recipient__username"]
    raw_id_fields = ["author", "recipient", "deal", "commitment", "project"]
    readonly_fields = ["acknowledged_by", "acknowledged_at", "replied_by", "replied_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["text", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "actor", "deal", "project"]


@admin.register(EmailOutbox)
class EmailOutboxAdmin(admin.ModelAdmin):
    """Read-only: only the outbox's claim moves a row, so an operator cannot send twice."""

    list_display = ["subject", "to_address", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_address", "subject"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Read-only: what waits for the worker, or failed for good, and why; told rows are gone."""

    list_display = ["__str__", "attempts", "next_attempt_at", "failed_at", "created_at"]
    list_filter = [("failed_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["last_error"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "period", "period_key", "created_at", "sent_at"]
    list_filter = ["period"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Read-only but for revoking: the secret is never stored, so nothing here can show it."""

    list_display = ["owner", "scope", "team", "secret_prefix", "created_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["owner__username", "team__name"]
    readonly_fields = ["last_fetched_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected calendar addresses")
    def revoke(self, request, queryset) -> None:
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{revoked} calendar addresses revoked.")
