"""List reads on the audit: one chain event per page or API page served, naming its children.

A page that shows several children (the home page's tables, the inbox, missing now, the API's
``GET /children``) is a read of each child's information, as much as opening one child's
record is. Writing one chain event per child would make a page of 100 children 100 locks of
the chain head; writing none (as before) left "who saw this child in a list" unanswerable.
So a list read is one ``children listed`` event (where, page, how many, and the SHA-256 of
the sorted child ids) plus one bulk insert of (event, child) rows, in one transaction: the
chain covers the rows through the digest, and "which list reads named child X" is an indexed
query (ADR 19).

Web views declare themselves with ``lists_children`` and say what they showed with
``children_shown``; the decorator writes the one event when the view has answered. The API's
pagination (``sightline.api.schemas.Paged``) calls ``audit_list_read`` with what the page
actually served.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from sightline.audit.models import AuditEvent, AuditListedChild
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.organisations.models import User

F = TypeVar("F", bound=Callable[..., Any])

_BATCH = 1000


def _uuid(value: Any) -> uuid.UUID:
    value = getattr(value, "pk", value)
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def children_digest(child_ids: Iterable[Any]) -> str:
    """SHA-256 of the distinct child ids, as lower-case hyphenated UUIDs, sorted, one a line.

    The same function checks the rows on verification, so the order rows come back from the
    database in does not matter."""
    ids = sorted({str(_uuid(c)) for c in child_ids})
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


def _named(
    *,
    verb: AuditVerb,
    actor: User | None,
    obj: str,
    child_ids: Iterable[Any],
    payload: dict[str, Any],
    purpose: str,
) -> AuditEvent | None:
    """One chain event of ``verb`` and one bulk insert of the children it names."""
    ids = sorted({_uuid(c) for c in child_ids if c is not None}, key=str)
    if not ids:
        return None
    payload = {**payload, "count": len(ids), "children": children_digest(ids)}
    with transaction.atomic():
        event = audit_append(actor=actor, verb=verb, obj=obj, payload=payload, purpose=purpose)
        AuditListedChild.objects.bulk_create(
            [AuditListedChild(event=event, child_id=c) for c in ids], batch_size=_BATCH
        )
    return event


def audit_list_read(
    *,
    actor: User | None,
    where: str,
    child_ids: Iterable[Any],
    page: int = 1,
    offset: int | None = None,
    limit: int | None = None,
    purpose: str = "",
) -> AuditEvent | None:
    """Record that ``actor`` was shown the children ``child_ids`` by the list ``where`` (a URL
    or API operation name, never a description of a child); a None among ``child_ids`` (a
    notice about no child) is skipped. Returns the event, or None for a page that named no
    child (nothing is written).

    Cost: the chain append's three statements and one bulk insert, whatever the page size.
    """
    payload: dict[str, Any] = {"where": where[:64], "page": page}
    if offset is not None:
        payload["offset"] = offset
    if limit is not None:
        payload["limit"] = limit
    return _named(
        verb=AuditVerb.CHILDREN_LISTED,
        actor=actor,
        obj=where[:64],
        child_ids=child_ids,
        payload=payload,
        purpose=purpose,
    )


def audit_reads(*, user: User, child_ids: Iterable[Any], action: str, purpose: str) -> None:
    """A download or export (a CSV of missing children, an SSDA903 return): one ``children
    exported`` event naming every child in the file, as a list read does; ``action`` names
    the export ("export", "export SSDA903 return"). A national return's 80,000 children are
    one chain append and 80 bulk inserts, not 80,000 chain rows."""
    _named(
        verb=AuditVerb.CHILDREN_EXPORTED,
        actor=user,
        obj=action[:64],
        child_ids=child_ids,
        payload={"export": action[:64]},
        purpose=purpose,
    )


# --- Web views --------------------------------------------------------------------------------

_SHOWN = "_sightline_children_shown"


@dataclass
class _Shown:
    child_ids: list[Any] = field(default_factory=list)
    page: int = 1


def children_shown(request: HttpRequest, child_ids: Iterable[Any], *, page: int = 1) -> None:
    """Say which children the page is about to show (call once per table or panel; a page of
    two tables is one event naming both). ``page`` is the page number of a paginated list.

    Only a view declared with ``lists_children`` may call it: a list that says what it shows
    but is not declared would otherwise record nothing."""
    shown: _Shown | None = getattr(request, _SHOWN, None)
    if shown is None:
        raise RuntimeError("children_shown() in a view not declared with @lists_children")
    shown.child_ids.extend(child_ids)
    shown.page = max(shown.page, page)


def lists_children(*, purpose: str) -> Callable[[F], F]:
    """Declare a web view that shows more than one child's information, and record each page
    it serves: one ``children listed`` event per request naming every child the view passed to
    ``children_shown`` (none when the page showed none, or answered anything but 200).

    ``purpose`` says what the list is for, in the audit's words ("Children missing or away
    now"). ``tests/audit/test_list_reads.py`` walks the URL configuration and fails on a page
    that names children without this declaration."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def listed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            shown = _Shown()
            setattr(request, _SHOWN, shown)
            response: HttpResponse = view(request, *args, **kwargs)
            user = getattr(request, "user", None)
            if shown.child_ids and response.status_code == 200 and isinstance(user, User):
                match = request.resolver_match
                audit_list_read(
                    actor=user,
                    where=match.view_name if match else view.__name__,
                    child_ids=shown.child_ids,
                    page=shown.page,
                    purpose=purpose,
                )
            return response

        listed.sightline_lists_children = purpose  # type: ignore[attr-defined]
        return listed  # type: ignore[return-value]

    return wrap
