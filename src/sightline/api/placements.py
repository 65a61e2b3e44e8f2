"""``POST /placements``: record a placement, as the web form "Record a placement" does.

The child is one already on Sightline (``child_id``) or a new child of the key's council (the
``first_name``... fields); the setting is one already on Sightline (``setting_id``) or a new
one (the ``setting_...`` fields). Child, setting and placement are written together or not at
all; the placement's notices are created in the same transaction.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema

from sightline.access.policy import Action, Rule, access_child, declare
from sightline.api.auth import acting_user
from sightline.api.errors import WRITE_ERRORS, ApiError, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, CouncilOut, Day, PoliceForceOut, as_float, choice
from sightline.api.selectors import placement_for_api, provider_for_setting, setting_for_placement
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.organisations.models import User
from sightline.placements.models import PLACE_CODES, PROVIDER_CODES, Placement, Sector, Setting
from sightline.placements.selectors import user_can_record_placement
from sightline.placements.services import placement_record, setting_create

router = Router(tags=["Placements"])

if TYPE_CHECKING:
    PlaceType: TypeAlias = str
    PlaceProvider: TypeAlias = str
    SettingSector: TypeAlias = str
else:
    PlaceType = choice(sorted(PLACE_CODES))
    PlaceProvider = choice(["", *sorted(PROVIDER_CODES)])
    SettingSector = choice(Sector.values)

# The service's field name -> the API's, where they differ.
CHILD_FIELDS = {"name": "first_name"}
NEW_SETTING_FIELDS = {"name": "setting_name", "postcode": "setting_postcode", "urn": "setting_urn"}


class PlacementIn(BodyIn):
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
    setting_postcode: str = Field("", max_length=10, description="New setting.")
    setting_sector: SettingSector | None = Field(None, description="New setting.")
    setting_urn: str = Field("", max_length=8, description="New setting: Ofsted URN.")
    setting_registered_places: int | None = Field(None, ge=1, le=999)
    setting_provider_id: uuid.UUID | None = Field(
        None, description="New setting: the provider organisation that runs it."
    )

    start_date: Day
    place_type: PlaceType = Field(description="903 PLACE code.")
    place_provider: PlaceProvider = Field("", description="903 PLACE_PROVIDER code.")
    home_postcode: str = Field(
        "", max_length=10, description="The child's home postcode: gives the distance."
    )
    is_emergency: bool = False


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
        return list(obj.notices.all())


@contextmanager
def _fields(names: dict[str, str]) -> Iterator[None]:
    """Report a service's error against the API's name for the field."""
    try:
        yield
    except ValidationError as exc:
        field = names.get(exc.field or "", exc.field)
        raise ValidationError(exc.message, field=field, record=exc.record) from exc


def _child(*, user: User, data: PlacementIn) -> Child:
    new_fields = (data.child_ref, data.first_name, data.last_name, data.date_of_birth, data.sex)
    if data.child_id is not None:
        if any(new_fields):
            raise ValidationError(
                "Give either child_id or the new child's details, not both.", field="child_id"
            )
        try:
            return access_child(
                user, data.child_id, action=Action.RECORD_PLACEMENT, purpose="Record a placement"
            ).child
        except NotFoundOrNotAllowed as exc:
            raise ApiError(
                404,
                "No child with this id that your key may record a placement for.",
                field="child_id",
            ) from exc
    if data.date_of_birth is None:
        raise ValidationError("Enter the child's date of birth.", field="date_of_birth")
    council = user.organisation.council if user.organisation else None
    assert council is not None  # user_can_record_placement
    with _fields(CHILD_FIELDS):
        return child_create(
            placing_council=council,
            child_ref=data.child_ref,
            first_name=data.first_name,
            last_name=data.last_name,
            date_of_birth=data.date_of_birth,
            sex=data.sex,
            ethnicity=data.ethnicity,
            actor=user,
        )


def _setting(*, data: PlacementIn, user: User) -> tuple[Setting, str]:
    """The setting and the API field that names it in errors."""
    if data.setting_id is not None:
        if data.setting_name or data.setting_postcode:
            raise ValidationError(
                "Give either setting_id or the new setting's details, not both.",
                field="setting_id",
            )
        return setting_for_placement(setting_id=data.setting_id), "setting_id"
    if data.setting_sector is None:
        raise ValidationError("Select the setting's sector.", field="setting_sector")
    provider = None
    if data.setting_provider_id is not None:
        provider = provider_for_setting(provider_id=data.setting_provider_id)
    with _fields(NEW_SETTING_FIELDS):
        setting = setting_create(
            name=data.setting_name,
            postcode=data.setting_postcode,
            sector=data.setting_sector,
            place_type=data.place_type,
            provider=provider,
            urn=data.setting_urn,
            registered_places=data.setting_registered_places,
            actor=user,
        )
    return setting, "setting_postcode"


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
    sent. Keys with a placing role of a council only (social worker, team manager, nominated
    officer)."""
    user = acting_user(request)
    if not user_can_record_placement(user=user):
        raise ApiError(403, "Your key's role cannot record placements.")
    with transaction.atomic():
        child = _child(user=user, data=payload)
        setting, setting_field = _setting(data=payload, user=user)
        with _fields({"setting": setting_field}):
            placement = placement_record(
                actor=user,
                child=child,
                setting=setting,
                start_date=payload.start_date,
                place_type=payload.place_type,
                place_provider=payload.place_provider,
                home_postcode=payload.home_postcode,
                is_emergency=payload.is_emergency,
            )
    return 201, placement_for_api(placement_id=placement.id)
