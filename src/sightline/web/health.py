"""GET /healthz: is the app up, can it reach its database, and are audit rows being sealed?

``audit`` is ``"late"`` when the oldest audit row waiting for its seal was written more than
``SIGHTLINE_AUDIT_SEAL_LATE_SECONDS`` ago (ADR 21: with ``SIGHTLINE_AUDIT_SEAL=worker`` the
worker seals every second, so a late row means no worker is sealing). It is a warning for
monitoring, not a failure of this web process: the status stays 200."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from sightline.access.policy import Rule, declare
from sightline.audit.services import audit_oldest_unsealed
from sightline.core.timeutil import now

logger = logging.getLogger(__name__)


@declare(Rule.PUBLIC)
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        oldest = audit_oldest_unsealed()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    late = oldest is not None and (
        (now() - oldest).total_seconds() > settings.SIGHTLINE_AUDIT_SEAL_LATE_SECONDS
    )
    if late:
        logger.warning("health check: audit rows wait for their seal since %s", oldest)
    return JsonResponse({"status": "ok", "database": "ok", "audit": "late" if late else "ok"})
