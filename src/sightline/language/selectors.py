"""Reads for the appropriate-language checker."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from sightline.language.models import LanguageFlag


def language_flags_for_record(
    *, record_kind: str, record_id: str | uuid.UUID
) -> QuerySet[LanguageFlag]:
    """The flags kept for one record, oldest first."""
    return LanguageFlag.objects.filter(record_kind=record_kind, record_id=str(record_id)).order_by(
        "created_at", "field", "start"
    )
