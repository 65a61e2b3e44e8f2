"""The keys that seal the audit chain (HMAC-SHA-256), each known by an id that rows record.

``SIGHTLINE_AUDIT_KEY`` is the current key: new rows and checkpoints are sealed with it.
``SIGHTLINE_AUDIT_KEY_ID`` names it; unset, its id is derived from the key itself
(``k`` and 12 hex characters of an HMAC of a fixed label: it identifies the key without
revealing it), so a new key always gets a new id. ``SIGHTLINE_AUDIT_OLD_KEYS`` holds the
retired keys, comma-separated, each ``id:secret`` (or a bare secret, whose id is derived the
same way): they verify the rows they sealed and seal nothing new. A key given as hex is used
as the bytes it spells; any other value as its UTF-8 bytes.

The test suite and the demo use a fixed, published key (``config/settings.py``): their chains
prove nothing against someone who reads this repository, and production refuses to start
without a key of its own.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class AuditKey:
    id: str
    secret: bytes = b""

    def __repr__(self) -> str:  # never print the secret
        return f"AuditKey(id={self.id!r})"

    def mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def key_bytes(value: str) -> bytes:
    """The bytes a configured key stands for: hex as the bytes it spells, else UTF-8."""
    value = value.strip()
    try:
        return bytes.fromhex(value)
    except ValueError:
        return value.encode()


def derived_key_id(secret: bytes) -> str:
    return "k" + hmac.new(secret, b"sightline audit key id", hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    current: AuditKey
    keys: dict[str, AuditKey]


@functools.lru_cache(maxsize=8)
def _parse(current: str, current_id: str, old: str) -> KeyRing:
    if not current:
        raise ImproperlyConfigured("SIGHTLINE_AUDIT_KEY is not set: the audit cannot be sealed.")
    secret = key_bytes(current)
    key = AuditKey(current_id.strip() or derived_key_id(secret), secret)
    keys = {key.id: key}
    for entry in (e.strip() for e in old.split(",")):
        if not entry:
            continue
        key_id, sep, value = entry.partition(":")
        if not sep:
            key_id, value = "", entry
        old_secret = key_bytes(value)
        old_key = AuditKey(key_id or derived_key_id(old_secret), old_secret)
        if not KEY_ID_PATTERN.match(old_key.id) or not old_secret:
            raise ImproperlyConfigured(
                "SIGHTLINE_AUDIT_OLD_KEYS: each entry is id:secret (an id of up to 32 letters, "
                "digits, '.', '_' or '-') or a bare secret."
            )
        if old_key.id in keys and keys[old_key.id].secret != old_secret:
            raise ImproperlyConfigured(
                f"SIGHTLINE_AUDIT_OLD_KEYS: key id {old_key.id!r} is given twice with different "
                "secrets."
            )
        keys.setdefault(old_key.id, old_key)
    if not KEY_ID_PATTERN.match(key.id):
        raise ImproperlyConfigured(
            "SIGHTLINE_AUDIT_KEY_ID: up to 32 letters, digits, '.', '_' or '-'."
        )
    return KeyRing(current=key, keys=keys)


def key_ring() -> KeyRing:
    return _parse(
        getattr(settings, "SIGHTLINE_AUDIT_KEY", ""),
        getattr(settings, "SIGHTLINE_AUDIT_KEY_ID", ""),
        getattr(settings, "SIGHTLINE_AUDIT_OLD_KEYS", ""),
    )


def current_key() -> AuditKey:
    """The key new rows and checkpoints are sealed with."""
    return key_ring().current


def key_for(key_id: str) -> AuditKey | None:
    """The key with this id, current or retired; None when this server does not hold it."""
    return key_ring().keys.get(key_id)
