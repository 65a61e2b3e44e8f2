"""Keep child data out of browser and proxy caches.

A page or download seen by a signed-in person can carry a child's name, placement or missing
history; on a shared computer the browser's cache, or a proxy on the way, would keep it after
the person signed out. Every response to a signed-in person and every API response is marked
``Cache-Control: no-store`` (and ``Pragma: no-cache`` for old HTTP/1.0 caches), unless the view
chose its own caching. Static files carry no personal data and keep their long caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

API_PREFIX = "/api/"


class NoStoreMiddleware:
    """Marks responses that may carry child data as not to be stored by any cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control") or request.path.startswith(settings.STATIC_URL):
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith(API_PREFIX):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response
