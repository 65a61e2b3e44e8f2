"""Signed, expiring links e-mailed to people who have no Sightline account.

Two purposes, each with its own salt so that a link for one is refused for the other:

* **acknowledge** a notice: bound to the notice and to the directory address it was sent to;
* **confirm** a directory address: bound to the address and to the one-use challenge of its
  pending test message.

Django's ``TimestampSigner`` (HMAC-SHA256) signs ``SIGHTLINE_LINK_KEY``; the keys in
``SIGHTLINE_LINK_OLD_KEYS`` still verify links signed before a rotation. The link carries the
time it was made; it is refused after ``SIGHTLINE_ACK_LINK_DAYS`` (or
``SIGHTLINE_VERIFY_LINK_DAYS``). ADR: ``docs/adr/0031-signed-links-for-non-users.md``.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from sightline.notifications import conf


class Purpose(enum.StrEnum):
    ACKNOWLEDGE = "sightline.notices.acknowledge"
    CONFIRM_ADDRESS = "sightline.directory.confirm-address"
    # A parent's invitation to a narrow view of their child's plan (``sightline.family``).
    PARENT_VIEW = "sightline.family.parent-view"


class LinkRefused(Exception):
    """A link that is not ours (tampered, another purpose, an old key) or has expired."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _signer(purpose: Purpose) -> signing.TimestampSigner:
    return signing.TimestampSigner(
        key=settings.SIGHTLINE_LINK_KEY,
        fallback_keys=list(getattr(settings, "SIGHTLINE_LINK_OLD_KEYS", [])),
        salt=str(purpose),
    )


def link_sign(*, purpose: Purpose, value: dict[str, str]) -> str:
    """A signed, timestamped token carrying ``value`` for one purpose: for a package above
    this one that e-mails its own kind of link (a parent's invitation)."""
    return _signer(purpose).sign_object(value, compress=True)


def link_read(*, token: str, purpose: Purpose, max_age_days: int) -> dict[str, str]:
    """The value of a token made by ``link_sign`` for this purpose, or ``LinkRefused``."""
    return _read(token, purpose, max_age_days)


def _read(token: str, purpose: Purpose, max_age_days: int) -> dict[str, str]:
    try:
        value = _signer(purpose).unsign_object(token, max_age=max_age_days * 86400)
    except signing.SignatureExpired as exc:
        raise LinkRefused(expired=True) from exc
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise LinkRefused(expired=False) from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise LinkRefused(expired=False)
    return value


@dataclass(frozen=True)
class AcknowledgementClaim:
    notice_id: uuid.UUID
    address: str


def acknowledgement_token(*, notice_id: uuid.UUID, address: str) -> str:
    return _signer(Purpose.ACKNOWLEDGE).sign_object(
        {"n": str(notice_id), "a": address.strip().lower()}, compress=True
    )


def acknowledgement_url(*, notice_id: uuid.UUID, address: str) -> str:
    token = acknowledgement_token(notice_id=notice_id, address=address)
    return f"{conf.base_url()}/acknowledge/{token}/"


def acknowledgement_read(token: str) -> AcknowledgementClaim:
    value = _read(token, Purpose.ACKNOWLEDGE, conf.ack_link_days())
    try:
        return AcknowledgementClaim(notice_id=uuid.UUID(value["n"]), address=value["a"])
    except (KeyError, ValueError) as exc:
        raise LinkRefused(expired=False) from exc


@dataclass(frozen=True)
class ConfirmationClaim:
    address: str
    challenge: str


def confirmation_url(*, address: str, challenge: str) -> str:
    token = _signer(Purpose.CONFIRM_ADDRESS).sign_object(
        {"a": address.strip().lower(), "c": challenge}, compress=True
    )
    return f"{conf.base_url()}/directory/confirm/{token}/"


def confirmation_read(token: str) -> ConfirmationClaim:
    value = _read(token, Purpose.CONFIRM_ADDRESS, conf.verify_link_days())
    try:
        return ConfirmationClaim(address=value["a"], challenge=value["c"])
    except KeyError as exc:
        raise LinkRefused(expired=False) from exc
