"""The baseline: a plain Django view that parses the same JSON body as a missing report and
inserts one row through the ORM. Everything Sightline's operation does besides that (key
check, access policy, idempotency record, episode, grant, alerts and their outbox rows, audit,
the answer's reads) is what the ratio measures."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from benchmarks.missing.models import BareRow


@csrf_exempt  # like the API: no cookies, so no CSRF token
@require_POST
def insert_one_row(request: HttpRequest) -> JsonResponse:
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"errors": [{"message": "Not JSON."}]}, status=400)
    row = BareRow.objects.create(key=request.headers.get("Idempotency-Key", ""), body=body)
    return JsonResponse({"id": row.id}, status=201)
