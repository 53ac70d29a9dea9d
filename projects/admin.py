"""Admin: read the projects; statuses change only through the services, so they are read-only here."""

from django.contrib import admin

from projects.acceptance_models import AcceptanceRequest
from projects.models import (
    CapacityException,
    Deliverable,
    KickoffItem,
    PMCapacity,
    Project,
    ProjectEvent,
)


class KickoffItemInline(admin.TabularInline):
    model = KickoffItem
    extra = 0


class DeliverableInline(admin.TabularInline):
    model = Deliverable
    extra = 0
    can_delete = False
    fields = ["summary", "kind", "promised_date", "effort_days", "status", "delivered_on"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["__str__", "pm", "status", "start_date", "created_at"]
    list_filter = ["status", "pm"]
    search_fields = ["deal__title", "deal__client__name"]
    list_select_related = ["deal", "pm"]
    readonly_fields = ["deal", "status", "accepted_at", "created_at", "updated_at"]
    inlines = [KickoffItemInline, DeliverableInline]

    def has_add_permission(self, request) -> bool:
        return False  # a project starts only when its deal is won

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Deliverable)
class DeliverableAdmin(admin.ModelAdmin):
    list_display = ["summary", "project", "promised_date", "status", "delivered_on"]
    list_filter = ["status", "kind"]
    search_fields = ["summary", "project__deal__title"]
    list_select_related = ["project__deal"]
    readonly_fields = [f.name for f in Deliverable._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProjectEvent)
class ProjectEventAdmin(admin.ModelAdmin):
    list_display = ["at", "project", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["project__deal", "actor"]
    readonly_fields = ["project", "actor", "at", "kind", "reason", "data"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PMCapacity)
class PMCapacityAdmin(admin.ModelAdmin):
    list_display = ["user", "weekly_days", "updated_at"]
    list_select_related = ["user"]


@admin.register(CapacityException)
class CapacityExceptionAdmin(admin.ModelAdmin):
    list_display = ["pm", "week_start", "days", "note"]
    list_filter = ["pm"]
    list_select_related = ["pm"]


@admin.register(AcceptanceRequest)
class AcceptanceRequestAdmin(admin.ModelAdmin):
    """Read-only: requests are sent, answered and cancelled through projects.acceptance."""

    list_display = ["deliverable", "contact_name", "status", "sent_at", "decided_at", "rating"]
    list_filter = ["status"]
    search_fields = ["contact_name", "contact_email", "deliverable__summary"]
    list_select_related = ["deliverable"]
    # The nonce is the key of the link that works now: never shown.
    exclude = ["nonce"]
    readonly_fields = [f.name for f in AcceptanceRequest._meta.fields if f.name != "nonce"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
