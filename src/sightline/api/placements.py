"""``POST /placements``: record a placement, as the web form "Record a placement" does;
``POST /placement-checks``: the matching check alone (ADR 51, ADR 58); ``POST
/placement-declines``: the decision not to go ahead, with its reasons.

The child is one already on Sightline (``child_id``) or a new child of the key's council (the
``first_name``... fields); the setting is one already on Sightline (``setting_id``) or a new
one (the ``setting_...`` fields). The operation only turns the body into the arguments of
``placements.services.placement_record_for``, the use case the web form calls too: it checks
the access policy and the rules and writes child, setting, placement and notices together or
not at all. The check and the decline call ``placement_proposal_check`` and
``placement_decline_for``, the services the web page's check and "do not go ahead" call.
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sightline.access.policy import Action, Rule, declare
from sightline.api.auth import acting_user
from sightline.api.errors import WRITE_ERRORS, ApiError, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, CouncilOut, Day, PoliceForceOut, as_float, choice
from sightline.api.selectors import placement_for_api, provider_for_setting, setting_for_placement
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.exploitation.models import PlacementDecision
from sightline.placements.matching import (
    Approval,
    Consultation,
    DecisionInput,
    MatchingCheck,
)
from sightline.placements.models import PLACE_CODES, PROVIDER_CODES, Placement, Sector, Setting
from sightline.placements.notices import placement_notices
from sightline.placements.selectors import user_can_record_placement
from sightline.placements.services import (
    ChildInput,
    SettingInput,
    placement_decline_for,
    placement_proposal_check,
    placement_record_for,
)

router = Router(tags=["Placements"])

if TYPE_CHECKING:
    PlaceType: TypeAlias = str
    PlaceProvider: TypeAlias = str
    SettingSector: TypeAlias = str
else:
    PlaceType = choice(sorted(PLACE_CODES))
    PlaceProvider = choice(["", *sorted(PROVIDER_CODES)])
    SettingSector = choice(Sector.values)

# A postcode or URN typed with spare spaces ("  SK4   2AB ") is tidied by the service before
# it is checked, so the limit here only stops nonsense.
TIDIED_MAX = 20


class DirectorIn(BodyIn):
    name: str = Field(max_length=200, description="Who decided.")
    decided_on: Day | None = None
    outcome: Literal["approved", "not_approved"]


class ConsultationIn(BodyIn):
    with_whom: str = Field(max_length=200, description="Whom you consulted at the host council.")
    on: Day | None = None
    outcome: str = Field(max_length=10_000, description="What the host council said.")


class DecisionIn(BodyIn):
    """The decision after the matching check (ADR 51). Needed when the check finds a warning
    (then ``approver_id``: a team manager or nominated officer of your council, not the key's
    user) or a distant placement (then ``director`` and ``consultation``)."""

    reasons: str = Field("", max_length=10_000)
    approver_id: int | None = Field(None, description="The approving user's id.")
    director: DirectorIn | None = None
    consultation: ConsultationIn | None = None


class ProposedPlacementIn(BodyIn):
    """A proposed placement: the child and the setting, new or already on Sightline."""

    child_id: uuid.UUID | None = Field(
        None, description="A child already on Sightline. Leave out to record a new child."
    )
    child_ref: str = Field("", max_length=10, description="New child: your 903 CHILD id.")
    first_name: str = Field("", max_length=100, description="New child.")
    last_name: str = Field("", max_length=100, description="New child.")
    date_of_birth: Day | None = Field(None, description="New child.")
    sex: Literal["", "M", "F", "U"] = Field("", description="New child: 903 SEX code.")
    ethnicity: str = Field("", max_length=4, description="New child: 903 ETHNIC code.")

    setting_id: uuid.UUID | None = Field(
        None, description="A setting already on Sightline. Leave out to record a new one."
    )
    setting_name: str = Field("", max_length=200, description="New setting.")
    setting_postcode: str = Field(
        "", max_length=TIDIED_MAX, description="New setting. Spaces and case are tidied."
    )
    setting_sector: SettingSector | None = Field(None, description="New setting.")
    setting_urn: str = Field(
        "", max_length=TIDIED_MAX, description="New setting: Ofsted URN. Spaces are tidied."
    )
    setting_registered_places: int | None = Field(None, ge=1, le=999)
    setting_provider_id: uuid.UUID | None = Field(
        None, description="New setting: the provider organisation that runs it."
    )

    start_date: Day
    place_type: PlaceType = Field(description="903 PLACE code.")
    home_postcode: str = Field(
        "",
        max_length=TIDIED_MAX,
        description="The child's home postcode: gives the distance. Spaces and case are tidied.",
    )


class PlacementIn(ProposedPlacementIn):
    place_provider: PlaceProvider = Field("", description="903 PLACE_PROVIDER code.")
    is_emergency: bool = False
    decision: DecisionIn | None = Field(
        None, description="The decision to go ahead after the matching check, with its reasons."
    )


class NoticeSentOut(Schema):
    id: uuid.UUID
    reference: str
    kind: str
    recipient: str

    @staticmethod
    def resolve_recipient(obj: object) -> str:
        return obj.recipient.name  # type: ignore[attr-defined]


class PlacementOut(Schema):
    id: uuid.UUID
    child_id: uuid.UUID
    setting_id: uuid.UUID
    start_date: dt.date
    end_date: dt.date | None
    place_type: str
    place_provider: str
    is_emergency: bool
    host_council: CouncilOut
    host_police_force: PoliceForceOut
    distance_miles: float | None = Field(description="Straight line from the home postcode.")
    distance_km: float | None
    out_of_area: bool = Field(description="Outside the placing council's area.")
    notices: list[NoticeSentOut] = Field(description="Notices this placement sent.")

    @staticmethod
    def resolve_distance_miles(obj: Placement) -> float | None:
        return as_float(obj.distance_miles)

    @staticmethod
    def resolve_distance_km(obj: Placement) -> float | None:
        return as_float(obj.distance_km)

    @staticmethod
    def resolve_notices(obj: Placement) -> list[object]:
        return list(placement_notices(placement=obj).select_related("recipient"))


NOT_YOURS = "No child with this id that your key may record a placement for."
CANNOT_PLACE = "Your key's role cannot record placements."


# The use case names an existing child or setting as the web form does.
API_FIELDS = {
    "child": "child_id",
    "setting": "setting_id",
    "reasons": "decision.reasons",
    "approver": "decision.approver_id",
    "director_name": "decision.director.name",
    "director_decided_on": "decision.director.decided_on",
    "director_outcome": "decision.director.outcome",
    "consulted_with": "decision.consultation.with_whom",
    "consulted_on": "decision.consultation.on",
    "consultation_outcome": "decision.consultation.outcome",
}


def _decision(*, data: PlacementIn) -> DecisionInput | None:
    given = data.decision
    if given is None:
        return None
    return DecisionInput(
        proceed=True,
        reasons=given.reasons,
        approver=given.approver_id,
        director=Approval(
            name=given.director.name,
            decided_on=given.director.decided_on,
            outcome=given.director.outcome,
        )
        if given.director
        else None,
        consultation=Consultation(
            with_whom=given.consultation.with_whom,
            on=given.consultation.on,
            outcome=given.consultation.outcome,
        )
        if given.consultation
        else None,
    )


def _child(*, data: ProposedPlacementIn) -> ChildInput | uuid.UUID:
    new_fields = (data.child_ref, data.first_name, data.last_name, data.date_of_birth, data.sex)
    if data.child_id is not None:
        if any(new_fields):
            raise ValidationError(
                "Give either child_id or the new child's details, not both.", field="child_id"
            )
        return data.child_id
    return ChildInput(
        child_ref=data.child_ref,
        first_name=data.first_name,
        last_name=data.last_name,
        date_of_birth=data.date_of_birth,
        sex=data.sex,
        ethnicity=data.ethnicity,
    )


def _setting(*, data: ProposedPlacementIn) -> SettingInput | Setting:
    if data.setting_id is not None:
        if data.setting_name or data.setting_postcode:
            raise ValidationError(
                "Give either setting_id or the new setting's details, not both.",
                field="setting_id",
            )
        return setting_for_placement(setting_id=data.setting_id)
    if data.setting_sector is None:
        raise ValidationError("Select the setting's sector.", field="setting_sector")
    provider = None
    if data.setting_provider_id is not None:
        provider = provider_for_setting(provider_id=data.setting_provider_id)
    return SettingInput(
        name=data.setting_name,
        postcode=data.setting_postcode,
        sector=data.setting_sector,
        urn=data.setting_urn,
        registered_places=data.setting_registered_places,
        provider=provider,
    )


def _api_error(
    exc: ValidationError | NotFoundOrNotAllowed, fields: dict[str, str]
) -> ValidationError | ApiError:
    """The use case's error as the API says it: a field named as the API names it; a child the
    key may not place, the same 404 as one that does not exist."""
    if isinstance(exc, ValidationError):
        field = fields.get(exc.field or "", exc.field)
        return ValidationError(exc.message, field=field, record=exc.record)
    return ApiError(404, NOT_YOURS, field="child_id")


@router.post(
    "/placements",
    response={201: PlacementOut, 403: ErrorsOut, **WRITE_ERRORS},
    summary="Record a placement",
)
@idempotent
@declare(Rule.SIGNED_IN, action=Action.RECORD_PLACEMENT)
def record_placement(
    request: HttpRequest, payload: PlacementIn, idempotency_key: IdempotencyKey = None
) -> tuple[int, Placement]:
    """Record where a child of your council lives from a date. Answers with the host council
    and police force and the distance from home, derived from the postcodes, and the notices
    sent. The matching check runs first (ADR 51): a distant placement needs ``decision`` with
    the director's approval and the host council's consultation, a warning (children at risk
    of exploitation living there, a hotspot nearby) a named approver. Keys with a placing
    role of a council only (social worker, team manager, nominated officer)."""
    user = acting_user(request)
    if not user_can_record_placement(user=user):
        raise ApiError(403, CANNOT_PLACE)
    try:
        placement = placement_record_for(
            actor=user,
            child=_child(data=payload),
            setting=_setting(data=payload),
            start_date=payload.start_date,
            place_type=payload.place_type,
            place_provider=payload.place_provider,
            home_postcode=payload.home_postcode,
            is_emergency=payload.is_emergency,
            decision=_decision(data=payload),
        )
    except (ValidationError, NotFoundOrNotAllowed) as exc:
        raise _api_error(exc, API_FIELDS) from exc
    return 201, placement_for_api(placement_id=placement.id)


# --- The matching check alone, and the decision not to go ahead (ADR 51, ADR 58) -------------


class PlacementCheckIn(BodyIn):
    child_id: uuid.UUID | None = Field(
        None, description="A child of your council on Sightline. Leave out for a new child."
    )
    setting_id: uuid.UUID | None = Field(
        None, description="A setting already on Sightline. Leave out for a new one."
    )
    setting_postcode: str = Field(
        "",
        max_length=TIDIED_MAX,
        description="A new setting's postcode (without setting_id). Spaces and case are tidied.",
    )
    home_postcode: str = Field(
        "",
        max_length=TIDIED_MAX,
        description="The child's home postcode: gives the distance. Spaces and case are tidied.",
    )
    start_date: Day


class FindingOut(Schema):
    key: str = Field(description="distance, area, missing, co_location or hotspots.")
    label: str
    value: str = Field(description="What was found, in words (never who the other children are).")
    warning: bool


class DecisionNeedsOut(Schema):
    """What ``decision`` in ``POST /placements`` must carry to go ahead."""

    reasons: bool = Field(description="Reasons: there is a warning or the placement is distant.")
    approver: bool = Field(description="approver_id: a warning needs a named senior officer.")
    director: bool = Field(description="director: a distant placement needs their approval.")
    consultation: bool = Field(
        description="consultation: a distant placement needs the host council consulted."
    )


class PlacementCheckOut(Schema):
    findings: list[FindingOut]
    warnings: list[str] = Field(description="The warnings, as the web page shows them.")
    warning_count: int
    distant: bool = Field(description="Out of area and not in a council adjoining yours.")
    decision_needs: DecisionNeedsOut


class PlacementDeclineIn(ProposedPlacementIn):
    reasons: str = Field(max_length=10_000, description="Why the placement will not go ahead.")


class PlacementDecisionOut(Schema):
    id: uuid.UUID
    child_id: uuid.UUID
    setting_id: uuid.UUID
    proceed: bool
    reasons: str
    proposed_start: dt.date
    findings: list[FindingOut] = Field(description="The matching check as it was when decided.")
    warnings: list[str]
    warning_count: int
    distant: bool
    recorded_at: dt.datetime

    @staticmethod
    def resolve_findings(obj: PlacementDecision) -> list[dict[str, object]]:
        return list(obj.findings.get("findings", []))

    @staticmethod
    def resolve_warnings(obj: PlacementDecision) -> list[str]:
        return list(obj.findings.get("warnings", []))

    @staticmethod
    def resolve_warning_count(obj: PlacementDecision) -> int:
        return obj.warnings


# Nothing to check against (no package fills the matching hook in): nothing found.
NOTHING_FOUND = MatchingCheck(findings=(), warnings=(), distant=False)


def _check_answer(check: MatchingCheck) -> dict[str, object]:
    needs = check.needs
    return {
        "findings": [
            {"key": f.key, "label": f.label, "value": f.value, "warning": f.warning}
            for f in check.findings
        ],
        "warnings": list(check.warnings),
        "warning_count": len(check.warnings),
        "distant": check.distant,
        "decision_needs": {
            "reasons": needs.reasons,
            "approver": needs.approver,
            "director": needs.director,
            "consultation": needs.consultation,
        },
    }


@router.post(
    "/placement-checks",
    response={200: PlacementCheckOut, 403: ErrorsOut, **WRITE_ERRORS},
    summary="The matching check of a proposed placement",
)
@idempotent
@declare(Rule.SIGNED_IN, action=Action.RECORD_PLACEMENT)
def check_placement(
    request: HttpRequest, payload: PlacementCheckIn, idempotency_key: IdempotencyKey = None
) -> tuple[int, dict[str, object]]:
    """The matching check (ADR 51) before a placement is recorded, the same the web page shows
    and ``POST /placements`` applies: the distance from home, where the home is (distant: out
    of area and not in an adjoining council), the home's missing history against England's
    rate, and warnings when children assessed at moderate or significant risk of exploitation
    live there (never who) or the home is near a hotspot. Says what ``decision`` must then
    carry. Writes nothing but the access record of the look at the child. Keys with a placing
    role of a council only; ``child_id`` a child of your council, or left out for a new one."""
    user = acting_user(request)
    if not user_can_record_placement(user=user):
        raise ApiError(403, CANNOT_PLACE)
    if payload.setting_id is not None and payload.setting_postcode.strip():
        raise ValidationError(
            "Give either setting_id or a new setting's postcode, not both.", field="setting_id"
        )
    if payload.setting_id is None and not payload.setting_postcode.strip():
        raise ValidationError(
            "Give setting_id, or setting_postcode for a setting not yet on Sightline.",
            field="setting_id",
        )
    setting: Setting | str = (
        setting_for_placement(setting_id=payload.setting_id)
        if payload.setting_id is not None
        else payload.setting_postcode
    )
    try:
        check = placement_proposal_check(
            actor=user,
            child=payload.child_id,
            setting=setting,
            home_postcode=payload.home_postcode,
            start_date=payload.start_date,
        )
    except NotFoundOrNotAllowed as exc:
        raise ApiError(404, NOT_YOURS, field="child_id") from exc
    return 200, _check_answer(check or NOTHING_FOUND)


# The decline's answers are named at the top of its body.
DECLINE_FIELDS = {"child": "child_id", "setting": "setting_id"}


@router.post(
    "/placement-declines",
    response={201: PlacementDecisionOut, 403: ErrorsOut, **WRITE_ERRORS},
    summary="Record a decision not to go ahead with a placement",
)
@idempotent
@declare(Rule.SIGNED_IN, action=Action.RECORD_PLACEMENT)
def decline_placement(
    request: HttpRequest, payload: PlacementDeclineIn, idempotency_key: IdempotencyKey = None
) -> tuple[int, PlacementDecision]:
    """Record that a proposed placement will not go ahead, with the reasons (needed) and the
    matching check as it is now, as the web page's "do not go ahead" does. The proposal is
    checked as ``POST /placements`` would check it; a new child or setting is kept, so that
    the decision is on the child's chronology. Keys with a placing role of a council only."""
    user = acting_user(request)
    if not user_can_record_placement(user=user):
        raise ApiError(403, CANNOT_PLACE)
    try:
        decision = placement_decline_for(
            actor=user,
            child=_child(data=payload),
            setting=_setting(data=payload),
            start_date=payload.start_date,
            place_type=payload.place_type,
            home_postcode=payload.home_postcode,
            decision=DecisionInput(proceed=False, reasons=payload.reasons),
        )
    except (ValidationError, NotFoundOrNotAllowed) as exc:
        raise _api_error(exc, DECLINE_FIELDS) from exc
    return 201, decision
