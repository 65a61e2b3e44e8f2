"""Contacts for a child's record (issue 14): who to call, kept where each is true.

An organisation's own contacts (a council's out-of-hours number, a police force's single
point of contact, a return home interview service) and each of a provider's homes' manager
are kept by those ``Action.MANAGE_CONTACTS`` names (its administrators, a council's team
managers, a provider's home managers). A placement's allocated social worker and team manager are
kept by whoever may record the child's placements for the placing council
(``Action.RECORD_PLACEMENT``, the child-level policy).

Saving a contact, changed or not, confirms it: ``last_confirmed_at`` and ``confirmed_by`` say
when and by whom, which the record shows beside it. Every save is one audit event in the same
transaction (``contact changed``: the role and the names of the fields that changed, never
their values).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from sightline.access.policy import Action, may_for_organisation, require_write
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now
from sightline.core.views import when
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.placements.models import (
    ORGANISATION_CONTACT_ROLES,
    PLACEMENT_CONTACT_ROLES,
    Contact,
    ContactRole,
    Placement,
    Setting,
)

NAME_MAX = 200
# A UK telephone number: 10 or 11 digits from 0, or +44 and 9 or 10; spaces, brackets and
# hyphens between are allowed and kept as typed.
_PHONE_SEPARATORS = re.compile(r"[\s()\-]")
_PHONE = re.compile(r"(0\d{9,10}|\+44\d{9,10})")

FIELDS = ("name", "phone", "email")


def phone_entered(raw: str) -> str:
    """A phone number as typed, tidied: single spaces, no spaces at the ends."""
    return " ".join(raw.split())


def confirmed_text(contact: Contact) -> str:
    """ "3 March 2026 at 9:15am by jsmith": when and by whom it was last confirmed."""
    who = contact.confirmed_by.get_username() if contact.confirmed_by else "Sightline"
    return f"{when(contact.last_confirmed_at)} by {who}"


def _check(*, name: str, phone: str, email: str, record: str) -> None:
    if not name:
        raise ValidationError("Enter the name of the person or team", field="name", record=record)
    if len(name) > NAME_MAX:
        raise ValidationError(
            f"The name must be {NAME_MAX} characters or fewer", field="name", record=record
        )
    if not phone:
        raise ValidationError("Enter a telephone number", field="phone", record=record)
    if len(phone) > 30 or not _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", phone)):
        raise ValidationError(
            "Enter a telephone number, like 01632 960 001 or +44 808 157 0192",
            field="phone",
            record=record,
        )
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationError(
                "Enter an email address in the correct format, like name@example.gov.uk",
                field="email",
                record=record,
            ) from None


def _save(
    *,
    actor: User,
    organisation: Organisation,
    role: str,
    name: str,
    phone: str,
    email: str,
    setting: Setting | None = None,
    placement: Placement | None = None,
    audit: dict[str, Any] | None = None,
) -> Contact:
    name, phone, email = " ".join(name.split()), phone_entered(phone), email.strip()
    label = ContactRole(role).label
    _check(name=name, phone=phone, email=email, record=str(label))
    with transaction.atomic():
        contact, created = Contact.objects.select_for_update().get_or_create(
            organisation=organisation,
            setting=setting,
            placement=placement,
            role=role,
            defaults={
                "name": name,
                "phone": phone,
                "email": email,
                "last_confirmed_at": now(),
                "confirmed_by": actor,
            },
        )
        changed = list(FIELDS) if created else []
        if not created:
            changed = [
                f
                for f, v in zip(FIELDS, (name, phone, email), strict=True)
                if getattr(contact, f) != v
            ]
            contact.name, contact.phone, contact.email = name, phone, email
            contact.last_confirmed_at, contact.confirmed_by = now(), actor
            contact.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.CONTACT_CHANGED,
            obj=contact,
            payload={"role": str(role), "fields": changed},
            **(audit or {}),
        )
    return contact


def organisation_contact_set(
    *, actor: User, organisation: Organisation, role: str, name: str, phone: str, email: str = ""
) -> Contact:
    """Set or confirm one of an organisation's own contacts (the roles its kind keeps).

    Raises NotFoundOrNotAllowed unless the actor keeps the organisation's contacts, and
    ValidationError naming the field for a role the kind does not keep or bad details."""
    if not may_for_organisation(actor, Action.MANAGE_CONTACTS, organisation.pk):
        raise NotFoundOrNotAllowed()
    if role not in ORGANISATION_CONTACT_ROLES.get(organisation.kind, ()):
        raise ValidationError(
            f"{organisation.name} does not keep this kind of contact", field="role"
        )
    return _save(
        actor=actor, organisation=organisation, role=role, name=name, phone=phone, email=email
    )


def home_manager_set(
    *, actor: User, setting: Setting, name: str, phone: str, email: str = ""
) -> Contact:
    """Set or confirm the manager of one of a provider's homes, for those who keep the
    provider's contacts."""
    provider = setting.provider
    if provider is None or not may_for_organisation(actor, Action.MANAGE_CONTACTS, provider.pk):
        raise NotFoundOrNotAllowed()
    return _save(
        actor=actor,
        organisation=provider,
        setting=setting,
        role=ContactRole.HOME_MANAGER,
        name=name,
        phone=phone,
        email=email,
    )


def placement_contact_set(
    *,
    actor: User,
    placement: Placement,
    role: str,
    name: str,
    phone: str,
    email: str = "",
    checked: Any = None,
) -> Contact:
    """Set or confirm the social worker or team manager allocated to a child in a placement,
    for those who may record the child's placements (the placing council). ``checked``: the
    view's ``ChildAccess`` for the same action, if any (``require_write``)."""
    if role not in PLACEMENT_CONTACT_ROLES:
        raise ValidationError("Select the social worker or the team manager", field="role")
    access = require_write(actor, placement.child, action=Action.RECORD_PLACEMENT, checked=checked)
    placing = Organisation.objects.filter(
        kind=OrganisationKind.COUNCIL, council_id=placement.child.placing_council_id
    ).first()
    if placing is None or placing.pk != actor.organisation_id:
        raise NotFoundOrNotAllowed()
    return _save(
        actor=actor,
        organisation=placing,
        placement=placement,
        role=role,
        name=name,
        phone=phone,
        email=email,
        audit={
            "child": placement.child_id,
            "involvement": access.involvement,
            "grant": access.grant,
        },
    )
