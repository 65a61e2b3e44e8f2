"""The Django admin, for platform operators only (ADR 23).

It is not routed in production (``config/urls.py``); in the demo and the tests it answers
only a platform operator (``access.policy.is_platform_operator``: an active superuser with no
organisation) who has entered the second factor. Everyone else gets "Page not found", and
someone not signed in goes to Sightline's own sign-in page, never the admin's (which would
skip the second factor's set-up). Every model it shows is read-only or leaves secrets out
(``accounts/admin.py`` and each app's ``admin.py``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404, HttpRequest


class PlatformAdminSite(admin.AdminSite):
    site_header = "Sightline platform administration"
    site_title = "Sightline platform administration"
    index_title = "Platform administration"

    def has_permission(self, request: HttpRequest) -> bool:
        from sightline.access.policy import is_platform_operator
        from sightline.core.views import is_verified

        user = getattr(request, "user", None)
        return bool(is_platform_operator(user) and is_verified(user))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Anyone signed in who is not a platform operator gets Sightline's "Page not found"
        (not the admin's own sign-in form); someone not signed in, Sightline's sign-in."""
        from functools import update_wrapper

        from django.contrib.auth.views import redirect_to_login

        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not self.has_permission(request):
                if request.user.is_authenticated:
                    raise Http404("Page not found")
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, view)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        from django.contrib.auth.views import redirect_to_login

        if request.user.is_authenticated:
            raise Http404("Page not found")
        return redirect_to_login(request.GET.get("next") or request.path, settings.LOGIN_URL)

    def logout(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        from django.shortcuts import redirect

        return redirect("home")

    def password_change(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        raise Http404("Page not found")


class PlatformAdminConfig(AdminConfig):
    default_site = "sightline.accounts.admin_site.PlatformAdminSite"
