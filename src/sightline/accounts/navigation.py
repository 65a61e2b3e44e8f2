"""Administration's item in the service navigation (registered in ``apps.py``, ADR 7): for
an organisation's administrators and for platform operators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.accounts.people import may_administer
from sightline.organisations.models import User


def people_navigation(request: HttpRequest, user: User) -> list[Any]:
    if not may_administer(user):
        return []
    href = reverse("organisations")
    current = request.path.startswith(("/organisations/", "/people/"))
    return [ServiceNavigationNavigation(text="People", href=href, current=current).__dict__]
