"""Recording a placement: its item in the service navigation and its button on the home page
(registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.organisations.models import User
from sightline.placements.compliance import has_compliance_view
from sightline.placements.selectors import user_can_record_placement


def record_placement_navigation(request: HttpRequest, user: User) -> list[Any]:
    if not user_can_record_placement(user=user):
        return []
    new = reverse("placement_new")
    return [
        ServiceNavigationNavigation(
            text="Record a placement", href=new, current=request.path == new
        ).__dict__
    ]


def record_placement_panel(request: HttpRequest, user: User) -> str:
    """The home page's "Record a placement" button, for those who may record one."""
    if not user_can_record_placement(user=user):
        return ""
    return format_html(
        '<a href="{}" role="button" draggable="false" class="govuk-button" '
        'data-module="govuk-button">Record a placement</a>',
        reverse("placement_new"),
    )


def compliance_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Compliance, after the inbox, for the organisations that have a compliance page."""
    org = user.organisation if user.is_active else None
    if org is None or not has_compliance_view(org):
        return []
    compliance = reverse("compliance")
    return [
        ServiceNavigationNavigation(
            text="Compliance", href=compliance, current=request.path == compliance
        ).__dict__
    ]
