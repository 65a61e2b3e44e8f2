"""``Authorization: Bearer <key>`` for every operation (the NinjaAPI's global auth)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from sightline.api.services import api_key_authenticate
from sightline.organisations.models import User

# Where the authenticated service user is kept on the request, so that a decorator running
# before ninja's own auth step (``idempotent``) and the auth step look the key up once.
_CACHE = "_sightline_api_user"
_MISSING = object()


def authenticated_user(request: HttpRequest) -> User | None:
    """The service user of the request's API key, or None. Looked up once per request."""
    cached: Any = getattr(request, _CACHE, _MISSING)
    if cached is not _MISSING:
        return cached
    user = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        user = api_key_authenticate(token=token.strip())
    setattr(request, _CACHE, user)
    return user


class ApiKeyAuth(HttpBearer):
    """An organisation's API key; the operation runs as the key's service user."""

    def __call__(self, request: HttpRequest) -> User | None:
        return authenticated_user(request)

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return authenticated_user(request)


def acting_user(request: HttpRequest) -> User:
    """The service user an operation acts as (set by ``ApiKeyAuth``)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - auth is global
        raise RuntimeError("API operation reached without an authenticated key.")
    return user
