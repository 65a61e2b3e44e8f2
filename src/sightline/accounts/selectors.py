"""Reads about a user's second factors."""

from __future__ import annotations

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from sightline.organisations.models import User


def authenticator_confirmed(*, user: User) -> TOTPDevice | None:
    """The user's authenticator app, once set up (confirmed with a code)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def authenticator_pending(*, user: User) -> TOTPDevice | None:
    """An authenticator app being set up: shown to the user but not yet confirmed."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def recovery_device(*, user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def users_with_authenticator(*, user_ids: list[int]) -> set[int]:
    """Which of these users have set up an authenticator app (for the people list)."""
    return set(
        TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list(
            "user_id", flat=True
        )
    )
