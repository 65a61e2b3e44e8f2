"""Casework's item in the service navigation (registered in ``apps.py``, ADR 7): "Your tasks"
for everyone in an organisation whose role sees children's tasks, the one task list, with how
many are open: the organisation's outstanding casework tasks and the open tasks Sightline's
rules set it (``missing`` registers that count, ``tasks_open``; its own Tasks page is gone)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.access.policy import POLICY, Action
from sightline.casework.selectors import case_tasks_for_owner_queryset
from sightline.core.navigation import navigation_count
from sightline.organisations.models import User


def casework_navigation(request: HttpRequest, user: User) -> list[Any]:
    if not user.is_active or user.organisation_id is None:
        return []
    if not POLICY[Action.VIEW_CASE_TASK].get(user.role):
        return []
    href = reverse("your_tasks")
    count = navigation_count(request, user, "case_tasks_outstanding") + navigation_count(
        request, user, "tasks_open"
    )
    label = (
        format_html(
            'Your tasks <span class="app-count">{}<span class="govuk-visually-hidden"> '
            "open</span></span>",
            count,
        )
        if count
        else "Your tasks"
    )
    return [
        ServiceNavigationNavigation(
            html=label, href=href, current=request.path.startswith(href)
        ).__dict__
    ]


def case_tasks_outstanding_count(request: HttpRequest, user: User) -> Any:
    if not user.is_active or user.organisation_id is None:
        return None
    return case_tasks_for_owner_queryset(user=user)
