"""The lockout check in front of Django's username and password backend."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come through a web request.

    ``authenticate()`` called without a request (a management command, a test checking a
    password) is not a sign-in attempt anyone could repeat from outside, so it is neither
    counted nor refused here; django-axes itself would raise instead.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
