"""The inbox's item in the service navigation (registered in
``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.notifications.selectors import notices_received
from sightline.organisations.models import User


def notice_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Inbox, with how many notices wait for acknowledgement."""
    org = user.organisation if user.is_active else None
    if org is None:
        return []
    inbox = reverse("notice_inbox")
    waiting = notices_received(organisation=org).filter(acknowledged_at__isnull=True).count()
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
