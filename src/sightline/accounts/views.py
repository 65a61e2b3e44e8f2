"""The second step of signing in: set up an authenticator app, enter its code, or use a
recovery code; the lockout page; the sign-in security page.

The set-up and code pages are ``Rule.PUBLIC``: they show no child's information and must
stay reachable before the second factor is entered. Each still needs a password sign-in.
"""

from __future__ import annotations

import logging
from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from sightline.access.policy import Rule, declare
from sightline.accounts import selectors, services
from sightline.accounts.forms import (
    AuthenticatorCodeForm,
    AuthenticatorSetupForm,
    NewRecoveryCodesForm,
    RecoveryCodeForm,
)
from sightline.accounts.qr import qr_svg
from sightline.core.errors import ValidationError
from sightline.core.views import error_summary, is_verified, page
from sightline.organisations.models import User

logger = logging.getLogger(__name__)

# New recovery codes wait here between the page that makes them and the page that shows
# them, and are removed when shown: they are shown once.
CODES_TO_SHOW = "sightline_recovery_codes_to_show"


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # login_required


def _next(request: HttpRequest) -> str:
    """Where to go after this step: a page on this site only."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("home")


def _banner(heading: str, body: str = "") -> str:
    if body:
        return format_html(
            '<p class="govuk-notification-banner__heading">{}</p><p class="govuk-body">{}</p>',
            heading,
            body,
        )
    return format_html('<p class="govuk-notification-banner__heading">{}</p>', heading)


def _with_next(name: str, next_url: str) -> str:
    from urllib.parse import urlencode

    url = reverse(name)
    return url if next_url == reverse("home") else f"{url}?{urlencode({'next': next_url})}"


def _second_factor_done(request: HttpRequest, device: Any) -> None:
    """Mark the session verified, under a new session key: a password-only session key
    someone else obtained must not become a verified one when the user enters their code."""
    django_otp.login(request, device)
    request.session.cycle_key()


@declare(Rule.PUBLIC)
@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Set up your authenticator app: QR code, secret key, confirm with a code."""
    user = _user(request)
    next_url = _next(request)
    if is_verified(user):
        return redirect(next_url)
    if selectors.authenticator_confirmed(user=user) is not None:
        return redirect(_with_next("mfa_verify", next_url))
    device = services.authenticator_start(user=user)
    form = AuthenticatorSetupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.authenticator_confirm(
                user=user, device=device, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.show(exc)
        else:
            device.refresh_from_db()
            _second_factor_done(request, device)
            request.session[CODES_TO_SHOW] = codes
            return redirect(_with_next("mfa_recovery_codes", next_url))
    return page(
        request,
        "registration/mfa_setup.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "qr_code": qr_svg(device.config_url, title="QR code for your authenticator app"),
            "secret": services.secret_for_display(device),
            "issuer": settings.OTP_TOTP_ISSUER,
            "next": next_url,
        },
    )


@declare(Rule.SIGNED_IN)
@login_required
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """Recovery codes, shown once just after they are made."""
    codes = request.session.pop(CODES_TO_SHOW, None)
    return page(
        request,
        "registration/mfa_recovery_codes.html",
        {"codes": codes, "next": _next(request)},
    )


@declare(Rule.PUBLIC)
@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """Enter the code from your authenticator app."""
    user = _user(request)
    next_url = _next(request)
    if is_verified(user):
        return redirect(next_url)
    if selectors.authenticator_confirmed(user=user) is None:
        return redirect(_with_next("mfa_setup", next_url))
    form = AuthenticatorCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.authenticator_verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.show(exc)
        else:
            _second_factor_done(request, device)
            return redirect(next_url)
    return page(
        request,
        "registration/mfa_verify.html",
        {"form": form, "error_summary": error_summary(form), "next": next_url},
    )


@declare(Rule.PUBLIC)
@login_required
@require_http_methods(["GET", "POST"])
def mfa_recovery(request: HttpRequest) -> HttpResponse:
    """Use a recovery code instead of the authenticator app."""
    user = _user(request)
    next_url = _next(request)
    if is_verified(user):
        return redirect(next_url)
    form = RecoveryCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.recovery_code_use(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.show(exc)
        else:
            _second_factor_done(request, device)
            left = selectors.recovery_codes_left(user=user)
            messages.info(
                request,
                _banner(
                    f"You have {left} recovery code{'' if left == 1 else 's'} left",
                    "Each code works once. Create new codes from Sign-in security when you "
                    "are running out.",
                ),
            )
            return redirect(next_url)
    return page(
        request,
        "registration/mfa_recovery.html",
        {
            "form": form,
            "error_summary": error_summary(form),
            "next": next_url,
            "has_authenticator": selectors.authenticator_confirmed(user=user) is not None,
        },
    )


def _security_page(request: HttpRequest, form: NewRecoveryCodesForm) -> HttpResponse:
    user = _user(request)
    return page(
        request,
        "registration/account_security.html",
        {
            "authenticator": selectors.authenticator_confirmed(user=user),
            "codes_left": selectors.recovery_codes_left(user=user),
            "form": form,
            "error_summary": error_summary(form),
        },
    )


@declare(Rule.SIGNED_IN)
@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """Sign-in security: the authenticator app and how many recovery codes are left. The
    secret key and the codes themselves are never shown here: only once, when made."""
    return _security_page(request, NewRecoveryCodesForm())


@declare(Rule.SIGNED_IN)
@login_required
@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    """New recovery codes, after a code from the authenticator app (the second factor
    again)."""
    form = NewRecoveryCodesForm(request.POST)
    if form.is_valid():
        try:
            codes = services.recovery_codes_replace(
                user=_user(request), code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.show(exc)
        else:
            request.session[CODES_TO_SHOW] = codes
            return redirect(_with_next("mfa_recovery_codes", reverse("account_security")))
    return _security_page(request, form)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' lockout response (``AXES_LOCKOUT_CALLABLE``): a GOV.UK page."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return page(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
