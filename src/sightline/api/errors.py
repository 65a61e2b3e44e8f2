"""Every error the API gives has one shape, whatever raised it:

    {"errors": [{"field": "home_postcode", "record": "Child C00001", "message": "..."}]}

``field`` names the input at fault (dotted for nested input: ``child.date_of_birth``) or is
null; ``record`` names the record concerned, where there is one. Not found and not allowed give
the same 404 body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from sightline.core.errors import NotFoundOrNotAllowed, ValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

NOT_FOUND = "Not found. The record does not exist, or your key may not see it."
UNAUTHORISED = "Send a valid API key in the Authorization header: 'Authorization: Bearer <key>'."
SERVER_ERROR = "Sorry, there is a problem with the service. Try again later."
CONFLICT = (
    "Someone else has just recorded the same child or setting. Check the details and try again."
)
# Input sections whose first location part is dropped from a field's name; the body's single
# schema parameter is always called ``payload`` and is dropped too.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_BODY_PARAM = "payload"


class ErrorOut(Schema):
    field: str | None = None
    record: str | None = None
    message: str


class ErrorsOut(Schema):
    errors: list[ErrorOut]


# The error answers every write may give: 400 for a body that is not JSON, 401 without a
# valid key, 404 for a record that is not there or not yours, 409 for a clash with a
# concurrent write, 422 for input that is not valid.
WRITE_ERRORS: dict[int, type[Schema]] = {
    400: ErrorsOut,
    401: ErrorsOut,
    404: ErrorsOut,
    409: ErrorsOut,
    422: ErrorsOut,
}
READ_ERRORS: dict[int, type[Schema]] = {401: ErrorsOut, 422: ErrorsOut}


class ApiError(Exception):
    """An error an API operation raises itself, with its HTTP status."""

    def __init__(self, status: int, message: str, *, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def errors_body(
    message: str, *, field: str | None = None, record: str | None = None
) -> dict[str, Any]:
    return {"errors": [{"field": field, "record": record, "message": message}]}


def field_name(loc: Sequence[Any]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == _BODY_PARAM:
            parts.pop(0)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return name or None


def _plain(error: dict[str, Any]) -> str:
    """Pydantic's message, in a sentence a person can act on."""
    kind = error.get("type", "")
    if kind == "missing":
        return "Enter a value: this field is required."
    if kind in {"uuid_parsing", "uuid_type"}:
        return "Enter an id in UUID form, like 3f2b6a50-8c1d-4f8e-9a4e-0b6c1d2e3f40."
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type"}:
        return "Enter a date in the form YYYY-MM-DD, like 2025-01-06."
    if kind == "extra_forbidden":
        return "Remove this field: the operation does not take it. Check its spelling."
    ctx = error.get("ctx") or {}
    if kind == "string_too_long":
        return f"Enter {ctx.get('max_length')} characters or fewer."
    if kind == "string_too_short":
        return f"Enter at least {ctx.get('min_length')} character(s)."
    message = str(error.get("msg", "Enter a valid value."))
    message = message.removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def validation_errors(errors: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {
        "errors": [
            {"field": field_name(e.get("loc", ())), "record": None, "message": _plain(e)}
            for e in errors
        ]
    }


E = TypeVar("E", bound=Exception)


def _handle(
    api: NinjaAPI, exc_class: type[E], handler: Callable[[HttpRequest, E], HttpResponse]
) -> None:
    # ninja's annotation says a handler may also be given the exception class; it never is.
    api.add_exception_handler(exc_class, handler)  # type: ignore[arg-type]


def install(api: NinjaAPI) -> None:
    """Replace ninja's default error answers with ours."""

    def respond(request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
        response = api.create_response(request, body, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="Sightline API"'
        return response

    def on_service_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(request, errors_body(exc.message, field=exc.field, record=exc.record), 422)

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, validation_errors(exc.errors), 422)

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, errors_body(NOT_FOUND), 404)

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, errors_body(exc.message, field=exc.field), exc.status)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, errors_body(UNAUTHORISED, field="Authorization"), 401)

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        response = respond(request, errors_body("Too many requests. Slow down."), 429)
        if exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 400:
            message = "The request body must be JSON."
        return respond(request, errors_body(message), exc.status_code)

    def on_integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        logger.warning("api integrity error path=%s", request.path)
        return respond(request, errors_body(CONFLICT), 409)

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("api error path=%s", request.path)
        return respond(request, errors_body(SERVER_ERROR), 500)

    _handle(api, ValidationError, on_service_validation)
    _handle(api, NinjaValidationError, on_ninja_validation)
    _handle(api, NotFoundOrNotAllowed, on_not_found)
    _handle(api, Http404, on_not_found)
    _handle(api, ApiError, on_api_error)
    _handle(api, AuthenticationError, on_authentication)
    _handle(api, Throttled, on_throttled)
    _handle(api, HttpError, on_http_error)
    _handle(api, IntegrityError, on_integrity)
    _handle(api, Exception, on_exception)
