"""What the checker flagged in records that were saved with the wording unchanged."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sightline.core.models import BaseModel


class LanguageFlag(BaseModel):
    """One flagged phrase in one field of a saved record.

    The record is named by a kind ("missing.episode") and an id rather than a foreign key, so
    that any domain can record flags without this app depending on it. Only the matched
    phrase is kept, never the surrounding text.
    """

    record_kind = models.CharField(max_length=100)
    record_id = models.CharField(max_length=64)
    field = models.CharField(max_length=100)
    phrase_id = models.CharField(max_length=100)
    list_version = models.CharField(max_length=20)
    matched_text = models.CharField(max_length=200)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["record_kind", "record_id"], name="language_flag_record_idx"),
            models.Index(fields=["phrase_id", "created_at"], name="language_flag_phrase_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phrase_id} in {self.record_kind} {self.record_id} {self.field}"
