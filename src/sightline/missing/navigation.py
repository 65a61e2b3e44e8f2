"""The missing pages' items in the service navigation (registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.core.navigation import navigation_count
from sightline.missing.selectors import (
    episodes_open_for,
    interviews_for_service,
    tasks_open_for,
)
from sightline.organisations.models import OrganisationKind, User

# Organisations that receive missing alerts or have children missing from their homes.
MISSING_NOW_KINDS = (OrganisationKind.COUNCIL, OrganisationKind.POLICE, OrganisationKind.PROVIDER)


def _organisation(user: User) -> Any:
    return user.organisation if user.is_active else None


def missing_now_count(request: HttpRequest, user: User) -> Any:
    """The episodes "Missing now" counts (registered with ``core.navigation``)."""
    org = _organisation(user)
    if org is None or org.kind not in MISSING_NOW_KINDS:
        return None
    return episodes_open_for(user=user)


def tasks_open_count(request: HttpRequest, user: User) -> Any:
    """The rules' open tasks of the user's organisation: counted in casework's "Your tasks",
    the one task list, where they are shown (issue 17)."""
    return tasks_open_for(user=user) if _organisation(user) is not None else None


def interviews_held_count(request: HttpRequest, user: User) -> Any:
    """A council always has the item; another organisation only when it holds interviews."""
    org = _organisation(user)
    if org is None or org.kind == OrganisationKind.COUNCIL:
        return None
    return interviews_for_service(user=user)


def missing_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Missing now, with how many children are missing or away; return home interviews for
    councils and for any organisation that holds them. (The rules' tasks are in casework's
    "Your tasks", the one task list.) The counts come from one query with
    every other navigation count (``core.navigation``), exact for this request."""
    org = user.organisation if user.is_active else None
    if org is None:
        return []
    items = []
    if org.kind in MISSING_NOW_KINDS:
        missing = reverse("missing_now")
        count = navigation_count(request, user, "missing_now")
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
    if org.kind == OrganisationKind.COUNCIL or navigation_count(request, user, "interviews_held"):
        interviews = reverse("interview_list")
        items.append(
            ServiceNavigationNavigation(
                text="Interviews", href=interviews, current=request.path == interviews
            ).__dict__
        )
    return items
