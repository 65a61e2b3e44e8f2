"""``Idempotency-Key`` on writes: the same key and the same request give the same answer.

Put ``@idempotent`` under a write operation's router decorator. With the header, the first
request's answer (status and body) is stored for 24 hours, per organisation; a retry with the
same key and the same request (method, path and JSON body) gets that answer again, marked
``Idempotent-Replayed: true``, and nothing is written twice. The same key with a different
request is refused (422). Only successful answers are kept: after an error the client can
correct the request and send it again with the same key.

The key is claimed inside the transaction of the write itself, so either both the write and
its stored answer are committed, or neither is; two concurrent requests with the same key are
serialised by the unique constraint (PostgreSQL) or the write lock (SQLite).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header
from ninja.decorators import decorate_view

from sightline.api.auth import authenticated_user
from sightline.api.errors import errors_body
from sightline.api.services import idempotency_claim, idempotency_complete

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")

# The header as an operation parameter: documents it in the OpenAPI schema and has ninja
# reject a malformed key. ``idempotent`` reads it from the request itself.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="A unique value (e.g. a UUID) per write. A retry with the same key and "
        "the same request gets the first answer again; nothing is written twice. Kept for "
        "24 hours.",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
    ),
]

F = TypeVar("F", bound=Callable[..., Any])
Run = Callable[..., HttpResponse]


def request_hash(request: HttpRequest, *, user_id: object) -> str:
    """What makes two requests "the same": the API key's user, method, path, query and the
    JSON body, with key order and spacing normalised. With the user in it, a stored answer is
    replayed only to the key that wrote it: another key of the same organisation (which may
    have another role) sending the same ``Idempotency-Key`` is refused, never shown it."""
    body: bytes = request.body
    try:
        canonical = json.dumps(
            json.loads(body or b"null"), sort_keys=True, separators=(",", ":")
        ).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (
        str(user_id),
        request.method or "",
        request.path,
        request.META.get("QUERY_STRING", ""),
    ):
        digest.update(part.encode() + b"\n")
    digest.update(canonical)
    return digest.hexdigest()


def _conflict() -> HttpResponse:
    return JsonResponse(
        errors_body(
            "This Idempotency-Key was used in the last 24 hours for a different request. "
            "Use a new key for a new request.",
            field=HEADER,
        ),
        status=422,
    )


def _replay(status: int, body: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    response[REPLAYED_HEADER] = "true"
    return response


def _run_in_transaction(run: Run, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Run the operation in a transaction that commits only with a successful answer, so that
    an error (even one while writing the answer) leaves nothing behind."""
    with transaction.atomic():
        response = run(request, *args, **kwargs)
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)
        return response


def _run_idempotently(run: Run) -> Run:
    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        user = authenticated_user(request) if key is not None else None
        if (
            key is None
            or user is None
            or user.organisation_id is None
            or not _VALID_KEY.fullmatch(key)
        ):
            # No key; or no valid API key (ninja answers 401); or a malformed key (422).
            return _run_in_transaction(run, request, *args, **kwargs)
        fingerprint = request_hash(request, user_id=user.pk)
        with transaction.atomic():
            record, new = idempotency_claim(
                organisation_id=user.organisation_id,
                key=key,
                method=request.method or "",
                path=request.path,
                request_hash=fingerprint,
            )
            if new:
                response = run(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    idempotency_complete(
                        record=record,
                        status=response.status_code,
                        body=response.content.decode(),
                    )
                else:
                    # Undo the claim, and anything the failed write left behind.
                    transaction.set_rollback(True)
                return response
        if record.request_hash != fingerprint:
            return _conflict()
        if record.response_status is None:  # pragma: no cover - claimed rows commit answered
            return JsonResponse(
                errors_body("A request with this Idempotency-Key is still being processed."),
                status=409,
            )
        return _replay(record.response_status, record.response_body)

    return wrapper


def idempotent(func: F) -> F:
    """Honour ``Idempotency-Key`` on this write operation (see the module docstring), and run
    it in one transaction that commits only with a successful answer."""
    func.sightline_idempotent = True  # type: ignore[attr-defined]
    return decorate_view(_run_idempotently)(func)
