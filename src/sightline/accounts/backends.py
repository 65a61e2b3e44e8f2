"""The lockout check in front of Django's username and password backend, and that backend
with its per-request read of the user prepared."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from sightline.core.prepared import prepared
from sightline.organisations.models import User


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


def _user_with_organisation(*, pk: int) -> QuerySet[User]:
    return User.objects.filter(pk=pk).select_related("organisation")


class UserBackend(ModelBackend):
    """Django's username and password backend, whose ``get_user`` (every signed-in request's
    second read, after the session) reads the user with their organisation in one prepared
    statement (``sightline.core.prepared``, ADR 53) instead of building the query afresh and
    reading the organisation in a query of its own later (issue 13). Who may sign in is
    Django's rule, unchanged: ``user_can_authenticate``."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if pk is None:
            return None
        rows = prepared("accounts.user", _user_with_organisation, pk=pk)
        user = rows[0] if rows else None
        return user if user is not None and self.user_can_authenticate(user) else None
