"""Writes for settings and placements.

``placement_record_for`` is the one "record a placement" use case: the web form and the API
call it with a new or existing child and a new or existing setting, and it checks the access
policy, the rules and writes everything in one transaction. ``setting_create`` and
``placement_record`` are its steps; the demo, the benchmarks and the tests' factories call the
steps directly to write history, and get the same rules.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from sightline.access.policy import Action, access_child, allowed_involvements
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import today
from sightline.geography.postcodes import EXAMPLE_POSTCODE, PostcodeError, normalise_postcode
from sightline.geography.selectors import PostcodePlace, distance_between, postcode_place
from sightline.organisations.models import Organisation, User
from sightline.placements.matching import (
    DecisionInput,
    MatchingCheck,
    Proposal,
    matching_check,
    matching_decide,
)
from sightline.placements.models import PLACE_CODES, PROVIDER_CODES, Placement, Sector, Setting
from sightline.placements.notices import (
    notices_for_placement_ended,
    notices_for_placement_recorded,
)
from sightline.placements.selectors import user_can_record_placement

logger = logging.getLogger(__name__)


# --- Rules shared by the steps -------------------------------------------------------------

# An Ofsted URN for social care: "SC" and 6 digits, or 7 digits for registrations since 2017.
_URN = re.compile(r"SC[0-9]{6}|[0-9]{7}")
# A looked-after child is under 18: a placement starts before the 18th birthday.
ADULT_AGE = 18


def postcode_entered(raw: str) -> str:
    """What the user meant by a postcode: spaces trimmed and collapsed, in capitals.

    Done before any length or format check, so "  sk4   2ab " is accepted and an error
    never quotes a cut-down version of what was typed."""
    return " ".join(raw.split()).upper()


def _postcode(raw: str, *, field: str, record: str | None) -> str:
    """The postcode in its usual form, or an error that does not echo the input back."""
    entered = postcode_entered(raw)
    try:
        return normalise_postcode(entered)
    except PostcodeError as exc:
        message = (
            f"Enter a real postcode, like {EXAMPLE_POSTCODE}"
            if entered
            else f"Enter a postcode, like {EXAMPLE_POSTCODE}"
        )
        raise ValidationError(message, field=field, record=record) from exc


def urn_entered(raw: str) -> str:
    return "".join(raw.split()).upper()


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def eighteenth_birthday(date_of_birth: dt.date) -> dt.date:
    """The day a child turns 18 (a 29 February birthday counts from 1 March)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + ADULT_AGE)
    except ValueError:
        return dt.date(date_of_birth.year + ADULT_AGE, 3, 1)


def _born_before_is_adult(on: dt.date) -> dt.date:
    """The latest date of birth of a child who is 18 or over on a day."""
    try:
        return on.replace(year=on.year - ADULT_AGE)
    except ValueError:  # 29 February: born on 28 February, 18 on 28 February
        return dt.date(on.year - ADULT_AGE, 2, 28)


# A planned placement may be recorded before it starts, so that the host council and police
# are told before the child arrives (reg 13(4) asks for notice before the placement where it is
# planned). Further ahead than this is a typing mistake, not a plan: a placement "starting" in
# 2030 would send its notices now and stand as the child's next placement for years.
PLANNED_HORIZON_DAYS = 90


def _check_started(*, start_date: dt.date) -> None:
    """A placement recorded through the web form or the API has started, or is planned to
    start within ``PLANNED_HORIZON_DAYS``."""
    latest = today() + dt.timedelta(days=PLANNED_HORIZON_DAYS)
    if start_date > latest:
        raise ValidationError(
            f"Start date must be on or before {latest.day} {latest:%B %Y}: a planned placement "
            f"can be recorded up to {PLANNED_HORIZON_DAYS} days before it starts",
            field="start_date",
        )


def _check_end_date(*, start_date: dt.date, end_date: dt.date, record: str | None) -> None:
    """A placement ends on a day that has come, and not before it started."""
    if end_date > today():
        raise ValidationError(
            "The end date must be today or in the past", field="end_date", record=record
        )
    if end_date < start_date:
        raise ValidationError(
            "The end date must be the same as or after the start date.",
            field="end_date",
            record=record,
        )


def _check_child_age(*, child: Child, start_date: dt.date, record: str | None) -> None:
    """A placement starts on or after the child's birth and before their 18th birthday."""
    if start_date < child.date_of_birth:
        raise ValidationError(
            "The start date must be on or after the child's date of birth.",
            field="start_date",
            record=record,
        )
    if start_date >= eighteenth_birthday(child.date_of_birth):
        raise ValidationError(
            # No date here: the message may reach a log, and it would give the birthday.
            "Date the placement started must be before the child's 18th birthday",
            field="start_date",
            record=record,
        )


def _place_in_england_or_wales(postcode: str, *, field: str, record: str | None) -> PostcodePlace:
    try:
        place = postcode_place(postcode=_postcode(postcode, field=field, record=record))
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
    record = f"Setting {urn_entered(urn)}" if urn.strip() else None
    if not name.strip():
        raise ValidationError("Enter the name of the setting.", field="name", record=record)
    if place_type not in PLACE_CODES:
        raise ValidationError(
            f"{place_type!r} is not a 903 placement type.", field="place_type", record=record
        )
    if sector not in Sector.values:
        raise ValidationError("Select the sector", field="sector", record=record)
    # The one place the Ofsted URN is checked: the web form and the API rely on it.
    urn = urn_entered(urn)
    if urn and not _URN.fullmatch(urn):
        raise ValidationError(
            "Enter the Ofsted URN in the correct format, like SC123456 or 2512345",
            field="urn",
            record=record,
        )
    if urn and Setting.objects.filter(urn=urn).exists():
        raise ValidationError(
            f"A setting with the Ofsted URN {urn} is already on Sightline. "
            "Choose it from the list of settings.",
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
    _check_child_age(child=child, start_date=start_date, record=record)

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
    _check_end_date(
        start_date=placement.start_date, end_date=end_date, record=f"Placement {placement.id}"
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


# --- The one "record a placement" use case ----------------------------------------------------


@dataclass(frozen=True)
class ChildInput:
    """A child not yet on Sightline. Their placing council is the actor's council."""

    child_ref: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    sex: str
    ethnicity: str = ""


@dataclass(frozen=True)
class SettingInput:
    """A setting not yet on Sightline."""

    name: str
    postcode: str
    sector: str
    urn: str = ""
    registered_places: int | None = None
    provider: Organisation | None = None


# The steps name their own fields; the use case names the answers it was given, which are
# the web form's field names (the API calls the existing child and setting ``child_id`` and
# ``setting_id``).
_SETTING_FIELDS = {
    "name": "setting_name",
    "postcode": "setting_postcode",
    "urn": "setting_urn",
    "sector": "setting_sector",
}


@contextmanager
def _fields_named(names: dict[str, str]) -> Iterator[None]:
    try:
        yield
    except ValidationError as exc:
        field = names.get(exc.field or "", exc.field)
        raise ValidationError(exc.message, field=field, record=exc.record) from exc


def _new_child(*, actor: User, child: ChildInput, start_date: dt.date) -> Child:
    if child.date_of_birth is None:
        raise ValidationError("Enter the child's date of birth", field="date_of_birth")
    council = actor.organisation.council if actor.organisation else None
    if council is None:
        raise NotFoundOrNotAllowed()
    if child.date_of_birth <= today() and start_date >= eighteenth_birthday(child.date_of_birth):
        # Reported against the date of birth: for a new child that is the likelier mistake.
        # (A date of birth in the future is child_create's to refuse.)
        raise ValidationError(
            f"Date of birth must be after {_long_date(_born_before_is_adult(start_date))}, "
            "because a looked-after child is under 18 on the date the placement started",
            field="date_of_birth",
            record=f"Child {child.child_ref.strip().upper()}" if child.child_ref.strip() else None,
        )
    created = child_create(
        placing_council=council,
        child_ref=child.child_ref,
        first_name=child.first_name,
        last_name=child.last_name,
        date_of_birth=child.date_of_birth,
        sex=child.sex,
        ethnicity=child.ethnicity,
        actor=actor,
    )
    # The policy, not the caller, says whether this actor places this council's children.
    if not allowed_involvements(actor, created, Action.RECORD_PLACEMENT):
        raise NotFoundOrNotAllowed()
    return created


def _new_setting(*, actor: User, setting: SettingInput, place_type: str) -> Setting:
    with _fields_named(_SETTING_FIELDS):
        return setting_create(
            name=setting.name,
            postcode=setting.postcode,
            sector=setting.sector,
            place_type=place_type,
            provider=setting.provider,
            urn=setting.urn,
            registered_places=setting.registered_places,
            actor=actor,
        )


def _resolve(
    *,
    actor: User,
    child: ChildInput | uuid.UUID,
    setting: SettingInput | Setting,
    start_date: dt.date,
    place_type: str,
) -> tuple[Child, Setting, str]:
    """The child and setting of a proposed placement, created when new, and the name of the
    answer that chose the setting. Call inside the caller's transaction."""
    if isinstance(child, ChildInput):
        placed = _new_child(actor=actor, child=child, start_date=start_date)
    else:
        placed = access_child(
            actor, child, action=Action.RECORD_PLACEMENT, purpose="Record a placement"
        ).child
    if isinstance(setting, SettingInput):
        where = _new_setting(actor=actor, setting=setting, place_type=place_type)
        return placed, where, "setting_postcode"
    return placed, setting, "setting"


def _proposal(
    *, child: Child, setting: Setting, home_postcode: str, start_date: dt.date
) -> Proposal:
    return Proposal(
        child=child,
        placing_council=child.placing_council_id,
        setting_id=setting.pk,
        setting_postcode=setting.postcode,
        home_postcode=home_postcode,
        start_date=start_date,
    )


def placement_record_for(
    *,
    actor: User,
    child: ChildInput | uuid.UUID,
    setting: SettingInput | Setting,
    start_date: dt.date,
    place_type: str,
    place_provider: str = "",
    home_postcode: str = "",
    is_emergency: bool = False,
    decision: DecisionInput | None = None,
) -> Placement:
    """Record a placement for a new or existing child in a new or existing setting.

    The web form and the API both call this, so a placement is recorded one way whatever the
    door: the actor must be allowed by the access policy (an existing child through
    ``access_child``, which leaves an access record; a new child is checked against the
    policy once it exists as the actor's council's child), the rules are checked here rather
    than in a form, and child, setting, placement and notices are written in one transaction
    or not at all.

    The matching check (``matching.py``, ADR 51) runs in the same transaction: the decision to
    proceed is checked against its findings and recorded with them; a distant placement needs
    the director's approval and the host council's consultation, a warning a named approver.

    Errors name the answer at fault by the web form's field names (``child`` and ``setting``
    for an existing one). Raises NotFoundOrNotAllowed when the actor may not record this
    placement, the same whether the child is not there or not theirs.
    """
    if not user_can_record_placement(user=actor):
        raise NotFoundOrNotAllowed()
    if decision is not None and not decision.proceed:
        raise ValidationError("Select whether to proceed with the placement", field="decision")
    # Checked here rather than in placement_record, which also writes planned placements
    # and history (tests of notices owed ahead of a start, the demo). First, because nothing
    # is worth creating for a placement that cannot be recorded.
    _check_started(start_date=start_date)
    with transaction.atomic():
        placed, where, setting_field = _resolve(
            actor=actor, child=child, setting=setting, start_date=start_date, place_type=place_type
        )
        with _fields_named({"setting": setting_field}):
            placement = placement_record(
                actor=actor,
                child=placed,
                setting=where,
                start_date=start_date,
                place_type=place_type,
                place_provider=place_provider,
                home_postcode=home_postcode,
                is_emergency=is_emergency,
            )
        matching_decide(
            actor=actor,
            child=placed,
            proposal=_proposal(
                child=placed, setting=where, home_postcode=home_postcode, start_date=start_date
            ),
            decision=decision,
            placement=placement,
        )
        return placement


# Why the check looks at the child, on the access log.
CHECK_PURPOSE = "Matching check of a proposed placement"


class _DryRun(Exception):
    def __init__(self, check: MatchingCheck | None) -> None:
        self.check = check


def placement_check_for(
    *,
    actor: User,
    child: ChildInput | uuid.UUID,
    setting: SettingInput | Setting,
    start_date: dt.date,
    place_type: str,
    place_provider: str = "",
    home_postcode: str = "",
    is_emergency: bool = False,
    shown: bool = False,
) -> MatchingCheck | None:
    """The matching check of a proposed placement, shown before it is recorded (ADR 51).

    Runs the use case's rules first, as ``placement_record_for`` would (in a transaction that
    is always undone), so that every answer the rules refuse is reported on the first page,
    and only a placement that could be recorded reaches the check. Writes nothing, except,
    when the check is ``shown`` to the actor, the look at an existing child (access log and
    audit, as ``POST /placement-checks`` records it, ADR 58): the dry run's own look is
    undone with it."""
    if not user_can_record_placement(user=actor):
        raise NotFoundOrNotAllowed()
    _check_started(start_date=start_date)
    check = _dry_run(
        actor=actor,
        child=child,
        setting=setting,
        start_date=start_date,
        place_type=place_type,
        place_provider=place_provider,
        home_postcode=home_postcode,
        is_emergency=is_emergency,
    )
    if shown and not isinstance(child, ChildInput):
        access_child(actor, child, action=Action.RECORD_PLACEMENT, purpose=CHECK_PURPOSE)
    return check


def _dry_run(
    *,
    actor: User,
    child: ChildInput | uuid.UUID,
    setting: SettingInput | Setting,
    start_date: dt.date,
    place_type: str,
    place_provider: str,
    home_postcode: str,
    is_emergency: bool,
) -> MatchingCheck | None:
    try:
        with transaction.atomic():
            placed, where, setting_field = _resolve(
                actor=actor,
                child=child,
                setting=setting,
                start_date=start_date,
                place_type=place_type,
            )
            with _fields_named({"setting": setting_field}):
                placement_record(
                    actor=actor,
                    child=placed,
                    setting=where,
                    start_date=start_date,
                    place_type=place_type,
                    place_provider=place_provider,
                    home_postcode=home_postcode,
                    is_emergency=is_emergency,
                    send_notices=False,
                )
            raise _DryRun(
                matching_check(
                    proposal=_proposal(
                        child=placed,
                        setting=where,
                        home_postcode=home_postcode,
                        start_date=start_date,
                    ),
                    actor=actor,
                )
            )
    except _DryRun as done:
        return done.check


def placement_decline_for(
    *,
    actor: User,
    child: ChildInput | uuid.UUID,
    setting: SettingInput | Setting,
    start_date: dt.date,
    place_type: str,
    decision: DecisionInput,
    home_postcode: str = "",
) -> Any:
    """Record a decision not to go ahead with a proposed placement, with its reasons and the
    matching check's findings as they are now (ADR 51). A new child or setting is kept, so
    that the decision stays on the child's chronology. Returns the decision.

    The proposal meets every rule a placement would (``placement_check_for``, writing
    nothing) before anything is kept: the web page checked them on its first page, and the
    API, which has no first page, gets the same answers (ADR 58)."""
    if not user_can_record_placement(user=actor):
        raise NotFoundOrNotAllowed()
    if decision.proceed:
        raise ValidationError("Select whether to proceed with the placement", field="decision")
    placement_check_for(
        actor=actor,
        child=child,
        setting=setting,
        start_date=start_date,
        place_type=place_type,
        home_postcode=home_postcode,
    )
    with transaction.atomic():
        placed, where, _ = _resolve(
            actor=actor, child=child, setting=setting, start_date=start_date, place_type=place_type
        )
        return matching_decide(
            actor=actor,
            child=placed,
            proposal=_proposal(
                child=placed, setting=where, home_postcode=home_postcode, start_date=start_date
            ),
            decision=decision,
        )


def placement_proposal_check(
    *,
    actor: User,
    child: uuid.UUID | None,
    setting: Setting | str,
    home_postcode: str,
    start_date: dt.date,
) -> MatchingCheck | None:
    """The matching check of a placement being thought about, before the rest of its answers
    (ADR 58): an existing child of the actor's council (or None, for a child not yet on
    Sightline), an existing setting or a new setting's postcode, the home postcode and the
    start date. The same check (the hook's ``matching_check``) as the web page and the use
    case, under the same rule: a placing role, and an existing child only through
    ``access_child`` for ``RECORD_PLACEMENT``, which records the look (the check reads about
    the child and the children living in the home). Writes nothing else.

    Raises NotFoundOrNotAllowed when the actor may not place the child (the same whether the
    child is not there or not theirs), ValidationError naming the answer at fault."""
    if not user_can_record_placement(user=actor):
        raise NotFoundOrNotAllowed()
    _check_started(start_date=start_date)
    # The answers that say nothing about the child first: a look is recorded only when the
    # check is worked out for it.
    if isinstance(setting, Setting):
        setting_id, setting_postcode = setting.pk, setting.postcode
    else:
        where = _place_in_england_or_wales(setting, field="setting_postcode", record=None)
        setting_id, setting_postcode = None, where.postcode
    home = ""
    if home_postcode.strip():
        home = _place_in_england_or_wales(
            home_postcode, field="home_postcode", record=None
        ).postcode
    placed: Child | None = None
    if child is not None:
        with transaction.atomic():  # a refused answer leaves no look, as the use case's
            placed = access_child(
                actor, child, action=Action.RECORD_PLACEMENT, purpose=CHECK_PURPOSE
            ).child
            _check_child_age(child=placed, start_date=start_date, record=None)
    organisation = actor.organisation
    assert organisation is not None and organisation.council_id  # user_can_record_placement
    return matching_check(
        proposal=Proposal(
            child=placed,
            placing_council=placed.placing_council_id if placed else organisation.council_id,
            setting_id=setting_id,
            setting_postcode=setting_postcode,
            home_postcode=home,
            start_date=start_date,
        ),
        actor=actor,
    )
