"""Writes for settings and placements. Recording a placement is one service, used by the
web form now and by the API and the SSDA903 importer later."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction

from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.errors import ValidationError
from sightline.geography.selectors import PostcodePlace, distance_between, postcode_place
from sightline.organisations.models import Organisation, User
from sightline.placements.models import PLACE_CODES, PROVIDER_CODES, Placement, Setting
from sightline.placements.notices import (
    notices_for_placement_ended,
    notices_for_placement_recorded,
)

logger = logging.getLogger(__name__)


def _place_in_england_or_wales(postcode: str, *, field: str, record: str | None) -> PostcodePlace:
    try:
        place = postcode_place(postcode=postcode)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=field, record=record) from exc
    if place.council is None or place.police_force is None:
        raise ValidationError(
            f"The postcode {place.postcode} is outside England and Wales. Sightline can only "
            "record settings in England and Wales.",
            field=field,
            record=record,
        )
    return place


def setting_create(
    *,
    name: str,
    postcode: str,
    sector: str,
    place_type: str,
    provider: Organisation | None = None,
    urn: str = "",
    registered_places: int | None = None,
    actor: User | None = None,
) -> Setting:
    """Create a setting; its council and police force come from its postcode."""
    record = f"Setting {urn}" if urn else None
    if not name.strip():
        raise ValidationError("Enter the name of the setting.", field="name", record=record)
    if place_type not in PLACE_CODES:
        raise ValidationError(
            f"{place_type!r} is not a 903 placement type.", field="place_type", record=record
        )
    urn = urn.strip().upper()
    if urn and Setting.objects.filter(urn=urn).exists():
        raise ValidationError(
            f"A setting with the Ofsted URN {urn} is already recorded. Choose it from the list.",
            field="urn",
            record=record,
        )
    place = _place_in_england_or_wales(postcode, field="postcode", record=record)
    assert place.council is not None and place.police_force is not None
    with transaction.atomic():
        setting = Setting.objects.create(
            name=name.strip(),
            postcode=place.postcode,
            sector=sector,
            place_type=place_type,
            provider=provider,
            urn=urn,
            registered_places=registered_places,
            council=place.council,
            police_force=place.police_force,
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.SETTING_CREATED,
            obj=setting,
            payload={"place_type": place_type, "sector": str(sector)},
        )
    return setting


def placement_record(
    *,
    actor: User | None,
    child: Child,
    setting: Setting,
    start_date: dt.date,
    place_type: str,
    place_provider: str = "",
    home_postcode: str = "",
    end_date: dt.date | None = None,
    is_emergency: bool = False,
    send_notices: bool = True,
) -> Placement:
    """Record a child's placement in a setting.

    Derives and stores what the DfE derives for the 903 return: the host council and police
    force (from the setting's postcode), the straight-line distance from the child's home
    postcode, and whether the placement is outside the placing council's area. Any earlier
    open placement of the child ends the day this one starts.

    In the same transaction it creates the notices the placement owes (reg 13(4) placement
    notices to the host council and police; discharge notices for an earlier placement it
    ends). ``send_notices=False`` is for recording history (imports, backfill), where a notice
    now would be noise: the law asked for it at the time.
    """
    record = f"Child {child.child_ref}"
    if place_type not in PLACE_CODES:
        raise ValidationError(
            f"{place_type!r} is not a 903 placement type.", field="place_type", record=record
        )
    if place_provider and place_provider not in PROVIDER_CODES:
        raise ValidationError(
            f"{place_provider!r} is not a 903 placement provider code.",
            field="place_provider",
            record=record,
        )
    if end_date is not None and end_date < start_date:
        raise ValidationError(
            "The end date must be the same as or after the start date.",
            field="end_date",
            record=record,
        )
    if start_date < child.date_of_birth:
        raise ValidationError(
            "The start date must be on or after the child's date of birth.",
            field="start_date",
            record=record,
        )

    setting_place = _place_in_england_or_wales(setting.postcode, field="setting", record=record)
    assert setting_place.council is not None and setting_place.police_force is not None
    distance = None
    home = ""
    if home_postcode.strip():
        home_place = _place_in_england_or_wales(home_postcode, field="home_postcode", record=record)
        home = home_place.postcode
        distance = distance_between(a=home_place, b=setting_place)

    with transaction.atomic():
        overlapping = Placement.objects.select_for_update().filter(
            child=child, start_date__lt=start_date, end_date__isnull=True
        )
        for earlier in overlapping:
            earlier.end_date = start_date
            earlier.save(update_fields=["end_date", "updated_at"])
            if send_notices:
                notices_for_placement_ended(placement=earlier, actor=actor)
        if Placement.objects.filter(child=child, start_date=start_date).exists():
            raise ValidationError(
                "This child already has a placement starting on that date.",
                field="start_date",
                record=record,
            )
        placement = Placement.objects.create(
            child=child,
            setting=setting,
            start_date=start_date,
            end_date=end_date,
            place_type=place_type,
            place_provider=place_provider,
            home_postcode=home,
            is_emergency=is_emergency,
            host_council=setting_place.council,
            host_police_force=setting_place.police_force,
            distance_miles=distance.miles if distance else None,
            distance_km=distance.km if distance else None,
            out_of_area=setting_place.council.ons_code != child.placing_council_id,
            recorded_by=actor,
        )
        if send_notices:
            notices_for_placement_recorded(placement=placement, actor=actor)
            if end_date is not None:
                notices_for_placement_ended(placement=placement, actor=actor)
        audit_append(
            actor=actor,
            verb=AuditVerb.PLACEMENT_RECORDED,
            obj=placement,
            child=child,
            payload={
                "emergency": bool(is_emergency),
                "out_of_area": placement.out_of_area,
                "ended": end_date is not None,
            },
        )
    logger.info("placement recorded id=%s child=%s", placement.id, child.id)
    return placement


def placement_end(*, actor: User | None, placement: Placement, end_date: dt.date) -> Placement:
    if end_date < placement.start_date:
        raise ValidationError(
            "The end date must be the same as or after the start date.",
            field="end_date",
            record=f"Placement {placement.id}",
        )
    with transaction.atomic():
        placement.end_date = end_date
        placement.save(update_fields=["end_date", "updated_at"])
        notices_for_placement_ended(placement=placement, actor=actor)
        audit_append(
            actor=actor,
            verb=AuditVerb.PLACEMENT_ENDED,
            obj=placement,
            child=placement.child_id,
        )
    return placement
