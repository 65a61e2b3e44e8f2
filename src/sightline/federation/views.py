"""The two addresses other deployments call: the key set, and the messages endpoint.

Neither signs anyone in or shows a page (``Rule.PUBLIC``): the key set is public by nature,
and a message's credential is its HTTP Message Signature, verified against keys an operator
pinned (``signing.request_verify``). Refusals are 401 for anything about the signature and
400 for a verified message that cannot be read or taken; "not found" for an acknowledgement
of a notice this deployment did not send to that peer. With federation off both are 404.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from sightline.access.policy import Rule, declare
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.federation import messages
from sightline.federation.keys import published_keys
from sightline.federation.services import (
    acknowledgement_receive,
    notice_receive,
    refusal_record,
)
from sightline.federation.signing import RequestRefused, request_verify

logger = logging.getLogger(__name__)


def _off() -> JsonResponse:
    return JsonResponse({"error": "Not found"}, status=404)


@declare(Rule.PUBLIC)
@never_cache
@require_GET
def federation_keys(request: HttpRequest) -> HttpResponse:
    if not settings.SIGHTLINE_FEDERATION:
        return _off()
    return JsonResponse(published_keys())


@declare(Rule.PUBLIC)
@csrf_exempt
@never_cache
@require_POST
def federation_messages(request: HttpRequest) -> HttpResponse:
    if not settings.SIGHTLINE_FEDERATION:
        return _off()
    if len(request.body) > messages.MAX_BODY:
        return JsonResponse({"error": "The message is too large"}, status=413)
    # The target URI as the sender signed it: this deployment's public address, so that a
    # request signed for another deployment does not verify here.
    url = settings.SIGHTLINE_BASE_URL + request.get_full_path()
    try:
        peer = request_verify(
            method=request.method or "POST", url=url, headers=request.headers, body=request.body
        )
    except RequestRefused as refused:
        refusal_record(peer=refused.peer, reason=refused.reason, detail=refused.detail)
        response = JsonResponse(
            {"error": "Unauthorised", "reason": str(refused.reason)}, status=401
        )
        response["WWW-Authenticate"] = 'Signature realm="sightline-federation"'
        return response
    try:
        message = messages.message_read(request.body)
        if isinstance(message, messages.AcknowledgementIn):
            received = acknowledgement_receive(peer=peer, message=message)
        else:
            received = notice_receive(peer=peer, message=message)
    except (messages.MessageError, ValidationError) as exc:
        refusal_record(peer=peer, reason="unreadable-message", detail=str(exc))
        return JsonResponse({"error": str(exc)}, status=400)
    except NotFoundOrNotAllowed:
        refusal_record(peer=peer, reason="not-sent-to-peer")
        return JsonResponse({"error": "Not found"}, status=404)
    return JsonResponse(
        {"reference": received.notice.reference, "duplicate": not received.first}, status=200
    )
