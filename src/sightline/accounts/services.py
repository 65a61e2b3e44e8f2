"""Setting up and using the second factor; lockout logging.

Logs carry user ids, never usernames, names or addresses.
"""

from __future__ import annotations

import logging
import math
import re
from base64 import b32encode
from typing import Any

import django_otp
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sightline.accounts import selectors
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import ValidationError
from sightline.core.timeutil import now
from sightline.organisations.models import User

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def secret_for_display(device: TOTPDevice) -> str:
    """The secret key as people type it into an authenticator app: base32, in groups of 4."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def authenticator_start(*, user: User) -> TOTPDevice:
    """The authenticator app being set up: the one already shown, or a new secret key.

    Refused once the user has a confirmed authenticator: a second one is set up only after an
    administrator resets the first (``sightline otp reset``).
    """
    if selectors.authenticator_confirmed(user=user) is not None:
        raise ValidationError("An authenticator app is already set up.", field="code")
    pending = selectors.authenticator_pending(user=user)
    if pending is not None:
        return pending
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def _totp_code(code: str) -> str:
    code = re.sub(r"\s+", "", code or "")
    if not code:
        raise ValidationError("Enter the 6-digit code from your authenticator app", field="code")
    if not re.fullmatch(r"\d{6}", code):
        raise ValidationError("The code must be 6 digits", field="code")
    return code


def _throttled(device: TOTPDevice | StaticDevice) -> None:
    """After a wrong code, django-otp makes the user wait 1, 2, 4, 8... seconds."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        until = (info or {}).get("locked_until")
        wait = max(1, math.ceil((until - now()).total_seconds())) if until else 60
        unit = "second" if wait == 1 else "seconds"
        raise ValidationError(
            f"You entered too many wrong codes. Wait {wait} {unit}, then try again",
            field="code",
        )


def _verified(user: User, device: TOTPDevice | StaticDevice, code: str) -> bool:
    """django-otp's check, with the device locked so that a code cannot be used twice at once.
    A wrong code counts towards throttling (committed, never rolled back)."""
    return django_otp.verify_token(user, device.persistent_id, code) is not None


def authenticator_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator app with a code it shows; returns new recovery codes.

    One transaction: the device is confirmed, other unconfirmed devices go, and any earlier
    recovery codes are replaced by ten new single-use ones.
    """
    code = _totp_code(code)
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("Start setting up your authenticator app again", field="code")
    _throttled(device)
    if not _verified(user, device, code):
        logger.info("mfa setup code rejected user=%s device=%s", user.pk, device.pk)
        raise ValidationError(
            "The code is not correct or has expired. Enter the code your app shows now",
            field="code",
        )
    with transaction.atomic():
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _recovery_codes_replace(user)
    logger.info("mfa authenticator set up user=%s device=%s", user.pk, device.pk)
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        token = StaticToken.random_token()
        if token not in codes:
            codes.append(token)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=t) for t in codes])
    return codes


def recovery_codes_replace(*, user: User, code: str) -> list[str]:
    """Ten new recovery codes; the old ones stop working.

    Needs the second factor again: a code from the user's authenticator app, so that
    whoever finds a signed-in session (a borrowed laptop) cannot mint codes that would let
    them sign in as the user later."""
    authenticator_verify(user=user, code=code)
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
    logger.info("mfa recovery codes replaced user=%s", user.pk)
    return codes


def authenticator_verify(*, user: User, code: str) -> TOTPDevice:
    """Check a code from the user's authenticator app; returns the device it verified."""
    code = _totp_code(code)
    device = selectors.authenticator_confirmed(user=user)
    if device is None:
        raise ValidationError("Set up your authenticator app first", field="code")
    _throttled(device)
    if not _verified(user, device, code):
        logger.info("mfa code rejected user=%s device=%s", user.pk, device.pk)
        raise ValidationError(
            "The code is not correct or has expired. Enter the code your app shows now",
            field="code",
        )
    logger.info("mfa verified user=%s device=%s method=authenticator", user.pk, device.pk)
    return device


def normalise_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]+", "", code or "").lower()


def recovery_code_use(*, user: User, code: str) -> StaticDevice:
    """Use one recovery code (it stops working); returns the device it verified."""
    code = normalise_recovery_code(code)
    if not code:
        raise ValidationError("Enter one of your recovery codes", field="code")
    device = selectors.recovery_device(user=user)
    if device is None or not device.token_set.exists():
        raise ValidationError(
            "You have no recovery codes left. Contact your Sightline administrator", field="code"
        )
    _throttled(device)
    if not _verified(user, device, code):
        logger.info("mfa recovery code rejected user=%s device=%s", user.pk, device.pk)
        raise ValidationError(
            "The recovery code is not correct or has already been used", field="code"
        )
    logger.info("mfa verified user=%s device=%s method=recovery code", user.pk, device.pk)
    return device


def second_factor_reset(*, actor: User | None, user: User) -> int:
    """Remove the user's authenticator app and recovery codes (a lost phone): the user sets
    up a new app at the next sign-in. Returns how many devices were removed."""
    with transaction.atomic():
        apps = TOTPDevice.objects.filter(user=user)
        codes = StaticDevice.objects.filter(user=user)
        removed = apps.count() + codes.count()
        apps.delete()
        codes.delete()
        audit_append(
            actor=actor,
            verb=AuditVerb.SECOND_FACTOR_RESET,
            obj=user,
            # The person's organisation's audit: a platform operator belongs to none.
            organisation=user.organisation or (actor.organisation if actor else None),
            payload={"devices": removed},
        )
    logger.warning(
        "mfa reset user=%s actor=%s devices=%s", user.pk, actor.pk if actor else None, removed
    )
    return removed


def lockout_log(
    sender: Any, request: Any = None, username: str | None = None, **kwargs: Any
) -> None:
    """django-axes' lockout signal: log which account was locked, by id only."""
    user_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
    logger.warning("sign-in locked out user=%s (unknown username if None)", user_id)
