"""The bytes each row's hash is taken over, by version of the canonical form.

A row keeps the version it was written with, so changing what the hash covers never breaks
the rows already written: add a version instead. Version 1 is the form of rows written
before verbs (``action`` free text); version 2 adds the verb, the payload and the version
itself. Versions 1 and 2 are plain SHA-256: anyone who can write the table can recompute
them. Version 3 is keyed: HMAC-SHA-256 with the audit key whose id the row records
(``key_id``, also covered), so rewriting a row and the rows after it needs the key
(``keys.py``, ADR 18). Versions 1 and 2 keep verifying as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from sightline.audit.keys import key_for
from sightline.audit.models import AuditEvent

GENESIS = "0" * 64

_V1 = (
    "id",
    "seq",
    "at",
    "kind",
    "action",
    "user_id",
    "username",
    "organisation_id",
    "child_id",
    "purpose",
    "involvement",
    "grant_id",
    "object_type",
    "object_id",
    "prev_hash",
)

# The fields each version's hash covers. Never edit a version once rows use it.
FIELDS: dict[int, tuple[str, ...]] = {
    1: _V1,
    2: (*_V1, "version", "verb", "payload"),
    3: (*_V1, "version", "verb", "payload", "key_id"),
}

# The version new rows are written with.
CURRENT_VERSION = 3

# The first version whose digest needs the key: verification refuses an older version after
# a row of this one (a row rewritten without the key, as if it were older).
KEYED_FROM = 3

# Kept for readers of version 1 (and its tests): the original field list.
CANONICAL_FIELDS = FIELDS[1]


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def timestamp(value: dt.datetime | None) -> str | None:
    """A time as the chain writes it (UTC, microseconds, ``Z``): for payloads too."""
    return None if value is None else _value(value)


def canonical(event: AuditEvent) -> bytes:
    """Sorted-key JSON of the version's fields, UTF-8 (the payload's keys sorted too)."""
    fields = FIELDS.get(event.version)
    if fields is None:
        raise ValueError(f"Audit row {event.seq} has unknown canonical version {event.version}")
    data = {name: _value(getattr(event, name)) for name in fields}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha256(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


class UnknownKeyError(LookupError):
    """The row was sealed with a key this server does not hold."""


def _hmac(event: AuditEvent) -> str:
    key = key_for(event.key_id)
    if key is None:
        raise UnknownKeyError(event.key_id)
    return key.mac(canonical(event))


DIGESTS: dict[int, Callable[[AuditEvent], str]] = {1: _sha256, 2: _sha256, 3: _hmac}


def digest(event: AuditEvent) -> str:
    return DIGESTS[event.version](event)
