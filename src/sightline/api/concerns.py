"""The register of concern and the links between children (issue 18 part 2): ``GET``/``POST
/concerns``, ``GET /concerns/{concern_id}``, ``POST /concerns/{concern_id}/shares``,
``POST /concerns/{concern_id}/shares/{share_id}/end``, ``GET``/``POST
/children/{child_id}/concern-links`` and ``GET /children/{child_id}/links``.

The same services and selectors as the pages. A person of concern is seen only by its owner
(the police force that recorded it) and the organisations its sharing decisions name; anyone
else gets 404, as for a concern that does not exist. Every look is audited. A linked child the
key may not view comes back as ``child_id: null`` with the panel's message, never its details.
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, TypeAlias

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Action, ChildAccess, Rule, declare
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS, ApiError, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, Paged, choice
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.exploitation.access import ConcernAccess, concerns_search_record
from sightline.exploitation.models import (
    Concern,
    ConcernKind,
    ConcernLink,
    ConcernShare,
    LinkSource,
)
from sightline.exploitation.selectors import (
    REDACTED_CHILD,
    LinkedChild,
    child_links_for,
    concern_children,
    concern_links_for_child,
    concerns_search,
    concerns_visible_to,
)
from sightline.exploitation.services import (
    ConcernInput,
    concern_link,
    concern_record,
    concern_share,
    concern_share_end,
)
from sightline.organisations.models import Organisation

router = Router(tags=["Register of concern"])

if TYPE_CHECKING:
    ConcernKindIn: TypeAlias = str
    LinkSourceIn: TypeAlias = str
else:
    ConcernKindIn = choice(ConcernKind.values)
    LinkSourceIn = choice(LinkSource.values)
TEXT = 10_000


class ConcernIn(BodyIn):
    kind: ConcernKindIn = Field(description="person (police only), place, vehicle or phone.")
    label: str = Field(max_length=200, description="A name or description.")
    details: str = Field("", max_length=TEXT)
    postcode: str = Field("", max_length=10, description="A place's postcode.")
    registration: str = Field("", max_length=12, description="A vehicle's registration.")
    make: str = Field("", max_length=60)
    colour: str = Field("", max_length=30)
    number: str = Field("", max_length=20, description="A UK phone number.")


class ConcernOut(Schema):
    id: uuid.UUID
    kind: str
    label: str
    details: str
    postcode: str
    registration: str
    make: str
    colour: str
    number: str
    owner: str = Field(description="The organisation that holds it.")
    recorded_at: dt.datetime

    @staticmethod
    def resolve_owner(obj: Concern) -> str:
        return obj.owner.name


class ConcernChildOut(Schema):
    """A child linked to a concern or to another child, as the key may see it."""

    child_id: uuid.UUID | None = Field(description="Null where the key may not view the child.")
    child_ref: str | None
    name: str | None
    placing_council: str | None
    message: str | None = Field(description="What to do when the child is not shown.")
    detail: str = Field(description="What links them, in plain words.")
    strength: str | None = None
    evidence: list[dict[str, Any]] = Field(
        [], description="Each reason: kind, label, detail and the refs the key may see."
    )


class ConcernDetailOut(ConcernOut):
    children: list[ConcernChildOut]
    may_share: bool = Field(description="Whether the key's organisation decides the sharing.")


class ConcernSearchIn(Schema):
    kind: str = Field("", description="person, place, vehicle or phone; empty for all.")
    q: str = Field("", max_length=100, description="Words, a registration, a number.")


class ConcernShareIn(BodyIn):
    organisation_id: uuid.UUID = Field(description="The council or police force to share with.")
    reason: str = Field(max_length=TEXT, description="Why it is shared.")


class ConcernShareOut(Schema):
    id: uuid.UUID
    concern_id: uuid.UUID
    organisation_id: uuid.UUID
    reason: str
    decided_at: dt.datetime


class ConcernShareEndIn(BodyIn):
    reason: str = Field(max_length=TEXT, description="Why the sharing ends.")


class ConcernShareEndedOut(ConcernShareOut):
    ended_at: dt.datetime
    end_reason: str


class ConcernLinkIn(BodyIn):
    concern_id: uuid.UUID
    source: LinkSourceIn = Field(description="interview, chronology, found or intelligence.")
    source_id: uuid.UUID | None = Field(
        None, description="The interview, chronology entry or episode; none for intelligence."
    )
    summary: str = Field("", max_length=TEXT, description="The intelligence summary.")
    occurred_at: dt.datetime | None = Field(
        None, description="For an intelligence summary: when the child was with it."
    )


class ConcernLinkOut(Schema):
    id: uuid.UUID
    child_id: uuid.UUID
    concern_id: uuid.UUID
    kind: str
    label: str
    source: str
    source_id: uuid.UUID | None
    summary: str
    occurred_at: dt.datetime
    organisation: str

    @staticmethod
    def resolve_kind(obj: ConcernLink) -> str:
        return obj.concern.kind

    @staticmethod
    def resolve_label(obj: ConcernLink) -> str:
        return obj.concern.label

    @staticmethod
    def resolve_organisation(obj: ConcernLink) -> str:
        return obj.organisation.name


def _child_out(row: LinkedChild) -> dict[str, Any]:
    child = row.child
    return {
        "child_id": child.pk if child else None,
        "child_ref": child.child_ref if child else None,
        "name": child.full_name if child else None,
        "placing_council": row.placing_council or None,
        "message": None if child else REDACTED_CHILD,
        "detail": row.detail,
        "strength": row.strength or None,
        "evidence": list(row.evidence),
    }


@router.get(
    "/concerns",
    response={200: list[ConcernOut], **READ_ERRORS},
    summary="Search the register of concern",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=None)
def list_concerns(request: HttpRequest, query: Query[ConcernSearchIn]) -> list[Concern]:
    """What the key's organisation may see of the register (a person of concern only in its
    owner and where shared by decision), by kind and words; empty for a role without the
    register. Each search is an audit event."""
    user = acting_user(request)
    found = concerns_search(user=user, kind=query.kind, query=query.q)
    if found:
        concerns_search_record(
            user=user, kind=query.kind, shown=len(found), purpose="Search through the API"
        )
    return found


@router.post(
    "/concerns",
    response={201: ConcernOut, **WRITE_ERRORS},
    summary="Record a person, place, vehicle or phone number of concern",
)
@declare(Rule.SIGNED_IN)
@idempotent
def create_concern(
    request: HttpRequest, payload: ConcernIn, idempotency_key: IdempotencyKey = None
) -> tuple[int, Concern]:
    """Once each: a vehicle's registration or a phone number already in the register is
    refused (link the child to it). A person of concern: police keys only."""
    concern = concern_record(
        actor=acting_user(request),
        data=ConcernInput(
            kind=payload.kind,
            label=payload.label,
            details=payload.details,
            postcode=payload.postcode,
            registration=payload.registration,
            make=payload.make,
            colour=payload.colour,
            number=payload.number,
        ),
    )
    return 201, concern


@router.get(
    "/concerns/{concern_id}",
    response={200: ConcernDetailOut, 404: ErrorsOut, **READ_ERRORS},
    summary="One concern and the children linked to it",
)
@declare_operation(
    Action.VIEW_CONCERNS, kind="concern", rule=Rule.RECORD, purpose="Read a concern (API)"
)
def get_concern(request: HttpRequest, access: ConcernAccess) -> Concern:
    """The concern and its children: a child the key may not view is ``child_id: null``
    with the panel's message."""
    concern = access.concern
    rows = concern_children(concern=concern, user=acting_user(request))
    concern.children = [_child_out(row) for row in rows]  # type: ignore[attr-defined]
    concern.may_share = access.may_share  # type: ignore[attr-defined]
    return concern


@router.post(
    "/concerns/{concern_id}/shares",
    response={201: ConcernShareOut, **WRITE_ERRORS},
    summary="Share a person of concern with another organisation (the owner's decision)",
)
@declare_operation(
    Action.VIEW_CONCERNS, kind="concern", rule=Rule.RECORD, purpose="Share a concern (API)"
)
@idempotent
def create_concern_share(
    request: HttpRequest,
    access: ConcernAccess,
    payload: ConcernShareIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, Any]:
    """Who (the key's user), why, when (now) and with whom; only the owning force."""
    organisation = Organisation.objects.filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise ApiError(422, "There is no such organisation", field="organisation_id")
    share = concern_share(
        actor=acting_user(request),
        concern=access.concern,
        organisation=organisation,
        reason=payload.reason,
    )
    return 201, share


@router.post(
    "/concerns/{concern_id}/shares/{share_id}/end",
    response={200: ConcernShareEndedOut, **WRITE_ERRORS},
    summary="End a decision to share a person of concern (the owner's decision)",
)
@declare_operation(
    Action.VIEW_CONCERNS, kind="concern", rule=Rule.RECORD, purpose="End sharing a concern (API)"
)
@idempotent
def end_concern_share(
    request: HttpRequest,
    access: ConcernAccess,
    share_id: uuid.UUID,
    payload: ConcernShareEndIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, ConcernShare]:
    """Who (the key's user), why and when (now) are kept with the decision; from then on the
    organisation it named gets 404 for the person. Only the owning force; a decision already
    ended is 422, a share of another concern 404."""
    share = ConcernShare.objects.filter(pk=share_id, concern=access.concern).first()
    if share is None:
        raise NotFoundOrNotAllowed()
    ended = concern_share_end(actor=acting_user(request), share=share, reason=payload.reason)
    return 200, ended


@router.get(
    "/children/{child_id}/concern-links",
    response={200: list[ConcernLinkOut], 404: ErrorsOut, **READ_ERRORS},
    summary="The concerns named with a child",
)
@declare_operation(Action.VIEW_CONCERN_LINKS, kind="child", purpose="Read a child's concerns (API)")
def list_concern_links(request: HttpRequest, access: ChildAccess) -> list[ConcernLink]:
    """Only the concerns the key's organisation may see."""
    return concern_links_for_child(access=access, user=acting_user(request))


@router.post(
    "/children/{child_id}/concern-links",
    response={201: ConcernLinkOut, **WRITE_ERRORS},
    summary="Link a concern to a child",
)
@declare_operation(Action.LINK_CONCERN, kind="child", purpose="Link a concern (API)")
@idempotent
def create_concern_link(
    request: HttpRequest,
    access: ChildAccess,
    payload: ConcernLinkIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, ConcernLink]:
    """From one of the child's interviews, chronology entries or found locations, or an
    intelligence summary."""
    user = acting_user(request)
    concern = concerns_visible_to(user=user).filter(pk=payload.concern_id).first()
    if concern is None:
        raise ApiError(422, "There is no such concern in the register", field="concern_id")
    link = concern_link(
        actor=user,
        child=access.child,
        concern=concern,
        source=payload.source,
        source_id=payload.source_id,
        summary=payload.summary,
        occurred_at=payload.occurred_at,
        checked=access,
    )
    return 201, link


@router.get(
    "/children/{child_id}/links",
    response={200: list[ConcernChildOut], 404: ErrorsOut, **READ_ERRORS},
    summary="The children computed as linked to a child",
)
@declare_operation(Action.VIEW_CONCERN_LINKS, kind="child", purpose="Read a child's links (API)")
def list_child_links(request: HttpRequest, access: ChildAccess) -> list[dict[str, Any]]:
    """Strongest first, each with why; a child the key may not view is ``child_id: null``
    with the panel's message, never its details."""
    return [_child_out(row) for row in child_links_for(access=access, user=acting_user(request))]
