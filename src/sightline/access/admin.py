"""Read-only admin pages for grants and emergency access: no one adds, changes or
deletes a row here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sightline.access.models import AccessGrant, BreakGlassReview


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ("starts_at", "ends_at", "reason", "organisation", "user", "child_id")
    list_filter = ("reason",)
    # The emergency reason may name the child: it is for the use's reviewers, on their page.
    exclude = ("justification",)


@admin.register(BreakGlassReview)
class BreakGlassReviewAdmin(ReadOnlyAdmin):
    list_display = ("reviewed_at", "outcome", "reviewed_by", "grant")
    list_filter = ("outcome",)
    exclude = ("note",)
