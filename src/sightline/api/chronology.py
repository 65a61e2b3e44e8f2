"""A child's one chronology (issue 17): ``GET /children/{child_id}/chronology``, ``POST
/children/{child_id}/chronology`` (add an entry) and ``POST
/chronology-entries/{chronology_entry_id}/supersede`` (correct one).

The same selectors and services as the web pages. Reading is an audited read of the child
(the look ``declare_operation`` records); an entry marked for named organisations shows the
others only that it exists, when, its source agency and whom to ask (``text`` null). There is
no operation to change or delete an entry: the chronology is append-only.
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, TypeAlias

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from sightline.access.policy import Action, ChildAccess
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, Day, Moment, choice
from sightline.chronology.access import EntryAccess
from sightline.chronology.models import ChronologyEntry, EntryType, Significance
from sightline.chronology.selectors import (
    ChronologyFilter,
    Row,
    chronology_filtered,
    chronology_rows,
)
from sightline.chronology.services import (
    TEXT_MAX,
    chronology_entry_add,
    chronology_entry_supersede,
)

router = Router(tags=["Chronology"])

if TYPE_CHECKING:
    EntryTypeIn: TypeAlias = str
    SignificanceIn: TypeAlias = str
else:
    EntryTypeIn = choice(EntryType.values)
    SignificanceIn = choice(Significance.values)
MAX_AUDIENCE = 20
MAX_PAGE = 500


class EntryIn(BodyIn):
    entry_type: EntryTypeIn
    significance: SignificanceIn
    occurred_at: Moment = Field(description="When the event happened, with its time zone.")
    text: str = Field(max_length=TEXT_MAX, description="What happened.")
    restricted: bool = Field(
        False, description="Only your organisation and those in visible_to read the text."
    )
    visible_to: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_AUDIENCE,
        description="With restricted: the organisations (involved with the child) that may "
        "read the text.",
    )
    language_confirmed: bool = Field(
        False,
        description="The appropriate-language checker refuses flagged wording (422, with the "
        "suggestion) unless this is true: you have read the suggestions and keep the wording.",
    )


class EntryOut(Schema):
    id: uuid.UUID
    child_id: uuid.UUID
    entry_type: str
    significance: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    organisation_id: uuid.UUID
    organisation_name: str
    author: str
    text: str
    restricted: bool
    visible_to: list[uuid.UUID]
    supersedes_id: uuid.UUID | None

    @staticmethod
    def resolve_organisation_name(obj: ChronologyEntry) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_author(obj: ChronologyEntry) -> str:
        return obj.author.get_full_name() or obj.author.username

    @staticmethod
    def resolve_visible_to(obj: ChronologyEntry) -> list[uuid.UUID]:
        return sorted(o.pk for o in obj.visible_to.all())


class RowOut(Schema):
    occurred_at: dt.datetime
    kind: str = Field(description="An entry type, or an automatic kind: placement, notice...")
    kind_label: str
    significance: str
    automatic: bool = Field(description="Added by Sightline from another record.")
    organisation_id: uuid.UUID | None = Field(description="The source agency.")
    organisation_name: str
    text: str | None = Field(
        description="Null when the entry is for named organisations only and yours is not one."
    )
    ask: str = Field(description="For an entry you may not read: whom to ask.")
    entry_id: uuid.UUID | None
    author: str
    recorded_at: dt.datetime | None
    restricted: bool
    supersedes_id: uuid.UUID | None
    superseded_by_id: uuid.UUID | None


class ChronologyOut(Schema):
    count: int
    items: list[RowOut]


class ChronologyQuery(Schema):
    since: Day | None = Field(None, description="From this day (London), included.")
    until: Day | None = Field(None, description="To this day (London), included.")
    kind: str | None = Field(None, max_length=40, description="Only this kind.")
    significance: SignificanceIn | None = None
    agency: uuid.UUID | None = Field(None, description="Only this source agency.")
    limit: int = Field(100, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=1_000_000)


def _superseded_by(entry: ChronologyEntry) -> uuid.UUID | None:
    try:
        return entry.superseded_by.pk
    except ChronologyEntry.DoesNotExist:
        return None


def _row(row: Row) -> dict[str, Any]:
    entry = row.entry
    return {
        "occurred_at": row.occurred_at,
        "kind": row.kind,
        "kind_label": row.kind_label,
        "significance": row.significance,
        "automatic": row.automatic,
        "organisation_id": row.organisation_id,
        "organisation_name": row.organisation_name,
        "text": row.text,
        "ask": row.ask,
        "entry_id": entry.pk if entry else None,
        "author": row.author_name,
        "recorded_at": row.recorded_at,
        "restricted": bool(entry and entry.restricted),
        "supersedes_id": entry.supersedes_id if entry else None,
        "superseded_by_id": _superseded_by(entry) if entry else None,
    }


@router.get(
    "/children/{child_id}/chronology",
    response={200: ChronologyOut, 404: ErrorsOut, **READ_ERRORS},
    summary="A child's chronology",
)
@declare_operation(Action.VIEW_CHRONOLOGY, kind="child", purpose="Read the chronology (API)")
def list_chronology(
    request: HttpRequest, access: ChildAccess, query: Query[ChronologyQuery]
) -> dict[str, Any]:
    """Every entry agencies wrote and every automatic one (placements, notices, episodes,
    interviews), oldest first. Each read is recorded in the access log."""
    rows = chronology_filtered(
        chronology_rows(access=access, user=acting_user(request)),
        ChronologyFilter(
            agencies=frozenset({str(query.agency)} if query.agency else ()),
            kinds=frozenset({query.kind} if query.kind else ()),
            significances=frozenset({query.significance} if query.significance else ()),
            since=query.since,
            until=query.until,
        ),
    )
    page = rows[query.offset : query.offset + query.limit]
    return {"count": len(rows), "items": [_row(r) for r in page]}


@router.post(
    "/children/{child_id}/chronology",
    response={201: EntryOut, **WRITE_ERRORS},
    summary="Add an entry to a child's chronology",
)
@declare_operation(Action.ADD_CHRONOLOGY_ENTRY, kind="child", purpose="Add a chronology entry")
@idempotent
def add_chronology_entry(
    request: HttpRequest,
    access: ChildAccess,
    payload: EntryIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, ChronologyEntry]:
    """Add an entry as your organisation (the source agency). Any agency involved with the
    child may (not through emergency access)."""
    entry = chronology_entry_add(
        actor=acting_user(request),
        child=access.child,
        checked=access,
        **payload.dict(),
    )
    return 201, entry


@router.post(
    "/chronology-entries/{chronology_entry_id}/supersede",
    response={201: EntryOut, **WRITE_ERRORS},
    summary="Correct a chronology entry",
)
@declare_operation(
    Action.ADD_CHRONOLOGY_ENTRY, kind="chronology_entry", purpose="Correct a chronology entry"
)
@idempotent
def supersede_chronology_entry(
    request: HttpRequest,
    access: EntryAccess,
    payload: EntryIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, ChronologyEntry]:
    """A new entry that supersedes an earlier one: both stay, linked. Only the agency that
    wrote the entry may correct it, and only once (correct the latest correction)."""
    entry = chronology_entry_supersede(
        actor=acting_user(request), entry=access.entry, checked=access, **payload.dict()
    )
    return 201, entry
