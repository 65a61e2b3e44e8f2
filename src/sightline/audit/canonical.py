"""The bytes each row's hash is taken over, by version of the canonical form.

A row keeps the version it was written with, so changing what the hash covers never breaks
the rows already written: add a version instead. Version 1 is the form of rows written
before verbs (``action`` free text); version 2 adds the verb, the payload and the version
itself. A keyed hash would be version 3: an HMAC key id column added to ``FIELDS[3]`` and a
``DIGESTS[3]`` that looks the key up by that id; versions 1 and 2 keep verifying as now.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

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
}

# The version new rows are written with.
CURRENT_VERSION = 2

# Kept for readers of version 1 (and its tests): the original field list.
CANONICAL_FIELDS = FIELDS[1]


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical(event: AuditEvent) -> bytes:
    """Sorted-key JSON of the version's fields, UTF-8 (the payload's keys sorted too)."""
    fields = FIELDS.get(event.version)
    if fields is None:
        raise ValueError(f"Audit row {event.seq} has unknown canonical version {event.version}")
    data = {name: _value(getattr(event, name)) for name in fields}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha256(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


DIGESTS: dict[int, Callable[[AuditEvent], str]] = {1: _sha256, 2: _sha256}


def digest(event: AuditEvent) -> str:
    return DIGESTS[event.version](event)
