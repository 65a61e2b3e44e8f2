"""A secure view of the child's details for someone at an agency not on Sightline.

The acknowledgement link proves only that someone has the e-mail; acknowledging needs no
more. Seeing the child's name and date of birth needs more: a one-time code, sent to the
verified directory inbox the notice went to, entered on the link's page within
``CODE_MINUTES``. A correct code opens the view for ``VIEW_MINUTES`` in that browser's
session. Codes are kept only as a keyed hash, allow ``MAX_ATTEMPTS`` tries and one use; at
most ``MAX_CODES_PER_HOUR`` are sent for a notice and address. Each code sent and each look
at the child is on the audit chain (``secure view code sent``, ``child viewed by code``).

This is the one way to a child's details that does not go through the access policy: there
is no user to ask it about. What admits is possession of the agency's verified inbox, which
is what the notice itself was addressed to (ADR: signed links for people without an account).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.notifications.models import (
    AddressStatus,
    Delivery,
    InboxAddress,
    Notice,
    SecureViewCode,
)

logger = logging.getLogger(__name__)

CODE_MINUTES = 10
VIEW_MINUTES = 30
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 3


def code_hash(code: str, *, code_id: uuid.UUID) -> str:
    """The keyed hash a one-time code is kept as (bound to its row's id). Shared with the
    parent's view (``sightline.family``), which sends its codes the same way."""
    key = f"{settings.SIGHTLINE_LINK_KEY}:secure-view".encode()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_new() -> str:
    """A fresh six-digit one-time code."""
    return f"{secrets.randbelow(10**6):06d}"


def code_matches(stored_hash: str, code: str, *, code_id: uuid.UUID) -> bool:
    """Whether a typed code (spaces ignored) is the one kept as ``stored_hash``."""
    return hmac.compare_digest(stored_hash, code_hash("".join(code.split()), code_id=code_id))


def address_digest(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()


def _check_inbox(notice_id: uuid.UUID, address: str) -> Notice:
    """The notice went to this address with a signed link, and the address is verified."""
    if (
        not Delivery.objects.filter(
            notice_id=notice_id, signed_link=True, address__iexact=address
        ).exists()
        or not InboxAddress.objects.filter(
            address=address.lower(), status=AddressStatus.VERIFIED
        ).exists()
    ):
        raise NotFoundOrNotAllowed()
    notice = Notice.objects.select_related("child", "recipient").get(pk=notice_id)
    if notice.child is None:
        raise NotFoundOrNotAllowed()
    return notice


def secure_view_code_send(*, notice_id: uuid.UUID, address: str) -> SecureViewCode:
    """Send a one-time code to the verified inbox the notice went to."""
    address = address.lower()
    notice = _check_inbox(notice_id, address)
    at = current_time()
    recent = SecureViewCode.objects.filter(
        notice=notice, address=address, created_at__gte=at - dt.timedelta(hours=1)
    ).count()
    if recent >= MAX_CODES_PER_HOUR:
        raise ValidationError(
            "We have sent 3 codes in the last hour. Use the latest one, or try again later",
            field="code",
        )
    code = code_new()
    with transaction.atomic():
        row = SecureViewCode(
            notice=notice,
            address=address,
            expires_at=at + dt.timedelta(minutes=CODE_MINUTES),
        )
        row.code_hash = code_hash(code, code_id=row.id)
        row.save()
        audit_append(
            actor=None,
            verb=AuditVerb.SECURE_VIEW_CODE_SENT,
            obj=notice,
            child=notice.child_id,
            organisation=notice.recipient,
            payload={"address": address_digest(address)},
            at=at,
        )
    EmailMessage(
        subject=f"Your Sightline code for notice {notice.reference}",
        body="\n".join(
            [
                f"Your code is {code}",
                "",
                f"Enter it on the notice's page within {CODE_MINUTES} minutes to see the "
                "child's details. If you did not ask for it, tell the sender: someone else "
                "may have the e-mail.",
                "",
                f"Notice reference: {notice.reference}",
            ]
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    ).send(fail_silently=False)
    logger.info("secure view code id=%s sent for notice id=%s", row.id, notice.id)
    return row


def secure_view_code_check(*, notice_id: uuid.UUID, address: str, code: str) -> dt.datetime:
    """A correct, unexpired, unused code of this notice and address: returns until when the
    view is open. Anything else is ``ValidationError`` on ``code``."""
    address = address.lower()
    _check_inbox(notice_id, address)
    code = "".join(code.split())
    at = current_time()
    with transaction.atomic():
        row = (
            SecureViewCode.objects.select_for_update()
            .filter(notice_id=notice_id, address=address, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= at or row.attempts >= MAX_ATTEMPTS:
            raise ValidationError("The code has expired. Ask for a new one", field="code")
        row.attempts += 1
        good = code_matches(row.code_hash, code, code_id=row.id)
        if good:
            row.used_at = at
        row.save(update_fields=["attempts", "used_at", "updated_at"])
    if not good:
        raise ValidationError("The code is not right. Check the e-mail and try again", field="code")
    return at + dt.timedelta(minutes=VIEW_MINUTES)


def secure_view_read(*, notice_id: uuid.UUID, address: str) -> Notice:
    """One look at the child's details through the secure view: on the audit chain."""
    notice = _check_inbox(notice_id, address)
    audit_append(
        actor=None,
        verb=AuditVerb.CHILD_VIEWED_BY_CODE,
        obj=notice,
        child=notice.child_id,
        organisation=notice.recipient,
        payload={"address": address_digest(address)},
    )
    logger.info("notice id=%s child viewed through the secure view", notice.id)
    return notice
