"""Writes for the public API: creating, using and revoking API keys, and keeping the answers
to idempotent writes.

A key looks like ``sl_<prefix>_<secret>``: the prefix (8 hex digits) is shown in lists and
logs and finds the key; the secret (256 random bits) is shown once, when the key is created,
and only its HMAC-SHA256 under a per-key salt is stored. A slow password hash (Argon2) would
protect guessable passwords; a 256-bit random secret cannot be guessed, so a fast keyed hash is
as safe and keeps every API request cheap (see ``docs/api.md``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sightline.api.models import ApiKey, IdempotencyRecord
from sightline.api.selectors import api_key_by_prefix
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import ValidationError
from sightline.core.prepared import prepared_update, update_sql
from sightline.core.timeutil import now
from sightline.organisations.models import (
    ROLES_BY_KIND,
    Organisation,
    OrganisationKind,
    Role,
    User,
)

logger = logging.getLogger(__name__)

KEY_PREFIX = "sl"
# What a new key of each kind of organisation acts as, unless a role is given.
DEFAULT_ROLE: dict[str, str] = {
    OrganisationKind.COUNCIL: Role.SOCIAL_WORKER,
    OrganisationKind.POLICE: Role.POLICE_MISSING_OFFICER,
    OrganisationKind.PROVIDER: Role.HOME_MANAGER,
    OrganisationKind.HEALTH: Role.ANALYST,
    OrganisationKind.SCHOOL: Role.ANALYST,
}
# No role is closed to a key. The administrator role is never a key's default: it is given
# explicitly, for a partner system that manages the organisation's webhook subscriptions (the
# only administration the API offers; an administrator sees no child). ADR 38.
KEY_ROLES_EXCLUDED: frozenset[str] = frozenset()
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
IDEMPOTENCY_TTL = dt.timedelta(hours=24)


def _secret_hash(*, salt: str, secret: str) -> str:
    return hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()


def key_roles(*, kind: str) -> list[str]:
    """The roles a key of an organisation of this kind may carry."""
    return sorted(set(ROLES_BY_KIND.get(kind, set())) - KEY_ROLES_EXCLUDED)


def api_key_create(
    *,
    organisation: Organisation,
    role: str | None = None,
    name: str = "",
    actor: User | None,
) -> tuple[ApiKey, str]:
    """Create a key and its service user. Returns the key and its full text, which is not
    stored anywhere: show it once."""
    role = role or DEFAULT_ROLE.get(organisation.kind, "")
    allowed = key_roles(kind=organisation.kind)
    if role not in allowed:
        raise ValidationError(
            f"A key of {organisation.name} can have the role "
            + (" or ".join(allowed) if allowed else "(none)")
            + f", not {role!r}.",
            field="role",
        )
    name = name.strip() or "API key"
    if len(name) > 100:
        raise ValidationError("The name must be 100 characters or fewer.", field="name")
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    for _ in range(5):
        prefix = secrets.token_hex(4)
        try:
            with transaction.atomic():
                user = User(
                    username=f"api:{prefix}",
                    organisation=organisation,
                    role=role,
                    first_name="API key",
                    last_name=name[:150],
                    is_active=True,
                )
                # The service user never signs in to the web app.
                user.set_unusable_password()
                user.save()
                key = ApiKey.objects.create(
                    organisation=organisation,
                    name=name,
                    prefix=prefix,
                    salt=salt,
                    secret_hash=_secret_hash(salt=salt, secret=secret),
                    role=role,
                    user=user,
                    created_by=actor,
                )
                audit_append(
                    actor=actor,
                    verb=AuditVerb.API_KEY_CREATED,
                    obj=key,
                    organisation=actor.organisation if actor else organisation,
                    payload={"prefix": prefix, "role": role},
                )
        except IntegrityError:  # the same random prefix twice: try another
            continue
        break
    else:  # pragma: no cover - 5 collisions of 32 random bits
        raise RuntimeError("Could not find a free key prefix.")
    logger.info(
        "api key created prefix=%s organisation=%s role=%s actor=%s",
        key.prefix,
        organisation.id,
        role,
        actor.id if actor else None,
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def api_key_revoke(*, prefix: str, actor: User | None) -> ApiKey:
    """Revoke a key at once: its next request gets 401. Its service user stays, inactive, so
    what it recorded stays attributed."""
    key = api_key_by_prefix(prefix=prefix.strip().lower())
    if key is None:
        raise ValidationError(f"No API key has the prefix {prefix!r}.", field="prefix")
    if key.revoked_at is not None:
        return key
    at = now()
    with transaction.atomic():
        key.revoked_at = at
        key.save(update_fields=["revoked_at", "updated_at"])
        User.objects.filter(pk=key.user_id).update(is_active=False)
        audit_append(
            actor=actor,
            verb=AuditVerb.API_KEY_REVOKED,
            obj=key,
            organisation=actor.organisation if actor else key.organisation,
            payload={"prefix": key.prefix},
            at=at,
        )
    logger.info(
        "api key revoked prefix=%s organisation=%s actor=%s",
        key.prefix,
        key.organisation_id,
        actor.id if actor else None,
    )
    return key


def api_key_authenticate(*, token: str) -> User | None:
    """The service user of a valid, unrevoked key; None for anything else."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    key = api_key_by_prefix(prefix=parts[1].lower())
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _secret_hash(salt=key.salt, secret=parts[2])):
        return None
    user = key.user
    if not user.is_active or user.organisation_id is None:
        return None
    # A key acts only in the role it was issued with: a service user whose role was changed
    # afterwards (an administrator key turned into a social worker's on the people page, say)
    # no longer authenticates. A new key must be issued, which is on the audit.
    if user.role != key.role:
        return None
    at = now()
    if key.last_used_at is None or at - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=at)
    return user


# --- Idempotency -----------------------------------------------------------------------------


def idempotency_claim(
    *, organisation_id: uuid.UUID, key: str, method: str, path: str, request_hash: str
) -> tuple[IdempotencyRecord, bool]:
    """Take the key for this request, or find the request that took it within 24 hours.

    Returns the record and whether it is new. Call inside the transaction of the write: on
    PostgreSQL a concurrent request with the same key waits on the unique constraint until the
    first commits (or rolls back), then finds its answer.
    """
    at = now()
    record = IdempotencyRecord(
        organisation_id=organisation_id,
        key=key,
        method=method,
        path=path[:500],
        request_hash=request_hash,
        created_at=at,
        updated_at=at,
    )
    for _ in range(2):
        if _insert_unless_taken(record):
            record._state.adding = False  # saved: ``idempotency_complete`` updates it
            record._state.db = connection.alias
            return record, True
        existing = IdempotencyRecord.objects.filter(
            organisation_id=organisation_id, key=key
        ).first()
        if existing is None:  # pragma: no cover - taken and then forgotten meanwhile
            continue
        if existing.created_at >= at - IDEMPOTENCY_TTL:
            return existing, False
        # Expired: the key may be used again. (The worker forgets expired keys in bulk,
        # ``idempotency_purge``; doing it here on every write made concurrent writes of one
        # organisation wait on each other's deletes.)
        existing.delete()
    raise IntegrityError("Idempotency-Key taken again while claiming it")  # pragma: no cover


def _insert_unless_taken(record: IdempotencyRecord) -> bool:
    """Insert the claim unless the key is already taken, in one statement (``INSERT … ON
    CONFLICT DO NOTHING``): the usual case, a new key, costs no look-up and no savepoint
    (issue 13). True if this request took the key. On PostgreSQL a concurrent insert of the
    same key waits until the first transaction ends, as with a plain insert."""
    meta = IdempotencyRecord._meta
    written = {
        "id",
        "created_at",
        "updated_at",
        "organisation",
        "key",
        "method",
        "path",
        "request_hash",
        "response_body",
    }
    fields = [f for f in meta.concrete_fields if f.name in written]
    by_name = {f.name: f for f in fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    values = [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
    conflict = ", ".join(quote(str(by_name[n].column)) for n in ("organisation", "key"))
    returning = quote(str(by_name["id"].column))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
            values,
        )
        return cursor.fetchone() is not None


def idempotency_purge(*, at: dt.datetime | None = None) -> int:
    """Forget Idempotency-Keys older than 24 hours; the worker calls it now and then."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=(at or now()) - IDEMPOTENCY_TTL
    ).delete()
    return deleted


def _completed(*, pk: uuid.UUID, status: int, body: str, at: dt.datetime) -> tuple[str, list[Any]]:
    return update_sql(
        IdempotencyRecord.objects.filter(pk=pk),
        response_status=status,
        response_body=body,
        updated_at=at,
    )


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: str) -> None:
    """Keep the answer with the key: ``save(update_fields=...)`` of the three columns, its
    SQL built once per process (issue 13)."""
    record.response_status = status
    record.response_body = body
    record.updated_at = timezone.now()  # as ``auto_now`` sets it on save
    prepared_update(
        "api.idempotency_complete",
        _completed,
        text=("body",),
        pk=record.pk,
        status=status,
        body=body,
        at=record.updated_at,
    )
