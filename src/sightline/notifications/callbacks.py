"""POST /callbacks/notify/: GOV.UK Notify's delivery receipts (``receipts.py``).

Notify sends each receipt as JSON with ``Authorization: Bearer <token>``, the token set in
its API integration settings and here as ``NOTIFY_CALLBACK_TOKEN``. The token is compared in
constant time; a request without it, or with a wrong one, is refused 401 and logged (the
reason only, nothing from its body). It is not written to the audit chain: anyone on the
internet can call this address, and one chain row per unauthenticated request would let them
flood the chain. With no token configured the
callback is switched off (404): nothing could tell Notify from anyone else.

The page shows no child's information and signs nobody in (``Rule.PUBLIC``); the bearer
token is its credential. A receipt for no delivery Sightline knows is answered 200 so that
Notify stops retrying it.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sightline.access.policy import Rule, declare
from sightline.notifications import conf
from sightline.notifications.receipts import ReceiptError, notify_receipt_apply

logger = logging.getLogger(__name__)

PROVIDER = "gov.uk-notify"
# A receipt is a few hundred bytes.
MAX_BODY = 16_384


def _refuse(reason: str) -> HttpResponse:
    # Logged, not audited: unauthenticated calls must not grow the audit chain.
    logger.warning("GOV.UK Notify callback refused: %s", reason)
    response = JsonResponse({"error": "Unauthorised"}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="sightline-notify-callback"'
    return response


@declare(Rule.PUBLIC)
@csrf_exempt
@never_cache
@require_POST
def notify_receipt(request: HttpRequest) -> HttpResponse:
    expected = conf.notify_callback_token()
    if not expected:
        return JsonResponse({"error": "Not found"}, status=404)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _refuse("no bearer token")
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return _refuse("wrong bearer token")
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "The receipt is too large"}, status=413)
    try:
        payload = json.loads(request.body)
        outcome = notify_receipt_apply(payload=payload)
    except (ValueError, ReceiptError) as exc:
        # ReceiptError names the field, never its value; a JSON error says where it broke.
        message = str(exc) if isinstance(exc, ReceiptError) else "The body is not JSON"
        logger.warning("GOV.UK Notify callback: unreadable receipt (%s)", message)
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"outcome": str(outcome)})
