"""The child's voice, plan and parents (issue 17): ``/children/{child_id}/statements``,
``/children/{child_id}/plan`` and ``/children/{child_id}/parents``, to read and to add.

Staff only, like the whole API: the parent's view has no API. The same services as the
pages: the language check on professionals' text answers 422 naming the field until the
request confirms the wording (``language_confirmed``); the child's own words are not checked.
Who may do what is the policy's ``VIEW_FAMILY``, ``RECORD_CHILD_VOICE``, ``RECORD_PLAN`` and
``MANAGE_PARENTS``; anyone else gets 404.
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING, TypeAlias

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sightline.access.policy import Action, ChildAccess
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, Moment, choice
from sightline.family.models import (
    ChildStatement,
    ContactPreference,
    Parent,
    PlanVersion,
    Relationship,
    StatementOccasion,
    StatementTopic,
)
from sightline.family.selectors import (
    parents_for_child,
    plan_agencies_chosen,
    plan_versions,
    statements_for_child,
)
from sightline.family.services import child_statement_record, parent_record, plan_version_record

router = Router(tags=["The child's voice, plan and family"])

if TYPE_CHECKING:
    Topic: TypeAlias = str
    Occasion: TypeAlias = str
    RelationshipIn: TypeAlias = str
    PreferenceIn: TypeAlias = str
else:
    Topic = choice(StatementTopic.values)
    Occasion = choice(StatementOccasion.values)
    RelationshipIn = choice(Relationship.values)
    PreferenceIn = choice(ContactPreference.values)
TEXT = 10_000
CONFIRM = (
    "Save professionals' text the appropriate-language checker flags as it is. Without it, "
    "flagged text answers 422 with the suggestion."
)


class StatementIn(BodyIn):
    topic: Topic
    occasion: Occasion
    words: str = Field(max_length=TEXT, description="The child's own words, as said.")
    said_at: Moment = Field(description="When, with its time zone.")
    said_to: str = Field(max_length=200, description="Who the child said it to (a role).")
    context: str = Field("", max_length=TEXT, description="The professional's note.")
    language_confirmed: bool = Field(False, description=CONFIRM)


class StatementOut(Schema):
    id: uuid.UUID
    topic: str
    occasion: str
    words: str
    said_at: dt.datetime
    said_to: str
    context: str
    organisation: str

    @staticmethod
    def resolve_organisation(obj: ChildStatement) -> str:
        return obj.organisation.name


class PlanIn(BodyIn):
    summary: str = Field(max_length=TEXT)
    child_took_part: bool
    child_views: str = Field(
        "", max_length=TEXT, description="What the child said about it; needed if they took part."
    )
    carers_took_part: str = Field("", max_length=500, description="Roles, not names.")
    agency_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="Organisations that took part."
    )
    language_confirmed: bool = Field(False, description=CONFIRM)


class PlanOut(Schema):
    id: uuid.UUID
    version: int
    summary: str
    child_took_part: bool
    child_views: str
    carers_took_part: str
    agencies: list[str]
    created_at: dt.datetime

    @staticmethod
    def resolve_agencies(obj: PlanVersion) -> list[str]:
        return sorted(a.name for a in obj.agencies.all())


class ParentIn(BodyIn):
    name: str = Field(max_length=200)
    relationship: RelationshipIn
    parental_responsibility: bool = False
    contact_preference: PreferenceIn
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    restricted: bool = Field(
        False, description="A risk to the child: never contacted, never shown anything."
    )
    restriction_reason: str = Field("", max_length=TEXT, description="Needed when restricted.")
    language_confirmed: bool = Field(False, description=CONFIRM)


class ParentOut(Schema):
    id: uuid.UUID
    name: str
    relationship: str
    parental_responsibility: bool
    contact_preference: str
    email: str
    phone: str
    restricted: bool


@router.get(
    "/children/{child_id}/statements",
    response={200: list[StatementOut], 404: ErrorsOut, **READ_ERRORS},
    summary="What the child has said, in their own words",
)
@declare_operation(Action.VIEW_FAMILY, kind="child", purpose="Read the child's words")
def list_child_statements(request: HttpRequest, access: ChildAccess) -> list[ChildStatement]:
    """Newest first. The words are the child's, as said."""
    return statements_for_child(access=access)


@router.post(
    "/children/{child_id}/statements",
    response={201: StatementOut, **WRITE_ERRORS},
    summary="Record what the child said",
)
@declare_operation(Action.RECORD_CHILD_VOICE, kind="child", purpose="Record the child's words")
@idempotent
def record_child_statement(
    request: HttpRequest,
    access: ChildAccess,
    payload: StatementIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, ChildStatement]:
    """Keep what the child said, in their own words (not language-checked), with when and to
    whom. The home and the placing and host councils may record it."""
    statement = child_statement_record(
        actor=acting_user(request),
        child=access.child,
        topic=payload.topic,
        occasion=payload.occasion,
        words=payload.words,
        said_at=payload.said_at,
        said_to=payload.said_to,
        context=payload.context,
        language_confirmed=payload.language_confirmed,
        checked=access,
    )
    return 201, statement


@router.get(
    "/children/{child_id}/plan",
    response={200: list[PlanOut], 404: ErrorsOut, **READ_ERRORS},
    summary="Every version of the child's plan",
)
@declare_operation(Action.VIEW_FAMILY, kind="child", purpose="Read the child's plan")
def list_plan_versions(request: HttpRequest, access: ChildAccess) -> list[PlanVersion]:
    """Newest first, each with who took part."""
    return plan_versions(access=access)


@router.post(
    "/children/{child_id}/plan",
    response={201: PlanOut, **WRITE_ERRORS},
    summary="Record a new version of the child's plan",
)
@declare_operation(Action.RECORD_PLAN, kind="child", purpose="Record the child's plan")
@idempotent
def record_plan_version(
    request: HttpRequest,
    access: ChildAccess,
    payload: PlanIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, PlanVersion]:
    """A new version of the plan, with who took part; earlier versions stay. The placing
    council's social workers, team managers and nominated officers may record it."""
    plan = plan_version_record(
        actor=acting_user(request),
        child=access.child,
        summary=payload.summary,
        child_took_part=payload.child_took_part,
        child_views=payload.child_views,
        carers_took_part=payload.carers_took_part,
        agencies=plan_agencies_chosen(access=access, ids=payload.agency_ids),
        language_confirmed=payload.language_confirmed,
        checked=access,
    )
    return 201, plan


@router.get(
    "/children/{child_id}/parents",
    response={200: list[ParentOut], 404: ErrorsOut, **READ_ERRORS},
    summary="The child's parents and carers",
)
@declare_operation(Action.VIEW_FAMILY, kind="child", purpose="Read the child's parents")
def list_parents(request: HttpRequest, access: ChildAccess) -> list[Parent]:
    """With how each prefers to be contacted, and whether they are restricted (a risk to the
    child: never contacted, never shown anything)."""
    return parents_for_child(access=access)


@router.post(
    "/children/{child_id}/parents",
    response={201: ParentOut, **WRITE_ERRORS},
    summary="Record a parent or carer",
)
@declare_operation(Action.MANAGE_PARENTS, kind="child", purpose="Record a parent or carer")
@idempotent
def record_parent(
    request: HttpRequest,
    access: ChildAccess,
    payload: ParentIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, Parent]:
    """Record a parent or carer: relationship, contact preference and any restriction (which
    needs a reason). The placing council's social work may record them."""
    parent = parent_record(
        actor=acting_user(request),
        child=access.child,
        name=payload.name,
        relationship=payload.relationship,
        parental_responsibility=payload.parental_responsibility,
        contact_preference=payload.contact_preference,
        email=payload.email,
        phone=payload.phone,
        restricted=payload.restricted,
        restriction_reason=payload.restriction_reason,
        language_confirmed=payload.language_confirmed,
        checked=access,
    )
    return 201, parent
