"""Two checks on every request from a signed-in browser.

``SessionTimeoutMiddleware`` ends a session that has been idle too long or has lasted too
long, and one whose user can no longer sign in (disabled by an administrator).
``VerificationRequiredMiddleware`` sends a user who has not yet entered a code from their
authenticator app to that step before any page other than a public one (``Rule.PUBLIC``):
every page that can show a child's information is behind it. The API authenticates with
keys, not sessions, and is not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from sightline.access.policy import Rule
from sightline.accounts import selectors, sessions
from sightline.core.prepared import prepared
from sightline.core.views import is_verified

logger = logging.getLogger(__name__)

API_NAMESPACE = "api-v1"  # sightline.api.main.NAMESPACE; the API authenticates with keys


def declared_rule(view: Callable[..., Any]) -> Rule | None:
    """The access rule a view declared with ``access.policy.declare``, if any."""
    for target in (view, getattr(view, "view_class", None)):
        declared = getattr(target, "sightline_access", None)
        if declared is not None:
            rule: Rule = declared[0]
            return rule
    return None


def _sign_in_again(request: HttpRequest, why: str) -> HttpResponse:
    next_path = request.get_full_path() if request.method == "GET" else ""
    messages.info(
        request,
        format_html('<p class="govuk-notification-banner__heading">{}</p>', why),
    )
    url = reverse("login")
    if next_path and next_path != reverse("home"):
        url += "?" + urlencode({"next": next_path})
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._check(request)
        return response if response is not None else self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = getattr(request, "session", None)
        if session is None:
            return None
        user = request.user
        if not user.is_authenticated:
            if session.get(SESSION_KEY) is not None:
                # The session names a user who can no longer sign in (disabled, or the
                # password changed): end it now rather than leave it in the store.
                logger.info(
                    "session ended: user can no longer sign in user=%s", session[SESSION_KEY]
                )
                session.flush()
            return None
        expiry = sessions.expired(request)
        if expiry is None:
            return None
        from django.conf import settings

        user_id = user.pk
        logout(request)
        logger.info("session ended: %s timeout user=%s", expiry, user_id)
        if expiry is sessions.Expiry.IDLE:
            minutes = settings.SESSION_IDLE_MINUTES
            why = (
                f"You were signed out because you had not used Sightline for {minutes} "
                "minutes. Sign in again to continue."
            )
        else:
            hours = settings.SESSION_ABSOLUTE_HOURS
            why = (
                f"You were signed out because you signed in more than {hours} hours ago. "
                "Sign in again to continue."
            )
        return _sign_in_again(request, why)


class VerificationRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return None
        match = request.resolver_match
        if match is not None and match.namespace == API_NAMESPACE:
            return None
        if declared_rule(view_func) is Rule.PUBLIC:
            return None
        # Everything else, including the admin and any view without a declared rule, waits
        # for the second factor.
        step = (
            "mfa_verify"
            if selectors.authenticator_confirmed(user=user) is not None
            else "mfa_setup"
        )
        url = reverse(step)
        next_path = request.get_full_path() if request.method == "GET" else ""
        if next_path and next_path != reverse("home"):
            url += "?" + urlencode({"next": next_path})
        return HttpResponseRedirect(url)


def _device(*, model: Any, pk: int) -> Any:
    return model.objects.filter(pk=pk)


class DeviceMiddleware(OTPMiddleware):
    """django-otp's middleware (``request.user.otp_device``, ``is_verified()``), with the
    device the session names read through a prepared statement (ADR 53): every signed-in
    request reads it (so that removing an authenticator ends verification at once), and
    Django built that read's SQL afresh each time (issue 13). A device of another user or
    not confirmed is refused by django-otp's own ``_finalize_device``, unchanged."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        label, _, pk = self._normalize_persistent_id(persistent_id).rpartition("/")
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            return None
        if not issubclass(model, Device) or not pk.isdigit():
            return None
        # The model is a value outside the slots, so part of the key: a statement per model.
        rows = prepared("accounts.otp_device", _device, model=model, pk=int(pk))
        return rows[0] if rows else None
