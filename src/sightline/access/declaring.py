"""Declaring, and enforcing, the access rule of each view.

``declare(Rule.CHILD, action=..., kind="episode")`` does what it says: before the view runs it
resolves the record the URL names (``episode_id``) through the access function of its kind,
with the declared action, and passes the result in as the view's second argument
(``def episode_detail(request, access: EpisodeAccess)``). "Not there" and "not yours" both
raise ``NotFoundOrNotAllowed`` in the access function, and both become the same "Page not
found" here. A view declared ``Rule.CHILD`` or ``Rule.RECORD`` cannot reach its record any
other way: it never receives the id.

``access`` sits below the domains whose records carry child data (notices, episodes,
interviews, tasks, placements), so it cannot import their access functions. Each app registers
its kinds here from ``AppConfig.ready()`` (``access_kind_register``), as with the break-glass
alert (ADR 7). ``tests/access/test_declarations.py`` walks the URL configuration and fails on
a child view that does not receive a resolved record.
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from sightline.core.errors import NotFoundOrNotAllowed

if TYPE_CHECKING:
    from sightline.access.policy import Action
    from sightline.organisations.models import User

F = TypeVar("F", bound=Callable[..., Any])

# Requests that only read: a look is recorded. Any other request writes, and the service it
# calls appends the one event that says who changed what (``record=False``).
SAFE_METHODS = frozenset({"GET", "HEAD"})


class Rule(enum.StrEnum):
    PUBLIC = "public"  # no sign-in: health check, sign-in page, static help
    SIGNED_IN = "signed in"  # any signed-in user; shows no child data, or only lists filtered
    CHILD = "child"  # one child's data: resolved through its kind's access function
    # One record that may name a child (a notice): resolved through its kind's access
    # function, which shows the child's details only where the policy lets the user see them.
    RECORD = "record"


class Resolve(Protocol):
    """A kind's access function: the record named by ``ident`` for this user and action, or
    ``NotFoundOrNotAllowed`` whether it does not exist or is not the user's to see."""

    def __call__(
        self, user: User, ident: Any, /, *, action: Action, purpose: str, record: bool = True
    ) -> Any: ...


@dataclass(frozen=True)
class Kind:
    name: str
    param: str  # the URL and API path parameter that names one record of the kind
    resolve: Resolve


_kinds: dict[str, Kind] = {}


def access_kind_register(name: str, *, param: str, resolve: Resolve) -> None:
    """Register a kind of record that carries child data (from ``AppConfig.ready()``).
    Registering a name again replaces it."""
    _kinds[name] = Kind(name=name, param=param, resolve=resolve)


def access_kind(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError as exc:  # a kind nobody registered: a programming error, not a 404
        raise LookupError(f"No access function is registered for {name!r}.") from exc


def access_kinds() -> dict[str, Kind]:
    return dict(_kinds)


def access_resolve(
    kind: str, user: Any, ident: Any, *, action: Action, purpose: str, record: bool
) -> Any:
    """Resolve one record of a kind through its access function (see ``Resolve``)."""
    return access_kind(kind).resolve(user, ident, action=action, purpose=purpose, record=record)


Denied = Callable[[HttpRequest, Any], HttpResponse]


def _page_not_found(request: HttpRequest, ident: Any) -> HttpResponse:
    from sightline.core.views import page_not_found

    return page_not_found(request)


def _takes_access(view: Callable[..., Any]) -> bool:
    """Whether the view's second parameter can take the resolved record."""
    try:
        params = list(inspect.signature(view).parameters.values())
    except (TypeError, ValueError):  # pragma: no cover - every routed view has a signature
        return False
    return len(params) >= 2 and params[1].name == "access"


def declare(
    rule: Rule,
    *,
    action: Action | None = None,
    kind: str | None = None,
    purpose: str | None = None,
    denied: Denied | None = None,
) -> Callable[[F], F]:
    """Mark a view with its access rule, and enforce it.

    ``Rule.CHILD`` and ``Rule.RECORD`` name an ``action`` and the ``kind`` of record the URL
    names (``"child"`` by default): the view receives the access function's result as its
    ``access`` argument instead of the id. ``purpose`` goes to the access record of a look.
    ``denied`` answers a record that is absent or not the user's (default: "Page not
    found"). Every routed view must carry a rule (tests check).
    """
    if rule in (Rule.CHILD, Rule.RECORD):
        if action is None:
            raise ValueError("A child view must name its action.")
        kind = kind or "child"
    elif kind is not None:
        raise ValueError("Only a child or record view resolves a kind.")

    def mark(view: F) -> F:
        if kind is None:
            view.sightline_access = (rule, action)  # type: ignore[attr-defined]
            return view
        if not _takes_access(view):
            raise TypeError(f"{view.__name__} must take (request, access, ...): it is declared.")
        assert action is not None
        why = purpose or str(action).capitalize()
        on_denied = denied or _page_not_found

        @functools.wraps(view)
        def resolved(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            ident = kwargs.pop(access_kind(kind).param)
            try:
                access = access_resolve(
                    kind,
                    request.user,
                    ident,
                    action=action,
                    purpose=why,
                    record=request.method in SAFE_METHODS,
                )
            except NotFoundOrNotAllowed:
                return on_denied(request, ident)
            return view(request, access, *args, **kwargs)

        resolved.sightline_access = (rule, action)  # type: ignore[attr-defined]
        resolved.sightline_resolves = kind  # type: ignore[attr-defined]
        return resolved  # type: ignore[return-value]

    return mark
