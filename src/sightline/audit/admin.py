"""A read-only admin page for the audit: no one adds, changes or deletes a row here."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from sightline.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "kind", "verb", "action", "username", "child_id")
    # The purpose may carry an emergency-access reason, which may name the child: it is for the
    # use's reviewers and the child's own audit page, under the policy (as in access/admin.py).
    exclude = ("purpose",)
    list_filter = ("kind", "verb")
    search_fields = ("=username",)
    search_help_text = "A child's Sightline id, or a username."
    ordering = ("-seq",)
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent], search_term: str
    ) -> tuple[QuerySet[AuditEvent], bool]:
        try:
            child_id = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(child_id=child_id), False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
