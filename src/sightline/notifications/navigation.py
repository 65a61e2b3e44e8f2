"""The inbox's item in the service navigation (registered in
``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.notifications.selectors import Waiting, waiting_counts
from sightline.organisations.models import Organisation, User

_WAITING = "_sightline_notices_waiting"


def waiting_for(request: HttpRequest, organisation: Organisation) -> Waiting:
    """The organisation's waiting notices, counted once per request: the inbox's item and the
    urgent banner both show them."""
    found: Waiting | None = getattr(request, _WAITING, None)
    if found is None:
        found = waiting_counts(organisation=organisation)
        setattr(request, _WAITING, found)
    return found


def notice_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Inbox, with how many notices wait for acknowledgement."""
    org = user.organisation if user.is_active else None
    if org is None:
        return []
    inbox = reverse("notice_inbox")
    waiting = waiting_for(request, org).notices
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
