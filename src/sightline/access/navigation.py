"""Emergency access's item in the service navigation (registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation

from sightline.access.breakglass import break_glass_reviewable_by, can_review
from sightline.access.models import AccessGrant
from sightline.organisations.models import User


def emergency_access_navigation(request: HttpRequest, user: User) -> list[Any]:
    """For senior officers with uses of emergency access to review: the review queue, with
    how many wait for a decision."""
    if not can_review(user):
        return []
    uses = AccessGrant.objects.filter(
        pk__in=break_glass_reviewable_by(user).values("pk"), review__isnull=True
    ).count()
    if not uses:
        return []
    href = reverse("emergency_access_queue")
    return [
        ServiceNavigationNavigation(
            html=format_html(
                'Emergency access <span class="app-count">{}<span class="govuk-visually-hidden">'
                " to review</span></span>",
                uses,
            ),
            href=href,
            current=request.path.startswith(href),
        ).__dict__
    ]
