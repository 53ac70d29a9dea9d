"""Admin: read the weekly sync; meetings, decisions and action items change only through the
services, and the frozen agenda and the trail never change, so everything is read-only here."""

from django.contrib import admin

from meetings.models import ActionItem, AgendaItem, Meeting, MeetingEvent


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "section_title", "title", "detail", "carried_times"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnly):
    list_display = ["__str__", "kind", "status", "held_on", "minutes_sent_to"]
    list_filter = ["status", "kind"]
    list_select_related = ["sales_team", "delivery_team"]
    date_hierarchy = "held_on"
    inlines = [AgendaItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnly):
    list_display = ["what", "owner", "due_on", "status", "closed_by", "closed_at"]
    list_filter = ["status"]
    search_fields = ["what", "owner__username"]
    list_select_related = ["owner", "closed_by"]


@admin.register(MeetingEvent)
class MeetingEventAdmin(ReadOnly):
    list_display = ["meeting", "kind", "actor", "at"]
    list_filter = ["kind"]
    list_select_related = ["meeting", "actor"]
