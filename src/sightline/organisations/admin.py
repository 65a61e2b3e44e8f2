"""Organisations and people in the Django admin, which only platform operators reach and
which is not routed in production (ADR 23).

People are read-only here: their roles, organisations and status change through Sightline's
own pages (``accounts.people``), which check the policy and put every change on the audit
chain. No password hash, no password form, no permissions or groups. Children and
placements are not in the admin at all: every look at a child goes through the access policy.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sightline.organisations.models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "council", "police_force", "email"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class SightlineUserAdmin(admin.ModelAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "organisation__kind"]
    search_fields = ["=username", "last_name"]
    # Never "password" (its hash), "user_permissions" or "groups".
    fields = readonly_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "organisation",
        "role",
        "is_active",
        "is_superuser",
        "last_login",
        "date_joined",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
