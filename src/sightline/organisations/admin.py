"""Administrators manage organisations and user accounts here.

Children and placements are deliberately not in the admin: every look at a child's record
goes through the access policy and is recorded, which the admin would bypass.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from sightline.organisations.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "council", "police_force", "email"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(User)
class SightlineUserAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "organisation__kind"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Organisation and role", {"fields": ("organisation", "role")}),
    )
