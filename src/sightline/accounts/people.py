"""Administration that cannot lift itself: an organisation's people, roles and audit.

An organisation's administrators (``Action.MANAGE_PEOPLE``) add people to their own
organisation, change their roles within the roles the organisation's kind holds
(``ROLES_BY_KIND``), deactivate and reactivate them and reset their second factor; they read
their own organisation's rows of the audit (``Action.VIEW_ORGANISATION_AUDIT``). Only a
platform operator (``access.policy.is_platform_operator``) acts across organisations and
moves a person from one organisation to another. Nobody changes their own account here.

Every change is an audit event in the transaction that makes it; every refused attempt is an
audit event too (``ADMINISTRATION_REFUSED``), written before the refusal is raised, so that
an administrator who tries to lift themself leaves a row on the chain. Another
organisation's person or organisation is refused with ``NotFoundOrNotAllowed``, the answer
for one that does not exist. The pages (``people_views.py``) and tests call these functions;
logs carry ids, never names.
"""

from __future__ import annotations

import enum
import logging
import secrets
from typing import Any, NoReturn

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from sightline.access.policy import Action, is_platform_operator, may, may_for_organisation
from sightline.accounts.services import second_factor_reset
from sightline.audit.models import AuditEvent
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.organisations.models import ROLES_BY_KIND, Organisation, OrganisationKind, Role, User

logger = logging.getLogger(__name__)

AUDIT_ROWS = 200  # the newest rows an organisation's audit page shows


class Attempt(enum.StrEnum):
    """What an administrator tried (``ADMINISTRATION_REFUSED``'s ``attempt``)."""

    VIEW_PEOPLE = "view people"
    VIEW_PERSON = "view person"
    ADD = "add person"
    ROLE = "change role"
    ORGANISATION = "change organisation"
    STATUS = "change status"
    SECOND_FACTOR = "reset second factor"
    VIEW_AUDIT = "view organisation audit"


class Refusal(enum.StrEnum):
    """Why (``ADMINISTRATION_REFUSED``'s ``reason``)."""

    NOT_ALLOWED = "not allowed"  # the actor's role may not, or the target is not theirs
    OWN_ACCOUNT = "own account"
    ROLE_NOT_HELD = "role not held by the organisation's kind"
    PLATFORM_ONLY = "platform operator only"


OWN_ACCOUNT_MESSAGES = {
    Attempt.ROLE: "You cannot change your own role. Ask another administrator",
    Attempt.ORGANISATION: "You cannot move your own account. Ask another platform operator",
    Attempt.STATUS: "You cannot deactivate or reactivate your own account. Ask another "
    "administrator",
    Attempt.SECOND_FACTOR: "You cannot reset your own authenticator app here. Ask another "
    "administrator",
}
FIELD = {
    Attempt.ROLE: "role",
    Attempt.ORGANISATION: "organisation",
    Attempt.STATUS: "active",
    Attempt.SECOND_FACTOR: "confirm",
}


def _refuse(
    *,
    actor: User,
    attempt: Attempt,
    reason: Refusal,
    target: Any,
    organisation: Organisation | None = None,
    role: str | None = None,
    message: str = "",
    field: str | None = None,
) -> NoReturn:
    """Put the refused attempt on the chain, then refuse it: ``ValidationError`` with the
    message when there is one (the actor may see the target), ``NotFoundOrNotAllowed``
    otherwise. The row is written in its own transaction, before the refusal is raised, so
    that the error's rollback cannot take it away."""
    payload: dict[str, Any] = {"attempt": str(attempt), "reason": str(reason)}
    if role is not None:
        payload["role"] = str(role)[:64]
    with transaction.atomic():
        audit_append(
            actor=actor,
            verb=AuditVerb.ADMINISTRATION_REFUSED,
            obj=str(target or "none")[:64],
            payload=payload,
            organisation=organisation or actor.organisation,
        )
    logger.warning(
        "administration refused actor=%s attempt=%s reason=%s target=%s",
        actor.pk,
        attempt,
        reason,
        str(target)[:64],
    )
    if message:
        raise ValidationError(message, field=field)
    raise NotFoundOrNotAllowed()


def _signed_in(actor: User | None) -> User:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise NotFoundOrNotAllowed()
    return actor


def _organisation(organisation_id: Any) -> Organisation | None:
    try:
        return Organisation.objects.filter(pk=organisation_id).first()
    except (ValueError, TypeError, DjangoValidationError):
        return None


def organisation_for_admin(*, actor: User, organisation_id: Any, attempt: Attempt) -> Organisation:
    """The organisation, when the actor may administer it (their own, or any for a platform
    operator); otherwise the refusal is recorded and NotFoundOrNotAllowed raised."""
    actor = _signed_in(actor)
    action = (
        Action.VIEW_ORGANISATION_AUDIT if attempt == Attempt.VIEW_AUDIT else (Action.MANAGE_PEOPLE)
    )
    org = _organisation(organisation_id)
    if org is None or not may_for_organisation(actor, action, org.pk):
        _refuse(actor=actor, attempt=attempt, reason=Refusal.NOT_ALLOWED, target=organisation_id)
    return org


def person_for_admin(*, actor: User, person_id: Any, attempt: Attempt) -> User:
    """A person the actor administers: someone in the actor's own organisation (any
    organisation's, for a platform operator). Platform operators themselves are managed from
    the command line only. Anyone else: recorded, then NotFoundOrNotAllowed."""
    actor = _signed_in(actor)
    try:
        person = (
            User.objects.select_related("organisation")
            .filter(pk=int(person_id), organisation__isnull=False)
            .first()
        )
    except (ValueError, TypeError):
        person = None
    if person is None or not may_for_organisation(
        actor, Action.MANAGE_PEOPLE, person.organisation_id
    ):
        _refuse(actor=actor, attempt=attempt, reason=Refusal.NOT_ALLOWED, target=person_id)
    return person


def _not_own(actor: User, person: User, attempt: Attempt) -> None:
    if person.pk == actor.pk:
        _refuse(
            actor=actor,
            attempt=attempt,
            reason=Refusal.OWN_ACCOUNT,
            target=person.pk,
            message=OWN_ACCOUNT_MESSAGES[attempt],
            field=FIELD[attempt],
        )


def roles_held(organisation: Organisation) -> list[str]:
    """The roles a person in this organisation may have, in the order of ``Role``."""
    held = ROLES_BY_KIND.get(organisation.kind, set())
    return [role for role in Role.values if role in held]


def role_not_held_message(role: str, organisation: Organisation) -> str:
    label = dict(Role.choices).get(role, "That")
    kind = str(OrganisationKind(organisation.kind).label).lower()
    allowed = ", ".join(str(Role(r).label).lower() for r in roles_held(organisation))
    return f"{label} is not a role in a {kind}: choose {allowed}"


def _role_held(
    actor: User, attempt: Attempt, role: str, organisation: Organisation, target: Any
) -> None:
    if not role:
        raise ValidationError("Select a role", field="role")
    if role not in roles_held(organisation):
        _refuse(
            actor=actor,
            attempt=attempt,
            reason=Refusal.ROLE_NOT_HELD,
            target=target,
            organisation=organisation,
            role=role,
            message=role_not_held_message(role, organisation),
            field="role",
        )


def _organisation_of_change(actor: User, person: User) -> Organisation | None:
    """The organisation whose audit a change of this person belongs to: the person's."""
    return person.organisation or actor.organisation


# --- Reads -----------------------------------------------------------------------------------


def organisations_administered(*, actor: User) -> QuerySet[Organisation]:
    """Every organisation for a platform operator; the actor's own when they may manage its
    people; none otherwise."""
    if is_platform_operator(actor):
        return Organisation.objects.order_by("name")
    if actor.is_authenticated and actor.organisation_id and may(actor, Action.MANAGE_PEOPLE):
        return Organisation.objects.filter(pk=actor.organisation_id)
    return Organisation.objects.none()


def may_administer(user: User) -> bool:
    """Whether the user administers any organisation (for the navigation)."""
    return bool(
        user.is_authenticated and (is_platform_operator(user) or may(user, Action.MANAGE_PEOPLE))
    )


def people_list(*, actor: User, organisation_id: Any) -> tuple[Organisation, QuerySet[User]]:
    """The organisation and its people, for someone who administers it."""
    org = organisation_for_admin(
        actor=actor, organisation_id=organisation_id, attempt=Attempt.VIEW_PEOPLE
    )
    return org, User.objects.filter(organisation=org).order_by(
        "-is_active", "last_name", "first_name", "username"
    )


def organisation_audit(
    *, actor: User, organisation_id: Any, limit: int = AUDIT_ROWS
) -> tuple[Organisation, list[AuditEvent]]:
    """The newest rows of the audit written by or for the organisation (its people's looks
    and changes, and changes to its people), for its administrators and platform operators.
    Reading it is itself on the chain."""
    org = organisation_for_admin(
        actor=actor, organisation_id=organisation_id, attempt=Attempt.VIEW_AUDIT
    )
    with transaction.atomic():
        rows = list(AuditEvent.objects.filter(organisation_id=org.pk).order_by("-seq")[:limit])
        audit_append(
            actor=actor,
            verb=AuditVerb.ORGANISATION_AUDIT_VIEWED,
            obj=org,
            payload={"rows": len(rows)},
            organisation=actor.organisation or org,
        )
    return org, rows


# --- Writes ----------------------------------------------------------------------------------


def temporary_password() -> str:
    """A password for a new person's first sign-in, shown once to the administrator who
    added them."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


def person_add(
    *,
    actor: User,
    organisation_id: Any,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
) -> tuple[User, str]:
    """Add a person to an organisation with a role its kind holds. Returns the person and a
    temporary password to give them (they set up their authenticator app when they first
    sign in). Never a superuser, never a member of staff for the Django admin."""
    org = organisation_for_admin(actor=actor, organisation_id=organisation_id, attempt=Attempt.ADD)
    username = (username or "").strip()
    if not username:
        raise ValidationError("Enter a username", field="username")
    try:
        UnicodeUsernameValidator()(username)
    except DjangoValidationError as exc:
        raise ValidationError(
            "Username must contain only letters, numbers and @ . + - _", field="username"
        ) from exc
    if len(username) > 150:
        raise ValidationError("Username must be 150 characters or fewer", field="username")
    first_name = (first_name or "").strip()
    if not first_name:
        raise ValidationError("Enter their first name", field="first_name")
    last_name = (last_name or "").strip()
    if not last_name:
        raise ValidationError("Enter their last name", field="last_name")
    if len(first_name) > 150 or len(last_name) > 150:
        raise ValidationError("Names must be 150 characters or fewer", field="last_name")
    email = (email or "").strip()
    if not email:
        raise ValidationError("Enter their email address", field="email")
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationError(
            "Enter an email address in the correct format, like name@example.gov.uk",
            field="email",
        ) from exc
    _role_held(actor, Attempt.ADD, role, org, org.pk)
    password = temporary_password()
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That username is taken: choose another", field="username")
        person = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            organisation=org,
            role=role,
            is_staff=False,
            is_superuser=False,
        )
        validate_password(password, person)
        person.set_password(password)
        person.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.PERSON_ADDED,
            obj=person,
            payload={"role": role, "organisation_id": str(org.pk)},
            organisation=org,
        )
    logger.info("person added id=%s organisation=%s actor=%s", person.pk, org.pk, actor.pk)
    return person, password


def person_role_change(*, actor: User, person_id: Any, role: str) -> User:
    """Change a person's role, within the roles their organisation's kind holds. Not one's
    own (an administrator cannot lift themself); never to or from platform operator."""
    person = person_for_admin(actor=actor, person_id=person_id, attempt=Attempt.ROLE)
    _not_own(actor, person, Attempt.ROLE)
    assert person.organisation is not None
    _role_held(actor, Attempt.ROLE, role, person.organisation, person.pk)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=person.pk)
        old = locked.role
        if old == role:
            return locked
        locked.role = role
        locked.save(update_fields=["role"])
        audit_append(
            actor=actor,
            verb=AuditVerb.PERSON_ROLE_CHANGED,
            obj=locked,
            payload={"old_role": old, "new_role": role},
            organisation=_organisation_of_change(actor, locked),
        )
    logger.info("person role changed id=%s actor=%s", person.pk, actor.pk)
    return locked


def person_organisation_change(
    *, actor: User, person_id: Any, organisation_id: Any, role: str
) -> User:
    """Move a person to another organisation with a role it holds: platform operators only
    (an organisation's administrator would be giving away, or taking, someone else's
    people)."""
    actor = _signed_in(actor)
    if not is_platform_operator(actor):
        _refuse(
            actor=actor,
            attempt=Attempt.ORGANISATION,
            reason=Refusal.PLATFORM_ONLY,
            target=person_id,
        )
    person = person_for_admin(actor=actor, person_id=person_id, attempt=Attempt.ORGANISATION)
    _not_own(actor, person, Attempt.ORGANISATION)
    new = _organisation(organisation_id)
    if new is None:
        raise ValidationError("Select the organisation to move them to", field="organisation")
    _role_held(actor, Attempt.ORGANISATION, role, new, person.pk)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=person.pk)
        old_org, old_role = locked.organisation_id, locked.role
        if (old_org, old_role) == (new.pk, role):
            return locked
        locked.organisation, locked.role = new, role
        locked.save(update_fields=["organisation", "role"])
        payload = {
            "old_organisation_id": str(old_org) if old_org else None,
            "new_organisation_id": str(new.pk),
            "old_role": old_role,
            "new_role": role,
        }
        # On both organisations' audit: the one it left and the one it joined.
        for org_id in dict.fromkeys([old_org, new.pk]):
            audit_append(
                actor=actor,
                verb=AuditVerb.PERSON_ORGANISATION_CHANGED,
                obj=locked,
                payload=payload,
                organisation=Organisation.objects.get(pk=org_id) if org_id else new,
            )
    logger.info("person organisation changed id=%s actor=%s", person.pk, actor.pk)
    return locked


def person_status_set(*, actor: User, person_id: Any, active: bool) -> User:
    """Deactivate a person (they see nothing from their next request on) or reactivate
    them. Not one's own account."""
    person = person_for_admin(actor=actor, person_id=person_id, attempt=Attempt.STATUS)
    _not_own(actor, person, Attempt.STATUS)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=person.pk)
        old = locked.is_active
        if old == active:
            return locked
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit_append(
            actor=actor,
            verb=AuditVerb.PERSON_STATUS_CHANGED,
            obj=locked,
            payload={"old_active": old, "new_active": active},
            organisation=_organisation_of_change(actor, locked),
        )
    logger.info("person active=%s id=%s actor=%s", active, person.pk, actor.pk)
    return locked


def person_second_factor_reset(*, actor: User, person_id: Any) -> int:
    """Remove a person's authenticator app and recovery codes (a lost phone): they set up a
    new app at their next sign-in. Not one's own: that would let whoever holds a signed-in
    session replace the second factor. Returns how many devices were removed."""
    person = person_for_admin(actor=actor, person_id=person_id, attempt=Attempt.SECOND_FACTOR)
    _not_own(actor, person, Attempt.SECOND_FACTOR)
    return second_factor_reset(actor=actor, user=person)
