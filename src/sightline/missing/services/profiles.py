"""The child's safety profile (Philomena Protocol): what the police need when a child goes
missing, kept up to date by the home."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import PurePath
from typing import Any

from django.core.files.base import File
from django.db import transaction

from sightline.access.policy import Action, require_write
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.errors import ValidationError
from sightline.core.timeutil import now as current_time
from sightline.missing import conf
from sightline.missing.models import (
    SafetyProfileVersion,
)
from sightline.missing.services._common import _log_on_commit
from sightline.missing.storage import private_storage
from sightline.organisations.models import User

logger = logging.getLogger(__name__)


# --- Safety profile ------------------------------------------------------------------------

PROFILE_TEXT_FIELDS = (
    "description",
    "associates",
    "places_frequented",
    "phones_and_social_media",
    "medical_needs",
    "known_risks",
)
_PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


def _photo_extension(photo: File) -> str:
    size = photo.size or 0
    if size > conf.photo_max_bytes():
        raise ValidationError(
            f"The photo must be smaller than {conf.photo_max_bytes() // (1024 * 1024)} MB.",
            field="photo",
        )
    photo.seek(0)
    head = photo.read(8)
    photo.seek(0)
    for magic, extension in _PHOTO_TYPES.items():
        if head.startswith(magic):
            return extension
    raise ValidationError("The photo must be a JPG or PNG.", field="photo")


def safety_profile_update(
    *,
    actor: User,
    child: Child,
    description: str | None = None,
    associates: str | None = None,
    places_frequented: str | None = None,
    phones_and_social_media: str | None = None,
    medical_needs: str | None = None,
    known_risks: str | None = None,
    photo: File | None = None,
    photo_taken_on: dt.date | None = None,
    remove_photo: bool = False,
) -> SafetyProfileVersion:
    """Record a new version of the child's safety profile (the home of the current placement).

    Fields left as None keep their value. Nothing changed: no new version, the current one is
    returned. A photo is stored in private storage under a random name; only its path is kept.
    """
    permit = require_write(actor, child, action=Action.EDIT_SAFETY_PROFILE)
    values: dict[str, Any] = {
        "description": description,
        "associates": associates,
        "places_frequented": places_frequented,
        "phones_and_social_media": phones_and_social_media,
        "medical_needs": medical_needs,
        "known_risks": known_risks,
    }
    stored: str | None = None
    if photo is not None:
        if remove_photo:
            raise ValidationError("Either add a photo or remove it, not both.", field="photo")
        extension = _photo_extension(photo)
        original = PurePath(photo.name or "").suffix.lower()
        if original and original not in {".jpg", ".jpeg", ".png"}:
            raise ValidationError("The photo must be a JPG or PNG.", field="photo")
        stored = private_storage().save(
            f"safety-profiles/{child.id}/{uuid.uuid4().hex}{extension}", photo
        )
    try:
        with transaction.atomic():
            Child.objects.select_for_update().filter(pk=child.pk).first()
            previous = SafetyProfileVersion.objects.filter(child=child).order_by("-version").first()
            current: dict[str, Any] = {
                field: getattr(previous, field) if previous else "" for field in PROFILE_TEXT_FIELDS
            }
            new = dict(current)
            for field, value in values.items():
                if value is not None:
                    new[field] = value.strip()
            photo_name = previous.photo.name if previous and previous.photo else ""
            taken_on = previous.photo_taken_on if previous else None
            changed = [field for field in PROFILE_TEXT_FIELDS if new[field] != current[field]]
            if stored is not None:
                photo_name, taken_on = stored, photo_taken_on
                changed.append("photo")
            elif remove_photo and photo_name:
                photo_name, taken_on = "", None
                changed.append("photo")
            if previous is not None and not changed:
                return previous
            version = SafetyProfileVersion.objects.create(
                child=child,
                version=(previous.version + 1) if previous else 1,
                photo=photo_name,
                photo_taken_on=taken_on,
                changed_fields=", ".join(changed)[:300],
                recorded_by=actor,
                recorded_by_organisation=actor.organisation,
                recorded_at=current_time(),
                **new,
            )
            audit_append(
                actor=actor,
                verb=AuditVerb.SAFETY_PROFILE_CHANGED,
                obj=version,
                child=child,
                payload={"version": version.version, "fields": changed},
                involvement=permit.involvement,
                grant=permit.grant,
            )
    except BaseException:
        if stored is not None:
            private_storage().delete(stored)
        raise
    _log_on_commit(
        "safety profile child=%s version=%s actor=%s", child.id, version.version, actor.id
    )
    return version
