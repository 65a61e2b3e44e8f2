"""Writes for the appropriate-language checker."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from django.db import transaction

from sightline.core.errors import ValidationError
from sightline.language.checker import Flag
from sightline.language.models import LanguageFlag
from sightline.language.phrases import phrase_list
from sightline.organisations.models import User

logger = logging.getLogger(__name__)

MATCHED_TEXT_MAX = LanguageFlag._meta.get_field("matched_text").max_length or 200


def language_flags_record(
    *,
    actor: User,
    record_kind: str,
    record_id: str | uuid.UUID,
    field: str,
    flags: Sequence[Flag],
) -> list[LanguageFlag]:
    """Keep the phrases a user was shown suggestions for and saved unchanged.

    Call it in the transaction that saves the record, after the record has its id.
    """
    record_kind = record_kind.strip()
    record_ref = str(record_id).strip()
    field = field.strip()
    if not record_kind:
        raise ValidationError("Name the kind of record the text belongs to.", field="record_kind")
    if not record_ref:
        raise ValidationError("Give the id of the record the text belongs to.", field="record_id")
    if not field:
        raise ValidationError("Name the field the text was typed in.", field="field")
    if actor.pk is None:
        raise ValidationError("Flags are recorded against a saved user.", field="actor")
    for flag in flags:
        if phrase_list(flag.list_version).phrase(flag.phrase_id) is None:
            raise ValidationError(
                f"Phrase list version {flag.list_version} has no phrase {flag.phrase_id!r}.",
                field="flags",
            )
    rows = [
        LanguageFlag(
            record_kind=record_kind,
            record_id=record_ref,
            field=field,
            phrase_id=flag.phrase_id,
            list_version=flag.list_version,
            matched_text=" ".join(flag.matched_text.split())[:MATCHED_TEXT_MAX],
            start=flag.start,
            end=flag.end,
            user=actor,
        )
        for flag in flags
    ]
    if not rows:
        return []
    with transaction.atomic():
        created = LanguageFlag.objects.bulk_create(rows)
    logger.info(
        "language flags recorded count=%s record_kind=%s record_id=%s field=%s user=%s",
        len(created),
        record_kind,
        record_ref,
        field,
        actor.pk,
    )
    return created
