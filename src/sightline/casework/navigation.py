"""Casework's item in the service navigation (registered in ``apps.py``, ADR 7): "Your tasks"
for everyone in an organisation whose role sees children's tasks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.access.policy import POLICY, Action
from sightline.organisations.models import User


def casework_navigation(request: HttpRequest, user: User) -> list[Any]:
    if not user.is_active or user.organisation_id is None:
        return []
    if not POLICY[Action.VIEW_CASE_TASK].get(user.role):
        return []
    href = reverse("your_tasks")
    return [
        ServiceNavigationNavigation(
            text="Your tasks", href=href, current=request.path.startswith(href)
        ).__dict__
    ]
