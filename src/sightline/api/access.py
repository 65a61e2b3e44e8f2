"""The API's ``declare``: an operation about one record resolves it through its kind's access
function and receives the result, as a view does (``access.declaring``).

    @router.get("/missing-episodes/{episode_id}", ...)
    @declare_operation(Action.VIEW_EPISODE, kind="episode", purpose="Read an episode")
    def get_episode(request, access: EpisodeAccess) -> ...

The path parameter (``episode_id``) stays in the OpenAPI schema: the decorator shows ninja the
operation's signature with the id in place of ``access``. An operation whose record is named
in its body (``POST /missing-episodes`` names the child) gives ``body="child_id"``. A record
that does not exist or is not the key's raises ``NotFoundOrNotAllowed``, which the API answers
with its one 404 (``api.errors``), or ``not_found`` when the operation says which field.
Reads are recorded as looks; writes are not (the service appends the write's own event).
"""

from __future__ import annotations

import functools
import inspect
import typing
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest

from sightline.access.declaring import SAFE_METHODS, Rule, access_kind, access_resolve
from sightline.access.policy import Action
from sightline.api.auth import acting_user
from sightline.api.errors import ApiError
from sightline.core.errors import NotFoundOrNotAllowed

F = TypeVar("F", bound=Callable[..., Any])


def _signature(func: Callable[..., Any], *, param: str | None) -> inspect.Signature:
    """The signature ninja reads: ``access`` replaced by the path parameter (or dropped when
    the record is named in the body), with every annotation resolved."""
    hints = typing.get_type_hints(func, include_extras=True)
    params = []
    for p in inspect.signature(func).parameters.values():
        if p.name == "access":
            if param is not None:
                params.append(
                    inspect.Parameter(
                        param, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=uuid.UUID
                    )
                )
            continue
        params.append(p.replace(annotation=hints.get(p.name, p.annotation)))
    return inspect.Signature(params, return_annotation=hints.get("return", inspect.Signature.empty))


def declare_operation(
    action: Action,
    *,
    kind: str = "child",
    purpose: str,
    body: str | None = None,
    not_found: str | None = None,
    rule: Rule = Rule.CHILD,
) -> Callable[[F], F]:
    """Declare an operation about one record and enforce it: the function takes
    ``(request, access, ...)`` and receives what the kind's access function returned."""

    def mark(func: F) -> F:
        params = list(inspect.signature(func).parameters)
        if len(params) < 2 or params[1] != "access":
            raise TypeError(f"{func.__name__} must take (request, access, ...): it is declared.")

        @functools.wraps(func)
        def resolved(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            path_param = access_kind(kind).param  # "<kind>_id", as the signature says
            if body is None:
                ident = kwargs.pop(path_param)
                field = path_param
            else:
                ident = getattr(kwargs["payload"], body)
                field = body
            try:
                access = access_resolve(
                    kind,
                    acting_user(request),
                    ident,
                    action=action,
                    purpose=_purpose(kwargs, purpose),
                    record=request.method in SAFE_METHODS,
                )
            except NotFoundOrNotAllowed as exc:
                if not_found is None:
                    raise
                raise ApiError(404, not_found, field=field) from exc
            return func(request, access, *args, **kwargs)

        resolved.__signature__ = _signature(  # type: ignore[attr-defined]
            func, param=None if body is not None else f"{kind}_id"
        )
        resolved.sightline_access = (rule, action)  # type: ignore[attr-defined]
        resolved.sightline_resolves = kind  # type: ignore[attr-defined]
        return resolved  # type: ignore[return-value]

    return mark


def _purpose(kwargs: dict[str, Any], default: str) -> str:
    """The caller's own ``purpose`` (``GET /children/{id}?purpose=``) where the operation
    takes one; else the operation's."""
    query = kwargs.get("query")
    given = getattr(query, "purpose", None)
    return str(given) if given else default
