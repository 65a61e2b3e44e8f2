"""Writes for the child record."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child, Sex
from sightline.core.errors import ValidationError
from sightline.core.timeutil import today
from sightline.geography.models import Council
from sightline.organisations.models import User


def child_create(
    *,
    placing_council: Council,
    child_ref: str,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    sex: str,
    ethnicity: str = "",
    actor: User | None = None,
) -> Child:
    ref = child_ref.strip().upper()
    record = f"Child {ref}" if ref else None
    if not ref or len(ref) > 10:
        raise ValidationError(
            "Enter the child's 903 CHILD id (up to 10 characters).",
            field="child_ref",
            record=record,
        )
    if not first_name.strip():
        raise ValidationError("Enter the child's first name", field="first_name", record=record)
    if not last_name.strip():
        raise ValidationError("Enter the child's last name", field="last_name", record=record)
    if sex not in Sex.values:
        raise ValidationError("Sex must be M, F or U.", field="sex", record=record)
    # Every door (web form, API, import, demo) comes through here, so this is where a date of
    # birth that has not happened yet is refused.
    if date_of_birth > today():
        raise ValidationError(
            "Date of birth must be today or in the past", field="date_of_birth", record=record
        )
    with transaction.atomic():
        if Child.objects.filter(placing_council=placing_council, child_ref=ref).exists():
            raise ValidationError(
                f"{placing_council.name} already has a child with the CHILD id {ref}.",
                field="child_ref",
                record=record,
            )
        child = Child.objects.create(
            placing_council=placing_council,
            child_ref=ref,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            date_of_birth=date_of_birth,
            sex=sex,
            ethnicity=ethnicity.strip().upper(),
        )
        audit_append(actor=actor, verb=AuditVerb.CHILD_CREATED, obj=child, child=child)
        return child
