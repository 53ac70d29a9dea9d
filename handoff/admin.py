from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from handoff.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "is_staff", "teams")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Handoff", {"fields": ("role",)}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Handoff", {"fields": ("role", "email")}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "lead")
    list_filter = ("kind",)
    search_fields = ("name",)
    filter_horizontal = ("members",)
    autocomplete_fields = ("lead",)
