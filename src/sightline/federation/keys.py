"""This deployment's federation signing keys, and the JSON Web Key Set it publishes.

``SIGHTLINE_FEDERATION_KEY`` is an Ed25519 private key: its 32-byte seed, base64url (what
``sightline federation keygen`` prints). Its key id is the RFC 7638 thumbprint of its public
key, so a key id names one key wherever it is seen and needs no registry.
``SIGHTLINE_FEDERATION_OLD_KEYS`` lists retired public keys (base64url, comma-separated): they
are still published, so that peers verifying a request signed just before a rotation (and
operators comparing thumbprints) find them; nothing is signed with them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings


class FederationKeyError(ValueError):
    """A key in the settings or in a peer's key set that cannot be read."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise FederationKeyError("not base64url") from exc


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def thumbprint(x: str) -> str:
    """RFC 7638: SHA-256 of the required members in lexicographic order, no whitespace."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


def public_key_from(x: str) -> Ed25519PublicKey:
    raw = b64url_decode(x)
    if len(raw) != 32:
        raise FederationKeyError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_key: Ed25519PrivateKey

    @property
    def x(self) -> str:
        return b64url(public_bytes(self.private_key.public_key()))


def signing_key_from(seed: str) -> SigningKey:
    raw = b64url_decode(seed.strip())
    if len(raw) != 32:
        raise FederationKeyError("SIGHTLINE_FEDERATION_KEY is a 32-byte seed, base64url")
    private = Ed25519PrivateKey.from_private_bytes(raw)
    return SigningKey(
        key_id=thumbprint(b64url(public_bytes(private.public_key()))), private_key=private
    )


def new_seed() -> str:
    return b64url(
        Ed25519PrivateKey.generate().private_bytes_raw()  # 32 random bytes from the OS
    )


def signing_key() -> SigningKey | None:
    """The key this deployment signs with; None while federation has no key."""
    seed = settings.SIGHTLINE_FEDERATION_KEY
    return signing_key_from(seed) if seed else None


def jwk(x: str) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": thumbprint(x),
        "alg": "EdDSA",
        "use": "sig",
    }


def published_keys() -> dict[str, Any]:
    """The key set at ``/.well-known/sightline-federation-keys``: the current key first."""
    keys = []
    current = signing_key()
    if current is not None:
        keys.append(jwk(current.x))
    for x in settings.SIGHTLINE_FEDERATION_OLD_KEYS:
        public_key_from(x)  # refuses to publish what it could not read
        keys.append(jwk(x))
    return {"keys": keys}


def keys_from_set(document: Any) -> dict[str, str]:
    """A peer's key set, as ``{key id: x}``: Ed25519 keys only, each id checked against its
    thumbprint (a key set cannot name a key by another key's id)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise FederationKeyError('the key set has no "keys" list')
    found: dict[str, str] = {}
    for entry in document["keys"]:
        if (
            not isinstance(entry, dict)
            or entry.get("kty") != "OKP"
            or entry.get("crv") != "Ed25519"
        ):
            continue
        x = str(entry.get("x", ""))
        public_key_from(x)
        kid = thumbprint(x)
        if entry.get("kid") not in (None, kid):
            raise FederationKeyError("a key's id is not its thumbprint")
        found[kid] = x
    if not found:
        raise FederationKeyError("the key set has no Ed25519 key")
    return found
