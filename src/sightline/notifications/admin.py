"""The directory in the Django admin, which only platform operators reach (ADR 23).

Operators correct an entry here; every change goes through ``directory_entry_update`` (the
same checks as an import, on the audit chain), and a new inbox starts unverified. Entries are
never deleted: every council and force keeps one. Addresses' verification is read-only here:
it changes through the confirmation link or a bounce.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from sightline.core.errors import ValidationError
from sightline.notifications.directory import directory_entry_update
from sightline.notifications.models import DirectoryEntry, InboxAddress


class DirectoryEntryForm(forms.ModelForm):
    class Meta:
        model = DirectoryEntry
        fields = [
            "placement_inbox",
            "missing_inbox",
            "out_of_hours_phone",
            "sightline_url",
            "source",
            "last_verified",
        ]


@admin.register(DirectoryEntry)
class DirectoryEntryAdmin(admin.ModelAdmin):
    form = DirectoryEntryForm
    list_display = ["organisation", "placement_inbox", "missing_inbox", "source", "last_verified"]
    list_filter = ["organisation__kind"]
    search_fields = ["organisation__name", "placement_inbox", "missing_inbox"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `sightline directory load` gives every council and force an entry

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        current = DirectoryEntry.objects.get(pk=obj.pk)
        data = form.cleaned_data
        try:
            directory_entry_update(
                entry=current,
                actor=request.user,  # type: ignore[arg-type]
                placement_inbox=data["placement_inbox"],
                missing_inbox=data["missing_inbox"],
                out_of_hours_phone=data["out_of_hours_phone"],
                sightline_url=data["sightline_url"],
                source=data["source"],
                last_verified=data["last_verified"],
            )
        except ValidationError as exc:
            self.message_user(request, str(exc), level="error")


@admin.register(InboxAddress)
class InboxAddressAdmin(admin.ModelAdmin):
    list_display = ["address", "status", "test_sent_at", "verified_at", "bounced_at"]
    list_filter = ["status"]
    search_fields = ["address"]
    fields = readonly_fields = (
        "address",
        "status",
        "test_sent_at",
        "verified_at",
        "bounced_at",
        "last_error",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
