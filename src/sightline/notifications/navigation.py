"""The inbox's item in the service navigation (registered in
``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.core.navigation import navigation_count
from sightline.notifications.selectors import Waiting, notices_waiting, urgent_waiting
from sightline.organisations.models import User


def notices_waiting_count(request: HttpRequest, user: User) -> Any:
    """The notices the inbox counts (registered with ``core.navigation``)."""
    org = user.organisation if user.is_active else None
    return notices_waiting(organisation=org) if org is not None else None


def urgent_waiting_count(request: HttpRequest, user: User) -> Any:
    """The urgent alerts the banner counts (the partial index ``notice_urgent_waiting``)."""
    org = user.organisation if user.is_active else None
    return urgent_waiting(organisation=org) if org is not None else None


def waiting_for(request: HttpRequest, user: User) -> Waiting:
    """The user's organisation's waiting notices, read once per request with the other
    navigation counts (``core.navigation``): the inbox's item and the urgent banner show them."""
    return Waiting(
        notices=navigation_count(request, user, "notices_waiting"),
        urgent=navigation_count(request, user, "urgent_waiting"),
    )


def notice_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Inbox, with how many notices wait for acknowledgement."""
    org = user.organisation if user.is_active else None
    if org is None:
        return []
    inbox = reverse("notice_inbox")
    waiting = waiting_for(request, user).notices
    label = (
        format_html(
            'Inbox <span class="app-count">{}<span class="govuk-visually-hidden"> to '
            "acknowledge</span></span>",
            waiting,
        )
        if waiting
        else "Inbox"
    )
    items = [
        ServiceNavigationNavigation(
            html=label, href=inbox, current=request.path.startswith(inbox)
        ).__dict__
    ]
    return items
