"""The missing pages' items in the service navigation (registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.missing.selectors import (
    episodes_open_for,
    interviews_for_service,
    tasks_open_for,
)
from sightline.organisations.models import OrganisationKind, User

# Organisations that receive missing alerts or have children missing from their homes.
MISSING_NOW_KINDS = (OrganisationKind.COUNCIL, OrganisationKind.POLICE, OrganisationKind.PROVIDER)


def missing_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Missing now, with how many children are missing or away; return home interviews for
    councils and for any organisation that holds them."""
    org = user.organisation if user.is_active else None
    if org is None:
        return []
    items = []
    if org.kind in MISSING_NOW_KINDS:
        missing = reverse("missing_now")
        count = episodes_open_for(user=user).count()
        label = (
            format_html(
                'Missing now <span class="app-count">{}<span class="govuk-visually-hidden"> '
                "missing or away</span></span>",
                count,
            )
            if count
            else "Missing now"
        )
        items.append(
            ServiceNavigationNavigation(
                html=label, href=missing, current=request.path == missing
            ).__dict__
        )
    tasks = tasks_open_for(user=user).count()
    if org.kind == OrganisationKind.COUNCIL or tasks:
        href = reverse("task_list")
        items.append(
            ServiceNavigationNavigation(
                html=format_html(
                    'Tasks <span class="app-count">{}<span class="govuk-visually-hidden"> '
                    "open</span></span>",
                    tasks,
                )
                if tasks
                else "Tasks",
                href=href,
                current=request.path.startswith(href),
            ).__dict__
        )
    if org.kind == OrganisationKind.COUNCIL or interviews_for_service(user=user).exists():
        interviews = reverse("interview_list")
        items.append(
            ServiceNavigationNavigation(
                text="Interviews", href=interviews, current=request.path == interviews
            ).__dict__
        )
    return items
