"""Return home interviews: ``GET /return-interviews`` (those the organisation holds as
interviewing service), ``GET /return-interviews/{id}``, and recording one's progress: ``POST
.../offer``, ``.../accept``, ``.../decline``, ``.../complete`` and ``.../information``.

The same services as the web pages (``missing.services.interviews``): reading one is the
policy's ``VIEW_INTERVIEW`` (never through emergency access: it opens the record, not what the
child said); recording its progress is ``RECORD_INTERVIEW`` and only for the interviewing
service or the placing council; adding what a carer or agency knows is
``ADD_INTERVIEW_INFORMATION``. Anyone else gets 404.
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Action, Rule, declare
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, Moment, Paged, choice
from sightline.api.selectors import interview_for_api, interviews_for_api
from sightline.missing.access import InterviewAccess
from sightline.missing.models import InterviewInformation, InterviewStatus, ReturnInterview
from sightline.missing.services import (
    PersonInput,
    PlaceInput,
    interview_accept,
    interview_add_information,
    interview_complete,
    interview_decline,
    interview_offer,
)

router = Router(tags=["Return interviews"])

if TYPE_CHECKING:
    Status: TypeAlias = str
else:
    Status = choice(InterviewStatus.values)
TEXT = 10_000
_RECORD = "Record a return home interview"


class InterviewChildOut(Schema):
    id: uuid.UUID
    child_ref: str
    first_name: str
    last_name: str


class InterviewSummaryOut(Schema):
    """An interview in a list: what to do and by when, not what was said."""

    id: uuid.UUID
    child: InterviewChildOut
    status: str = Field(description="to_offer, offered, accepted, declined or completed.")
    due_at: dt.datetime = Field(description="72 hours after the return.")
    service_name: str = Field(description="The interviewing service.")
    episode_ids: list[uuid.UUID] = Field(description="The episodes the interview covers.")

    @staticmethod
    def resolve_service_name(obj: ReturnInterview) -> str:
        return obj.service.name

    @staticmethod
    def resolve_episode_ids(obj: ReturnInterview) -> list[uuid.UUID]:
        return [e.id for e in obj.episodes.all()]


class PersonOut(Schema):
    description: str
    relationship: str
    approximate_age: str
    notes: str


class PlaceOut(Schema):
    description: str
    postcode: str
    notes: str


class InformationOut(Schema):
    id: uuid.UUID
    text: str
    supplied_by: str
    recorded_at: dt.datetime
    recorded_by_organisation: str | None

    @staticmethod
    def resolve_recorded_by_organisation(obj: InterviewInformation) -> str | None:
        org = obj.recorded_by_organisation
        return org.name if org else None


class InterviewOut(InterviewSummaryOut):
    offered_at: dt.datetime | None
    accepted_at: dt.datetime | None
    declined_at: dt.datetime | None
    declined_reason: str
    completed_at: dt.datetime | None
    interviewer_name: str
    interviewer_organisation: str | None
    independent: bool | None
    not_independent_reason: str
    push_factors: str
    pull_factors: str
    harm: str
    where_and_with_whom: str
    disclosures: str
    child_words: str = Field(description="The child's own words.")
    follow_up_actions: str
    people: list[PersonOut]
    places: list[PlaceOut]
    information: list[InformationOut] = Field(
        description="What carers and agencies added, oldest first."
    )

    @staticmethod
    def resolve_interviewer_organisation(obj: ReturnInterview) -> str | None:
        org = obj.interviewer_organisation
        return org.name if org else None

    @staticmethod
    def resolve_people(obj: ReturnInterview) -> list[Any]:
        return list(obj.people.all())

    @staticmethod
    def resolve_places(obj: ReturnInterview) -> list[Any]:
        return list(obj.places.all())

    @staticmethod
    def resolve_information(obj: ReturnInterview) -> list[Any]:
        return list(obj.information.all())


class InterviewQuery(Schema):
    status: Status | None = Field(None, description="Only interviews in this status.")


class MoveIn(BodyIn):
    at: Moment | None = Field(None, description="When; now if left out.")


class DeclineIn(MoveIn):
    reason: str = Field("", max_length=TEXT, description="Why the child declined, if known.")


class PersonIn(BodyIn):
    description: str = Field(max_length=200, description="A name or a description.")
    relationship: str = Field("", max_length=100)
    approximate_age: str = Field("", max_length=30)
    notes: str = Field("", max_length=TEXT)


class PlaceIn(BodyIn):
    description: str = Field(max_length=200)
    postcode: str = Field("", max_length=10)
    notes: str = Field("", max_length=TEXT)


class CompleteIn(BodyIn):
    completed_at: Moment = Field(description="When the interview was held.")
    interviewer_name: str = Field(max_length=200, description="Who held the interview.")
    independent: bool = Field(
        description="Held by someone independent of the placement and the placing council."
    )
    not_independent_reason: str = Field(
        "", max_length=TEXT, description="Required when not independent."
    )
    push_factors: str = Field("", max_length=TEXT)
    pull_factors: str = Field("", max_length=TEXT)
    harm: str = Field("", max_length=TEXT)
    where_and_with_whom: str = Field("", max_length=TEXT)
    disclosures: str = Field("", max_length=TEXT)
    child_words: str = Field("", max_length=TEXT, description="The child's own words.")
    follow_up_actions: str = Field("", max_length=TEXT)
    people: list[PersonIn] = Field([], max_length=50)
    places: list[PlaceIn] = Field([], max_length=50)


class InformationIn(BodyIn):
    text: str = Field(max_length=TEXT)
    supplied_by: str = Field(max_length=200, description="Who supplied the information.")


@router.get(
    "/return-interviews",
    response={200: list[InterviewSummaryOut], **READ_ERRORS},
    summary="List the return home interviews your organisation holds",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=lambda interview: interview.child_id)
def list_return_interviews(
    request: HttpRequest, filters: Query[InterviewQuery]
) -> QuerySet[ReturnInterview]:
    """The interviews your organisation holds as interviewing service, soonest due first, of
    children your key may see today. What was said is only in ``GET
    /return-interviews/{interview_id}``."""
    return interviews_for_api(user=acting_user(request), status=filters.status)


@router.get(
    "/return-interviews/{interview_id}",
    response={200: InterviewOut, 404: ErrorsOut, **READ_ERRORS},
    summary="Get one return home interview",
)
@declare_operation(Action.VIEW_INTERVIEW, kind="interview", purpose="Read a return home interview")
def get_return_interview(request: HttpRequest, access: InterviewAccess) -> ReturnInterview:
    """One interview with its findings, through the access policy (the read is on the
    access log). Never through emergency access."""
    return interview_for_api(interview_id=access.interview.id)


@router.post(
    "/return-interviews/{interview_id}/offer",
    response={200: InterviewOut, **WRITE_ERRORS},
    summary="Record that the interview was offered",
)
@declare_operation(Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD)
@idempotent
def offer_return_interview(
    request: HttpRequest,
    access: InterviewAccess,
    payload: MoveIn,
    idempotency_key: IdempotencyKey = None,
) -> ReturnInterview:
    """The interviewing service or the placing council offered the interview to the child."""
    interview_offer(actor=acting_user(request), interview=access.interview, at=payload.at)
    return interview_for_api(interview_id=access.interview.id)


@router.post(
    "/return-interviews/{interview_id}/accept",
    response={200: InterviewOut, **WRITE_ERRORS},
    summary="Record that the child accepted the interview",
)
@declare_operation(Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD)
@idempotent
def accept_return_interview(
    request: HttpRequest,
    access: InterviewAccess,
    payload: MoveIn,
    idempotency_key: IdempotencyKey = None,
) -> ReturnInterview:
    """The child accepted the interview (it is marked offered too, if it was not)."""
    interview_accept(actor=acting_user(request), interview=access.interview, at=payload.at)
    return interview_for_api(interview_id=access.interview.id)


@router.post(
    "/return-interviews/{interview_id}/decline",
    response={200: InterviewOut, **WRITE_ERRORS},
    summary="Record that the child declined the interview",
)
@declare_operation(Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD)
@idempotent
def decline_return_interview(
    request: HttpRequest,
    access: InterviewAccess,
    payload: DeclineIn,
    idempotency_key: IdempotencyKey = None,
) -> ReturnInterview:
    """The refusal is recorded; carers and agencies can still add what they know."""
    interview_decline(
        actor=acting_user(request),
        interview=access.interview,
        reason=payload.reason,
        at=payload.at,
    )
    return interview_for_api(interview_id=access.interview.id)


@router.post(
    "/return-interviews/{interview_id}/complete",
    response={200: InterviewOut, **WRITE_ERRORS},
    summary="Record the interview held and what was found",
)
@declare_operation(Action.RECORD_INTERVIEW, kind="interview", purpose=_RECORD)
@idempotent
def complete_return_interview(
    request: HttpRequest,
    access: InterviewAccess,
    payload: CompleteIn,
    idempotency_key: IdempotencyKey = None,
) -> ReturnInterview:
    """When and by whom it was held, whether independently (if not, why), and what was
    found: push and pull factors, harm, where and with whom (people and places), disclosures,
    the child's own words and follow-up actions. Written once."""
    interview_complete(
        actor=acting_user(request),
        interview=access.interview,
        completed_at=payload.completed_at,
        independent=payload.independent,
        interviewer_name=payload.interviewer_name,
        not_independent_reason=payload.not_independent_reason,
        push_factors=payload.push_factors,
        pull_factors=payload.pull_factors,
        harm=payload.harm,
        where_and_with_whom=payload.where_and_with_whom,
        disclosures=payload.disclosures,
        child_words=payload.child_words,
        follow_up_actions=payload.follow_up_actions,
        people=[PersonInput(**p.model_dump()) for p in payload.people],
        places=[PlaceInput(**p.model_dump()) for p in payload.places],
    )
    return interview_for_api(interview_id=access.interview.id)


@router.post(
    "/return-interviews/{interview_id}/information",
    response={201: InformationOut, **WRITE_ERRORS},
    summary="Add what a carer or an agency knows",
)
@declare_operation(
    Action.ADD_INTERVIEW_INFORMATION,
    kind="interview",
    purpose="Add information to a return interview",
)
@idempotent
def add_return_interview_information(
    request: HttpRequest,
    access: InterviewAccess,
    payload: InformationIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, InterviewInformation]:
    """At any time, even after the child declined the interview."""
    info = interview_add_information(
        actor=acting_user(request),
        interview=access.interview,
        text=payload.text,
        supplied_by=payload.supplied_by,
    )
    return 201, info
