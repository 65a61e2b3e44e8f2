"""Missing and away episodes: ``GET /missing-episodes`` and ``GET /missing-episodes/{id}``,
``POST /missing-episodes`` (report), ``POST /missing-episodes/{id}/updates``, ``POST
/missing-episodes/{id}/close`` and ``GET /missing-now``.

The same services as the web pages: a report alerts the placing council, the host council and
the police of the area through the notice engine, and opens the police's time-boxed grant to the
safety profile; closing sends "child safe" alerts and creates the return home interview. Who
may record is the access policy's ``RECORD_EPISODE`` rule; anyone else gets 404.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Action, ChildAccess, Rule, declare
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, CouncilOut, Moment, Paged, PoliceForceOut, choice
from sightline.api.selectors import (
    episode_for_api,
    episode_reported_for_api,
    episode_update_for_api,
    episodes_for_api,
    missing_now_for_api,
    police_force_by_code,
)
from sightline.core.errors import ValidationError
from sightline.core.timeutil import now
from sightline.geography.selectors import council_by_code
from sightline.missing.access import EpisodeAccess
from sightline.missing.models import (
    Episode,
    EpisodeKind,
    EpisodeUpdate,
    FoundBy,
    RiskGrade,
    UpdateKind,
)
from sightline.missing.selectors import episode_risk_changes
from sightline.missing.services import episode_close, episode_report, episode_update

router = Router(tags=["Missing episodes"])

if TYPE_CHECKING:
    Kind: TypeAlias = str
    UpdateKindIn: TypeAlias = str
    FoundByIn: TypeAlias = str
else:
    Kind = choice(EpisodeKind.values)
    UpdateKindIn = choice(UpdateKind.values)
    FoundByIn = choice(FoundBy.values)
TEXT = 10_000


class EpisodeReportIn(BodyIn):
    child_id: uuid.UUID
    kind: Kind = Field(
        description="missing: whereabouts not known; away: known, but not "
        "where the child should be."
    )
    last_seen_at: Moment = Field(description="With its time zone, e.g. 2026-01-05T21:30:00Z.")
    last_seen_place: str = Field(max_length=TEXT)
    clothing: str = Field("", max_length=TEXT)
    circumstances: str = Field("", max_length=TEXT)
    reported_to_police: bool
    police_reference: str = Field("", max_length=50)
    risk_grade: str | None = Field(
        None, max_length=20, description="A code from the police risk-grade list in force."
    )
    risk_grade_supplied_by: str = Field("", max_length=200)


class EpisodeUpdateIn(BodyIn):
    kind: UpdateKindIn
    text: str = Field("", max_length=TEXT)
    risk_grade: str | None = Field(None, max_length=20, description="For a risk_change.")
    supplied_by: str = Field(max_length=200, description="Who supplied the fact.")
    supplied_at: Moment | None = Field(None, description="When; now if left out.")


class EpisodeCloseIn(BodyIn):
    returned_at: Moment = Field(description="When the child was found or returned.")
    where_postcode: str = Field("", max_length=10, description="Where: a postcode...")
    place: str = Field("", max_length=TEXT, description="...or a place.")
    found_council: str | None = Field(
        None, max_length=9, description="With a place: its council's DfE or ONS code, if known."
    )
    found_police_force: str | None = Field(
        None, max_length=9, description="With a place: its police force's code, if known."
    )
    found_by: FoundByIn
    found_by_detail: str = Field("", max_length=200)
    condition: str = Field("", max_length=TEXT, description="The child's condition on return.")


class RiskGradeOut(Schema):
    code: str
    label: str
    list_version: str
    is_high: bool

    @staticmethod
    def resolve_list_version(obj: Any) -> str:
        return obj.list.version


class RiskGradeChangeOut(Schema):
    grade: RiskGradeOut
    at: dt.datetime = Field(description="When it was recorded in Sightline.")
    supplied_by: str = Field(description="Who gave the grade, e.g. a police officer.")
    by_organisation: str | None = Field(description="The organisation that recorded it.")


@dataclass(frozen=True)
class _GradeAt:
    grade: RiskGrade
    at: dt.datetime
    supplied_by: str
    by_organisation: str | None


def _risk_grade_history(episode: Episode) -> list[_GradeAt]:
    """The grade at the report, then each risk change, oldest first. The last is the current
    grade: the one the web shows."""
    history = []
    if episode.risk_grade is not None:
        org = episode.reported_by_organisation
        history.append(
            _GradeAt(
                grade=episode.risk_grade,
                at=episode.reported_at,
                supplied_by=episode.risk_grade_supplied_by,
                by_organisation=org.name if org else None,
            )
        )
    for change in episode_risk_changes(episode=episode):
        if change.risk_grade is None:  # a risk change always carries a grade
            continue
        org = change.recorded_by_organisation
        history.append(
            _GradeAt(
                grade=change.risk_grade,
                at=change.recorded_at,
                supplied_by=change.supplied_by,
                by_organisation=org.name if org else None,
            )
        )
    return history


class _CurrentRiskGrade(Schema):
    """``risk_grade`` means the current grade everywhere, as on the web pages; the grade at
    the report is the first entry of ``risk_grade_history``."""

    risk_grade: RiskGradeOut | None = Field(
        description="The current police risk grade: the latest risk change, else the grade "
        "at the report; null if not graded."
    )
    risk_grade_history: list[RiskGradeChangeOut] = Field(
        description="Every grade recorded, oldest first: the grade at the report, then each "
        "risk change. The last is risk_grade."
    )

    @staticmethod
    def resolve_risk_grade(obj: Episode) -> RiskGrade | None:
        history = _risk_grade_history(obj)
        return history[-1].grade if history else None

    @staticmethod
    def resolve_risk_grade_history(obj: Episode) -> list[_GradeAt]:
        return _risk_grade_history(obj)


class AlertOut(Schema):
    event: str = Field(description="reported or closed.")
    recipient: str
    notice_id: uuid.UUID
    reference: str

    @staticmethod
    def resolve_recipient(obj: Any) -> str:
        return obj.recipient.name

    @staticmethod
    def resolve_reference(obj: Any) -> str:
        return obj.notice.reference


class EpisodeChildOut(Schema):
    id: uuid.UUID
    child_ref: str
    first_name: str
    last_name: str


class EpisodeOut(_CurrentRiskGrade):
    id: uuid.UUID
    child: EpisodeChildOut
    kind: str
    missing_code: str = Field(description="SSDA903 MISSING: M or A.")
    last_seen_at: dt.datetime
    last_seen_place: str
    reported_to_police: bool
    police_reference: str
    police_alerted: bool
    reported_at: dt.datetime
    setting_name: str
    placing_council: CouncilOut
    host_council: CouncilOut
    host_police_force: PoliceForceOut
    mis_start: dt.date = Field(description="SSDA903 MIS_START.")
    mis_end: dt.date | None = Field(description="SSDA903 MIS_END.")
    returned_at: dt.datetime | None
    found_postcode: str
    found_place: str
    found_outside_host_area: bool | None
    found_in_other_force_area: bool | None
    found_by: str
    condition: str
    alerts: list[AlertOut] = Field(description="Alerts sent through the notice engine.")

    @staticmethod
    def resolve_setting_name(obj: Episode) -> str:
        return obj.setting.name

    @staticmethod
    def resolve_alerts(obj: Episode) -> list[Any]:
        return list(obj.notice_links.all())


class EpisodeUpdateOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    kind: str
    text: str
    risk_grade: RiskGradeOut | None = Field(
        description="For a risk_change: the grade this update recorded (the episode's "
        "current grade until another risk change); null for other kinds."
    )
    supplied_by: str
    supplied_at: dt.datetime
    recorded_at: dt.datetime


class MissingNowOut(_CurrentRiskGrade):
    id: uuid.UUID
    child: EpisodeChildOut
    kind: str
    last_seen_at: dt.datetime
    last_seen_place: str
    hours_missing: float
    setting_name: str
    placing_council: CouncilOut
    host_council: CouncilOut
    host_police_force: PoliceForceOut

    @staticmethod
    def resolve_setting_name(obj: Episode) -> str:
        return obj.setting.name

    @staticmethod
    def resolve_hours_missing(obj: Episode) -> float:
        return round((now() - obj.last_seen_at).total_seconds() / 3600, 1)


class EpisodeQuery(Schema):
    open: bool | None = Field(
        None, description="true: open episodes only; false: closed (returned) only."
    )


@router.get(
    "/missing-episodes",
    response={200: list[EpisodeOut], **READ_ERRORS},
    summary="List the missing and away episodes your organisation sees",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=lambda episode: episode.child_id)
def list_missing_episodes(request: HttpRequest, filters: Query[EpisodeQuery]) -> QuerySet[Episode]:
    """Episodes open and closed, newest first, as your organisation sees them (as ``GET
    /missing-now``): a council, the children it placed and those missing from settings in its
    area; a police force, those from settings in its area it was alerted about; a provider,
    those from its settings. Only children your key may see today."""
    return episodes_for_api(user=acting_user(request), open_only=filters.open)


@router.get(
    "/missing-episodes/{episode_id}",
    response={200: EpisodeOut, **READ_ERRORS, 404: ErrorsOut},
    summary="Get one missing or away episode",
)
@declare_operation(
    Action.VIEW_EPISODE, kind="episode", purpose="Read a missing episode through the API"
)
def get_missing_episode(request: HttpRequest, access: EpisodeAccess) -> Episode:
    """One episode with its alerts and risk grades, through the access policy (the read is
    on the access log)."""
    return episode_for_api(episode_id=access.episode.id)


@router.post(
    "/missing-episodes",
    response={201: EpisodeOut, **WRITE_ERRORS},
    summary="Report a child missing or away",
)
@declare_operation(
    Action.RECORD_EPISODE,
    kind="child",
    body="child_id",
    purpose="Report a missing or away episode",
    not_found="No child with this id that your key may report missing.",
)
@idempotent
def report_missing_episode(
    request: HttpRequest,
    access: ChildAccess,
    payload: EpisodeReportIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, Episode]:
    """Report a child missing or away from their placement. Alerts go at once to the placing
    council, the host council and the police force of the area (for *away*, as each force
    chooses), and the police may read the child's safety profile from now until 72 hours after
    the return. Home staff, the placing council's social workers, the host council's missing
    coordinator and the police of the area may report."""
    episode = episode_report(
        actor=acting_user(request),
        child=access.child,
        kind=payload.kind,
        last_seen_at=payload.last_seen_at,
        last_seen_place=payload.last_seen_place,
        clothing=payload.clothing,
        circumstances=payload.circumstances,
        reported_to_police=payload.reported_to_police,
        police_reference=payload.police_reference,
        risk_grade=payload.risk_grade,
        risk_grade_supplied_by=payload.risk_grade_supplied_by,
        checked=access,
    )
    # Answered from what the service wrote: no second read (issue 13).
    return 201, episode_reported_for_api(episode=episode)


@router.post(
    "/missing-episodes/{episode_id}/updates",
    response={201: EpisodeUpdateOut, **WRITE_ERRORS},
    summary="Add a sighting, a risk change or information to an episode",
)
@declare_operation(
    Action.RECORD_EPISODE, kind="episode", purpose="Add an update to a missing episode"
)
@idempotent
def update_missing_episode(
    request: HttpRequest,
    access: EpisodeAccess,
    payload: EpisodeUpdateIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, EpisodeUpdate]:
    """Append a fact to the episode, with who supplied it and when. Nothing is overwritten.
    Sightings and risk changes only while the episode is open; information at any time."""
    update = episode_update(
        actor=acting_user(request),
        episode=access.episode,
        kind=payload.kind,
        text=payload.text,
        risk_grade=payload.risk_grade,
        supplied_by=payload.supplied_by,
        supplied_at=payload.supplied_at,
    )
    return 201, episode_update_for_api(update_id=update.id)


@router.post(
    "/missing-episodes/{episode_id}/close",
    response={200: EpisodeOut, **WRITE_ERRORS},
    summary="Record the child's return",
)
@declare_operation(
    Action.RECORD_EPISODE, kind="episode", purpose="Record the return from a missing episode"
)
@idempotent
def close_missing_episode(
    request: HttpRequest,
    access: EpisodeAccess,
    payload: EpisodeCloseIn,
    idempotency_key: IdempotencyKey = None,
) -> Episode:
    """Record when, where and by whom the child was found or returned, and their condition.
    Sends "child safe" alerts to everyone alerted, ends the police grant 72 hours after the
    return, and creates the return home interview, due 72 hours after the return."""
    episode = access.episode
    found_council = found_force = None
    if payload.found_council:
        try:
            found_council = council_by_code(code=payload.found_council)
        except ValidationError as exc:
            raise ValidationError(exc.message, field="found_council") from exc
    if payload.found_police_force:
        found_force = police_force_by_code(
            code=payload.found_police_force, field="found_police_force"
        )
    closed = episode_close(
        actor=acting_user(request),
        episode=episode,
        returned_at=payload.returned_at,
        where_postcode=payload.where_postcode,
        place=payload.place,
        found_by=payload.found_by,
        found_by_detail=payload.found_by_detail,
        condition=payload.condition,
        found_council=found_council,
        found_police_force=found_force,
    )
    return episode_for_api(episode_id=closed.id)


@router.get(
    "/missing-now",
    response={200: list[MissingNowOut], **READ_ERRORS},
    summary="Children missing or away now",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=lambda episode: episode.child_id)
def list_missing_now(request: HttpRequest) -> QuerySet[Episode]:
    """Open episodes, longest first, as your organisation sees them: a council, the children it
    placed and those missing from settings in its area; a police force, those missing from
    settings in its area; a provider, those missing from its settings."""
    return missing_now_for_api(user=acting_user(request))
