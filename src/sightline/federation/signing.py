"""Requests between deployments, signed and verified with HTTP Message Signatures (RFC 9421)
through the ``http-message-signatures`` library, over Ed25519.

Every request covers ``@method``, ``@target-uri``, ``content-digest`` (RFC 9530, SHA-256 of
the body) and ``content-type``, with the parameters ``created``, ``expires``, ``keyid``,
``nonce``, ``alg`` and the tag ``sightline-federation``. The receiver requires all of them:
a signature that leaves one out is refused like a wrong one. Replays are refused by the
nonce (``SeenNonce``), remembered until the signature expires.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from sightline.core.timeutil import now as current_time
from sightline.federation.keys import SigningKey, public_key_from
from sightline.federation.models import Peer, SeenNonce

TAG = "sightline-federation"
LABEL = "sightline"
COVERED = ("@method", "@target-uri", "content-digest", "content-type")
CONTENT_TYPE = "application/json"


class _Signer(HTTPSignatureKeyResolver):
    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str) -> Any:
        return self.key.private_key

    def resolve_public_key(self, key_id: str) -> Any:
        return self.key.private_key.public_key()


def signed_request(*, url: str, body: bytes, key: SigningKey) -> requests.PreparedRequest:
    """A POST of ``body`` (JSON) to ``url``, signed with this deployment's key."""
    prepared = requests.Request(
        "POST", url, data=body, headers={"Content-Type": CONTENT_TYPE}
    ).prepare()
    created = current_time().replace(microsecond=0)
    HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_Signer(key)).sign(
        prepared,
        key_id=key.key_id,
        created=created,
        expires=created + dt.timedelta(seconds=settings.SIGHTLINE_FEDERATION_MAX_AGE_SECONDS),
        nonce=secrets.token_urlsafe(24),
        label=LABEL,
        tag=TAG,
        covered_component_ids=COVERED,
        body=body,
    )
    return prepared


class Refusal(enum.StrEnum):
    """Why a request was refused, as the answer and the audit say it. Only the first two come
    from a trusted peer's key (and are audited)."""

    # Names a trusted peer's key and does not verify: tampered, signed by another key,
    # expired, or leaving out a required component or parameter.
    BAD_SIGNATURE = "bad-signature"
    REPLAYED = "replayed-nonce"
    UNSIGNED = "unsigned"
    UNKNOWN_KEY = "unknown-key"


class RequestRefused(Exception):
    def __init__(self, reason: Refusal, *, peer: Peer | None = None, detail: str = "") -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.peer = peer
        self.detail = detail[:200]


@dataclass
class _Message:
    """What the library reads of an incoming request."""

    method: str
    url: str
    headers: Any


class _PinnedKeys(HTTPSignatureKeyResolver):
    """Public keys pinned by an operator, and only those."""

    def __init__(self) -> None:
        self.peer: Peer | None = None

    def resolve_private_key(self, key_id: str) -> Any:
        raise NotImplementedError

    def resolve_public_key(self, key_id: str) -> Any:
        peer = peer_for_key(key_id)
        if peer is None:
            return None
        self.peer = peer
        return public_key_from(peer.keys[key_id])


def peer_for_key(key_id: str) -> Peer | None:
    if not key_id or len(key_id) > 64:
        return None
    # JSON key look-up, portable across SQLite and PostgreSQL. A key id pinned for two peers
    # names neither (``peer_trust`` refuses that; this holds for rows pinned before it did).
    peers = list(Peer.objects.filter(keys__has_key=key_id, trusted_at__isnull=False)[:2])
    return peers[0] if len(peers) == 1 else None


def _key_id_claimed(headers: Any) -> str:
    """The keyid the request claims, before anything is verified (to say who it names)."""
    text = headers.get("Signature-Input", "")
    marker = 'keyid="'
    start = text.find(marker)
    if start < 0:
        return ""
    end = text.find('"', start + len(marker))
    return text[start + len(marker) : end] if end > 0 else ""


def request_verify(*, method: str, url: str, headers: Any, body: bytes) -> Peer:
    """The trusted peer that signed this request, or ``RequestRefused`` saying why.

    Checks, in order: a signature with our tag, covering every required component, with
    ``created``, ``expires``, ``keyid`` and ``nonce``; a key id one of our peers' pinned keys;
    the signature; the body against its signed digest; the nonce not seen before.
    """
    if "Signature" not in headers or "Signature-Input" not in headers:
        raise RequestRefused(Refusal.UNSIGNED)
    claimed = _key_id_claimed(headers)
    known = peer_for_key(claimed)
    resolver = _PinnedKeys()
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    max_age = dt.timedelta(seconds=settings.SIGHTLINE_FEDERATION_MAX_AGE_SECONDS)
    try:
        results = verifier.verify(
            _Message(method=method, url=url, headers=headers),
            max_age=max_age,
            expect_tag=TAG,
            require_components=COVERED,
            body=body,
        )
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        if known is None:
            raise RequestRefused(Refusal.UNKNOWN_KEY, detail=str(exc)) from exc
        # The library's message says which check failed and carries nothing of the body.
        raise RequestRefused(Refusal.BAD_SIGNATURE, peer=known, detail=str(exc)) from exc
    result = results[0]
    params = result.parameters
    peer = resolver.peer
    assert peer is not None  # the key resolved, so it named a trusted peer
    nonce, expires = params.get("nonce"), params.get("expires")
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64 or not isinstance(expires, int):
        raise RequestRefused(Refusal.BAD_SIGNATURE, peer=peer, detail="no nonce or expires")
    created = params.get("created")
    if not isinstance(created, int) or expires - created > max_age.total_seconds():
        raise RequestRefused(Refusal.BAD_SIGNATURE, peer=peer, detail="expires too far ahead")
    try:
        with transaction.atomic():
            SeenNonce.objects.create(
                key_id=str(params["keyid"]),
                nonce=nonce,
                expires_at=dt.datetime.fromtimestamp(expires, tz=dt.UTC) + max_age,
            )
    except IntegrityError as exc:
        raise RequestRefused(Refusal.REPLAYED, peer=peer) from exc
    return peer
