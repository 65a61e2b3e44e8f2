"""Evidence's item in the service navigation (registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.access.policy import Action, may
from sightline.organisations.models import User


def evidence_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Evidence (aggregate statistics), for analysts."""
    if not may(user, Action.VIEW_EVIDENCE_ANY_AREA):
        return []
    href = reverse("evidence")
    return [
        ServiceNavigationNavigation(
            text="Evidence", href=href, current=request.path.startswith(href)
        ).__dict__
    ]
