"""Writes for missing and away episodes, safety profiles, return home interviews, tasks and
their configuration. Used by the web pages, the API and the worker alike.

Each service checks the access policy itself (``policy.require``), runs in one transaction
with its notices, grants and tasks, and logs ids only once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Q

from sightline.access.models import AccessGrant, GrantReason
from sightline.access.policy import Action, grant_create, grant_end, may, require
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.geography.models import Council, PoliceForce
from sightline.geography.selectors import postcode_place
from sightline.missing import conf
from sightline.missing.models import (
    OUTSTANDING_INTERVIEW,
    SSDA903_MISSING_CODE,
    AlertPolicy,
    Episode,
    EpisodeKind,
    EpisodeUpdate,
    FoundBy,
    InterviewEvent,
    InterviewInformation,
    InterviewPerson,
    InterviewPlace,
    InterviewServiceConfig,
    InterviewStatus,
    ReturnInterview,
    RiskGrade,
    RiskGradeList,
    SafetyProfileVersion,
    Task,
    TaskKind,
    TaskStatus,
    TriggerConfig,
    UpdateKind,
)
from sightline.missing.notices import (
    notices_for_episode_closed,
    notices_for_episode_reported,
    police_alerted,
)
from sightline.missing.storage import private_storage
from sightline.missing.triggers import (
    exploitation_prompt_check,
    high_risk_check,
    strategy_discussion_check,
)
from sightline.notifications.deadlines import LONDON, add_working_days, end_of_day
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.organisations.services import (
    organisation_for_council,
    organisation_for_police_force,
)
from sightline.placements.models import Placement

logger = logging.getLogger(__name__)

# A report may carry a time a little ahead of the server's clock (a phone's clock).
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def _log_on_commit(message: str, *args: Any) -> None:
    transaction.on_commit(lambda: logger.info(message, *args))


def _aware(value: dt.datetime, *, field: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("Give the time with its time zone.", field=field)
    if not 1900 <= value.year <= 2999:
        # Far dates cannot be converted to London time (and are typing mistakes anyway).
        raise ValidationError("Enter a real date and time.", field=field)
    return value


def _london_date(value: dt.datetime) -> dt.date:
    return value.astimezone(LONDON).date()


def _record(child: Child) -> str:
    return f"Child {child.child_ref}"


# --- Risk grades ---------------------------------------------------------------------------


def risk_grade_list_in_force(*, on: dt.date) -> RiskGradeList:
    found = RiskGradeList.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if found is None:
        raise ValidationError("No police risk-grade list is in force.", field="risk_grade")
    return found


def _risk_grade(
    value: RiskGrade | str | None,
    *,
    on: dt.date,
    supplied_by: str,
    supplied_by_field: str = "risk_grade_supplied_by",
    record: str | None = None,
) -> RiskGrade | None:
    """A grade object, or a code looked up in the list in force on the day.

    A grade is a police judgement that others act on, so it is refused without who gave it
    (APP: record the source of every risk fact) whichever door it comes through: the form,
    the API or a command."""
    if value is None or value == "":
        return None
    if isinstance(value, RiskGrade):
        grade = value
    else:
        grade_list = risk_grade_list_in_force(on=on)
        found = (
            RiskGrade.objects.filter(list=grade_list, code=value.strip())
            .select_related("list")
            .first()
        )
        if found is None:
            codes = ", ".join(grade_list.grades.values_list("code", flat=True))
            raise ValidationError(
                f"Choose a risk grade from the {grade_list.version} list: {codes}.",
                field="risk_grade",
            )
        grade = found
    if not supplied_by.strip():
        raise ValidationError(
            "Enter who gave the risk grade.", field=supplied_by_field, record=record
        )
    return grade


# --- Safety profile ------------------------------------------------------------------------

PROFILE_TEXT_FIELDS = (
    "description",
    "associates",
    "places_frequented",
    "phones_and_social_media",
    "medical_needs",
    "known_risks",
)
_PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


def _photo_extension(photo: File) -> str:
    size = photo.size or 0
    if size > conf.photo_max_bytes():
        raise ValidationError(
            f"The photo must be smaller than {conf.photo_max_bytes() // (1024 * 1024)} MB.",
            field="photo",
        )
    photo.seek(0)
    head = photo.read(8)
    photo.seek(0)
    for magic, extension in _PHOTO_TYPES.items():
        if head.startswith(magic):
            return extension
    raise ValidationError("The photo must be a JPG or PNG.", field="photo")


def safety_profile_update(
    *,
    actor: User,
    child: Child,
    description: str | None = None,
    associates: str | None = None,
    places_frequented: str | None = None,
    phones_and_social_media: str | None = None,
    medical_needs: str | None = None,
    known_risks: str | None = None,
    photo: File | None = None,
    photo_taken_on: dt.date | None = None,
    remove_photo: bool = False,
) -> SafetyProfileVersion:
    """Record a new version of the child's safety profile (the home of the current placement).

    Fields left as None keep their value. Nothing changed: no new version, the current one is
    returned. A photo is stored in private storage under a random name; only its path is kept.
    """
    require(actor, child, action=Action.EDIT_SAFETY_PROFILE)
    values: dict[str, Any] = {
        "description": description,
        "associates": associates,
        "places_frequented": places_frequented,
        "phones_and_social_media": phones_and_social_media,
        "medical_needs": medical_needs,
        "known_risks": known_risks,
    }
    stored: str | None = None
    if photo is not None:
        if remove_photo:
            raise ValidationError("Either add a photo or remove it, not both.", field="photo")
        extension = _photo_extension(photo)
        original = PurePath(photo.name or "").suffix.lower()
        if original and original not in {".jpg", ".jpeg", ".png"}:
            raise ValidationError("The photo must be a JPG or PNG.", field="photo")
        stored = private_storage().save(
            f"safety-profiles/{child.id}/{uuid.uuid4().hex}{extension}", photo
        )
    try:
        with transaction.atomic():
            Child.objects.select_for_update().filter(pk=child.pk).first()
            previous = SafetyProfileVersion.objects.filter(child=child).order_by("-version").first()
            current: dict[str, Any] = {
                field: getattr(previous, field) if previous else "" for field in PROFILE_TEXT_FIELDS
            }
            new = dict(current)
            for field, value in values.items():
                if value is not None:
                    new[field] = value.strip()
            photo_name = previous.photo.name if previous and previous.photo else ""
            taken_on = previous.photo_taken_on if previous else None
            changed = [field for field in PROFILE_TEXT_FIELDS if new[field] != current[field]]
            if stored is not None:
                photo_name, taken_on = stored, photo_taken_on
                changed.append("photo")
            elif remove_photo and photo_name:
                photo_name, taken_on = "", None
                changed.append("photo")
            if previous is not None and not changed:
                return previous
            version = SafetyProfileVersion.objects.create(
                child=child,
                version=(previous.version + 1) if previous else 1,
                photo=photo_name,
                photo_taken_on=taken_on,
                changed_fields=", ".join(changed)[:300],
                recorded_by=actor,
                recorded_by_organisation=actor.organisation,
                recorded_at=current_time(),
                **new,
            )
    except BaseException:
        if stored is not None:
            private_storage().delete(stored)
        raise
    _log_on_commit(
        "safety profile child=%s version=%s actor=%s", child.id, version.version, actor.id
    )
    return version


# --- Episodes ------------------------------------------------------------------------------


def _episode_kind(kind: str) -> EpisodeKind:
    value = {"M": EpisodeKind.MISSING, "A": EpisodeKind.AWAY}.get(kind, kind)
    try:
        return EpisodeKind(value)
    except ValueError as exc:
        raise ValidationError("Choose missing or away.", field="kind") from exc


def _placement_on(child: Child, day: dt.date) -> Placement | None:
    return (
        child.placements.filter(start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=day))
        .select_related("setting", "host_council", "host_police_force")
        .order_by("-start_date")
        .first()
    )


def _missing_grant_end(episode: Episode) -> dt.datetime:
    assert episode.returned_at is not None
    return episode.returned_at + dt.timedelta(hours=conf.grant_hours_after_return())


def episode_report(
    *,
    actor: User,
    child: Child,
    kind: str,
    last_seen_at: dt.datetime,
    last_seen_place: str,
    clothing: str = "",
    circumstances: str = "",
    reported_to_police: bool,
    police_reference: str = "",
    risk_grade: RiskGrade | str | None = None,
    risk_grade_supplied_by: str = "",
) -> Episode:
    """Report a child missing or away from their placement.

    In the same transaction: the episode (with the placement, home and areas as they are
    now); alerts to the placing council, the host council and the police force of the area
    (for *away*: see ``notices.police_alerted``); the police force's time-boxed grant to read
    the safety profile, from now until 72 hours after the return; and the trigger rules.
    """
    episode_kind = _episode_kind(kind)
    record = _record(child)
    last_seen_at = _aware(last_seen_at, field="last_seen_at")
    at = current_time()
    if last_seen_at > at + CLOCK_TOLERANCE:
        raise ValidationError(
            "The time last seen must be in the past.", field="last_seen_at", record=record
        )
    if _london_date(last_seen_at) < child.date_of_birth:
        raise ValidationError(
            "The time last seen must be after the child's date of birth.",
            field="last_seen_at",
            record=record,
        )
    if not last_seen_place.strip():
        raise ValidationError(
            "Enter where the child was last seen.", field="last_seen_place", record=record
        )
    police_reference = police_reference.strip()
    if police_reference and not reported_to_police:
        raise ValidationError(
            "A police reference means the episode was reported to the police.",
            field="police_reference",
            record=record,
        )
    require(actor, child, action=Action.RECORD_EPISODE)
    grade = _risk_grade(
        risk_grade, on=_london_date(at), supplied_by=risk_grade_supplied_by, record=record
    )
    placement = _placement_on(child, _london_date(last_seen_at))
    if placement is None:
        raise ValidationError(
            "The child had no placement when last seen. Record the placement first.",
            field="last_seen_at",
            record=record,
        )

    with transaction.atomic():
        Child.objects.select_for_update().filter(pk=child.pk).first()
        if Episode.objects.filter(child=child, returned_at__isnull=True).exists():
            raise ValidationError(
                "This child is already recorded as missing or away. Add an update to that "
                "episode, or record the return first.",
                field="kind",
                record=record,
            )
        if Episode.objects.filter(child=child, returned_at__gt=last_seen_at).exists():
            raise ValidationError(
                "An episode that ended after this time is already recorded: episodes cannot "
                "overlap.",
                field="last_seen_at",
                record=record,
            )
        police = organisation_for_police_force(police_force=placement.host_police_force)
        episode = Episode.objects.create(
            child=child,
            kind=episode_kind,
            missing_code=SSDA903_MISSING_CODE[episode_kind],
            placement=placement,
            setting=placement.setting,
            placing_council=child.placing_council,
            host_council=placement.host_council,
            host_police_force=placement.host_police_force,
            last_seen_at=last_seen_at,
            last_seen_place=last_seen_place.strip(),
            clothing=clothing.strip(),
            circumstances=circumstances.strip(),
            reported_to_police=reported_to_police,
            police_reference=police_reference,
            risk_grade=grade,
            risk_grade_list_version=grade.list.version if grade else "",
            risk_grade_supplied_by=risk_grade_supplied_by.strip() if grade else "",
            police_alerted=police_alerted(
                kind=episode_kind, reported_to_police=reported_to_police, police=police
            ),
            reported_at=at,
            reported_by=actor,
            reported_by_organisation=actor.organisation,
            mis_start=_london_date(last_seen_at),
        )
        if episode.police_alerted:
            grant_create(
                actor=actor,
                organisation=police,
                child=child,
                reason=GrantReason.MISSING_EPISODE,
                starts_at=at,
                ends_at=None,
                about_id=episode.id,
                purpose=f"{episode_kind.label} reported: police read the safety profile",
            )
        notices_for_episode_reported(episode=episode, actor=actor, first=True)
        strategy_discussion_check(episode=episode)
        high_risk_check(episode=episode, is_high=bool(grade and grade.is_high))
    _log_on_commit(
        "episode id=%s reported kind=%s child=%s actor=%s police_alerted=%s",
        episode.id,
        episode_kind,
        child.id,
        actor.id,
        episode.police_alerted,
    )
    return episode


def episode_update(
    *,
    actor: User,
    episode: Episode,
    kind: str,
    text: str = "",
    risk_grade: RiskGrade | str | None = None,
    supplied_by: str,
    supplied_at: dt.datetime | None = None,
) -> EpisodeUpdate:
    """Append a sighting, a change of risk grade or information received. Never overwrites.

    Sightings and risk changes only while the episode is open; information at any time.
    """
    try:
        update_kind = UpdateKind(kind)
    except ValueError as exc:
        raise ValidationError(
            "Choose a sighting, a risk change or information received.", field="kind"
        ) from exc
    child = episode.child
    record = f"Episode {episode.id}"
    at = current_time()
    if supplied_at is not None:
        supplied_at = _aware(supplied_at, field="supplied_at")
        if supplied_at > at + CLOCK_TOLERANCE:
            raise ValidationError("The time must be in the past.", field="supplied_at")
    if not supplied_by.strip():
        raise ValidationError(
            "Enter who supplied the information.", field="supplied_by", record=record
        )
    grade = _risk_grade(
        risk_grade,
        on=_london_date(at),
        supplied_by=supplied_by,
        supplied_by_field="supplied_by",
        record=record,
    )
    if update_kind == UpdateKind.RISK_CHANGE and grade is None:
        raise ValidationError("Choose the new risk grade.", field="risk_grade", record=record)
    if update_kind != UpdateKind.RISK_CHANGE and grade is not None:
        raise ValidationError(
            "Record a change of risk grade as a risk change.", field="kind", record=record
        )
    if update_kind != UpdateKind.RISK_CHANGE and not text.strip():
        raise ValidationError("Enter what was seen or learned.", field="text", record=record)
    require(actor, child, action=Action.RECORD_EPISODE)
    with transaction.atomic():
        locked = Episode.objects.select_for_update().get(pk=episode.pk)
        if not locked.is_open and update_kind != UpdateKind.INFORMATION:
            raise ValidationError(
                "The child has returned: add information received instead.",
                field="kind",
                record=record,
            )
        update = EpisodeUpdate.objects.create(
            episode=locked,
            kind=update_kind,
            text=text.strip(),
            risk_grade=grade,
            risk_grade_list_version=grade.list.version if grade else "",
            supplied_by=supplied_by.strip(),
            supplied_at=supplied_at or at,
            recorded_by=actor,
            recorded_by_organisation=actor.organisation,
            recorded_at=at,
        )
        if grade is not None:
            high_risk_check(episode=locked, is_high=grade.is_high)
    _log_on_commit(
        "episode id=%s update id=%s kind=%s actor=%s", episode.id, update.id, kind, actor.id
    )
    return update


@dataclass(frozen=True)
class FoundWhere:
    council: Council | None
    police_force: PoliceForce | None
    postcode: str
    known: bool


def _found_where(
    *,
    where_postcode: str,
    council: Council | None,
    police_force: PoliceForce | None,
    record: str,
) -> FoundWhere:
    if not where_postcode.strip():
        return FoundWhere(
            council, police_force, "", council is not None or police_force is not None
        )
    try:
        place = postcode_place(postcode=where_postcode)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="where_postcode", record=record) from exc
    return FoundWhere(place.council, place.police_force, place.postcode, True)


def episode_close(
    *,
    actor: User,
    episode: Episode,
    returned_at: dt.datetime,
    where_postcode: str = "",
    place: str = "",
    found_by: str,
    found_by_detail: str = "",
    condition: str = "",
    found_council: Council | None = None,
    found_police_force: PoliceForce | None = None,
) -> Episode:
    """Record the return: when, where (a postcode, or a place with its council and force if
    known), by whom and the child's condition.

    Derives the council and force where the child was found and records whether that was
    outside the host area or in another force area (a postcode outside England and Wales is
    both). In the same transaction: "child safe" notices to everyone alerted, the end of the
    police grant (72 hours after the return), the return home interview (due 72 hours after
    the return, or joining one still to be held) and the exploitation-screening prompt.
    """
    record = f"Episode {episode.id}"
    returned_at = _aware(returned_at, field="returned_at")
    at = current_time()
    if returned_at > at + CLOCK_TOLERANCE:
        raise ValidationError(
            "The time of return must be in the past.", field="returned_at", record=record
        )
    if returned_at < episode.last_seen_at:
        raise ValidationError(
            "The time of return must be after the time the child was last seen.",
            field="returned_at",
            record=record,
        )
    if not where_postcode.strip() and not place.strip():
        raise ValidationError(
            "Enter where the child was found or returned to: a postcode or a place.",
            field="where_postcode",
            record=record,
        )
    try:
        found_by_value = FoundBy(found_by)
    except ValueError as exc:
        raise ValidationError(
            "Choose who found the child or how they returned.", field="found_by", record=record
        ) from exc
    child = episode.child
    require(actor, child, action=Action.RECORD_EPISODE)
    where = _found_where(
        where_postcode=where_postcode,
        council=found_council,
        police_force=found_police_force,
        record=record,
    )
    outside_host: bool | None = None
    other_force: bool | None = None
    if where.postcode:
        # A postcode outside England and Wales has no council or force: outside both.
        outside_host = where.council is None or where.council.pk != episode.host_council_id
        other_force = (
            where.police_force is None or where.police_force.pk != episode.host_police_force_id
        )
    else:
        if where.council is not None:
            outside_host = where.council.pk != episode.host_council_id
        if where.police_force is not None:
            other_force = where.police_force.pk != episode.host_police_force_id

    with transaction.atomic():
        locked = Episode.objects.select_for_update().get(pk=episode.pk)
        if not locked.is_open:
            raise ValidationError(
                "The return is already recorded.", field="returned_at", record=record
            )
        locked.returned_at = returned_at
        locked.mis_end = _london_date(returned_at)
        locked.found_postcode = where.postcode
        locked.found_place = place.strip()
        locked.found_council = where.council
        locked.found_police_force = where.police_force
        locked.found_outside_host_area = outside_host
        locked.found_in_other_force_area = other_force
        locked.found_by = found_by_value
        locked.found_by_detail = found_by_detail.strip()
        locked.condition = condition.strip()
        locked.closed_at = at
        locked.closed_by = actor
        locked.save()
        for grant in AccessGrant.objects.filter(
            child=child, reason=GrantReason.MISSING_EPISODE, about_id=locked.id
        ):
            grant_end(actor=actor, grant=grant, ends_at=_missing_grant_end(locked))
        notices_for_episode_closed(episode=locked, actor=actor)
        _interview_for_return(episode=locked, actor=actor)
        exploitation_prompt_check(episode=locked)
    _log_on_commit(
        "episode id=%s closed child=%s actor=%s other_force=%s",
        locked.id,
        child.id,
        actor.id,
        other_force,
    )
    return locked


# --- Return home interviews ----------------------------------------------------------------


@dataclass(frozen=True)
class InterviewService:
    organisation: Organisation
    rule: str


def interview_service_for(*, episode: Episode) -> InterviewService:
    """Who holds the interview: the placing council's configured service (the council itself
    by default), or, for a child placed out of area when the placing council says so, the
    host council's service."""
    placing = InterviewServiceConfig.objects.filter(council=episode.placing_council).first()
    out_of_area = episode.host_council_id != episode.placing_council_id
    if placing is not None and placing.use_host_service_out_of_area and out_of_area:
        host = InterviewServiceConfig.objects.filter(council=episode.host_council).first()
        if host is not None and host.service is not None:
            return InterviewService(host.service, "host council's interviewing service")
        return InterviewService(
            organisation_for_council(council=episode.host_council), "host council"
        )
    if placing is not None and placing.service is not None:
        return InterviewService(placing.service, "placing council's interviewing service")
    return InterviewService(
        organisation_for_council(council=episode.placing_council), "placing council"
    )


def _interview_event(
    interview: ReturnInterview, status: str, *, at: dt.datetime, actor: User | None, detail: str
) -> None:
    InterviewEvent.objects.create(
        interview=interview, status=status, at=at, actor=actor, detail=detail[:300]
    )


def _interview_for_return(*, episode: Episode, actor: User) -> ReturnInterview:
    """A new interview due 72 hours after the return, or the child's interview still to be
    held, which then covers this episode too."""
    assert episode.returned_at is not None
    at = current_time()
    outstanding = (
        ReturnInterview.objects.select_for_update()
        .filter(child=episode.child, status__in=OUTSTANDING_INTERVIEW)
        .order_by("due_at")
        .first()
    )
    if outstanding is not None:
        outstanding.episodes.add(episode)
        _interview_event(
            outstanding,
            outstanding.status,
            at=at,
            actor=actor,
            detail=f"Covers episode {episode.id} as well",
        )
        return outstanding
    service = interview_service_for(episode=episode)
    due_at = episode.returned_at + dt.timedelta(hours=conf.interview_due_hours())
    interview = ReturnInterview.objects.create(
        child=episode.child,
        service=service.organisation,
        assigned_by_rule=service.rule,
        due_at=due_at,
        created_by=actor,
    )
    interview.episodes.add(episode)
    _interview_event(
        interview,
        InterviewStatus.TO_OFFER,
        at=at,
        actor=actor,
        detail=f"Created on return; assigned to organisation {service.organisation.id}",
    )
    involved = {
        organisation_for_council(council=episode.placing_council).pk,
        organisation_for_council(council=episode.host_council).pk,
    }
    if service.organisation.pk not in involved:
        grant_create(
            actor=actor,
            organisation=service.organisation,
            child=episode.child,
            reason=GrantReason.RETURN_INTERVIEW,
            starts_at=at,
            ends_at=max(due_at, at) + dt.timedelta(days=conf.interview_grant_days_after_due()),
            about_id=interview.id,
            purpose="Return home interview assigned to the interviewing service",
        )
    return interview


def _require_interviewer(actor: User, interview: ReturnInterview) -> None:
    """The interviewing service or the placing council, in a role the policy allows."""
    require(actor, interview.child, action=Action.RECORD_INTERVIEW)
    placing = organisation_for_council(council=interview.child.placing_council)
    if actor.organisation_id not in (interview.service_id, placing.pk):
        raise NotFoundOrNotAllowed()


# Which statuses each status may move to.
_NEXT: dict[str, set[str]] = {
    InterviewStatus.TO_OFFER: {
        InterviewStatus.OFFERED,
        InterviewStatus.DECLINED,
        InterviewStatus.COMPLETED,
    },
    InterviewStatus.OFFERED: {
        InterviewStatus.ACCEPTED,
        InterviewStatus.DECLINED,
        InterviewStatus.COMPLETED,
    },
    InterviewStatus.ACCEPTED: {InterviewStatus.DECLINED, InterviewStatus.COMPLETED},
    InterviewStatus.DECLINED: set(),
    InterviewStatus.COMPLETED: set(),
}


def _move(
    *,
    actor: User,
    interview: ReturnInterview,
    status: InterviewStatus,
    at: dt.datetime | None,
    detail: str = "",
) -> tuple[ReturnInterview, dt.datetime]:
    """Lock the interview and check the move; the caller saves its fields."""
    _require_interviewer(actor, interview)
    when = _aware(at, field="at") if at is not None else current_time()
    if when > current_time() + CLOCK_TOLERANCE:
        raise ValidationError("The time must be in the past.", field="at")
    locked = ReturnInterview.objects.select_for_update().get(pk=interview.pk)
    if status not in _NEXT[locked.status]:
        raise ValidationError(
            f"An interview that is {InterviewStatus(locked.status).label.lower()} cannot be "
            f"marked {status.label.lower()}.",
            field="status",
            record=f"Return interview {interview.id}",
        )
    earlier = [
        t
        for t in (
            locked.offered_at,
            locked.accepted_at,
            *locked.episodes.values_list("returned_at", flat=True),
        )
        if t is not None
    ]
    latest = max(earlier) if earlier else None
    if latest is not None and when < latest and when >= latest.replace(second=0, microsecond=0):
        # Pages take times to the minute: "14:05" for a move in the same minute as an offer
        # recorded at 14:05:37 means just after it, not before. Keep the order on the record.
        when = latest
    if latest is not None and when < latest:
        raise ValidationError(
            "The time must be after the return and after the interview was offered or accepted.",
            field="at",
            record=f"Return interview {interview.id}",
        )
    locked.status = status
    _interview_event(locked, status, at=when, actor=actor, detail=detail)
    return locked, when


def interview_offer(
    *, actor: User, interview: ReturnInterview, at: dt.datetime | None = None
) -> ReturnInterview:
    with transaction.atomic():
        locked, when = _move(
            actor=actor, interview=interview, status=InterviewStatus.OFFERED, at=at
        )
        locked.offered_at = when
        locked.save(update_fields=["status", "offered_at", "updated_at"])
    _log_on_commit("interview id=%s offered actor=%s", interview.id, actor.id)
    return locked


def interview_accept(
    *, actor: User, interview: ReturnInterview, at: dt.datetime | None = None
) -> ReturnInterview:
    with transaction.atomic():
        locked, when = _move(
            actor=actor, interview=interview, status=InterviewStatus.ACCEPTED, at=at
        )
        locked.accepted_at = when
        if locked.offered_at is None:
            locked.offered_at = when
        locked.save(update_fields=["status", "accepted_at", "offered_at", "updated_at"])
    _log_on_commit("interview id=%s accepted actor=%s", interview.id, actor.id)
    return locked


def interview_decline(
    *, actor: User, interview: ReturnInterview, reason: str = "", at: dt.datetime | None = None
) -> ReturnInterview:
    """The child declined: the refusal is recorded. Carers and agencies can still add what
    they know (``interview_add_information``)."""
    with transaction.atomic():
        locked, when = _move(
            actor=actor,
            interview=interview,
            status=InterviewStatus.DECLINED,
            at=at,
            detail="Declined by the child",
        )
        locked.declined_at = when
        locked.declined_reason = reason.strip()
        locked.save(update_fields=["status", "declined_at", "declined_reason", "updated_at"])
    _log_on_commit("interview id=%s declined actor=%s", interview.id, actor.id)
    return locked


@dataclass(frozen=True)
class PersonInput:
    description: str
    relationship: str = ""
    approximate_age: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PlaceInput:
    description: str
    postcode: str = ""
    notes: str = ""


def interview_complete(
    *,
    actor: User,
    interview: ReturnInterview,
    completed_at: dt.datetime,
    independent: bool,
    interviewer: User | None = None,
    interviewer_name: str = "",
    not_independent_reason: str = "",
    push_factors: str = "",
    pull_factors: str = "",
    harm: str = "",
    where_and_with_whom: str = "",
    disclosures: str = "",
    child_words: str = "",
    follow_up_actions: str = "",
    people: Sequence[PersonInput] = (),
    places: Sequence[PlaceInput] = (),
) -> ReturnInterview:
    """Record that the interview was held, by whom, whether independently, and what was found:
    push and pull factors, harm, where and with whom (structured people and places),
    disclosures, the child's own words and follow-up actions. Written once."""
    record = f"Return interview {interview.id}"
    interviewer = interviewer or (actor if not interviewer_name.strip() else None)
    name = interviewer_name.strip() or (interviewer.get_full_name() if interviewer else "")
    if not name:
        raise ValidationError("Enter who held the interview.", field="interviewer", record=record)
    if not independent and not not_independent_reason.strip():
        raise ValidationError(
            "Say why the interview was not held by someone independent (for example, the "
            "child asked for a trusted adult).",
            field="not_independent_reason",
            record=record,
        )
    for person in people:
        if not person.description.strip():
            raise ValidationError("Describe each person.", field="people", record=record)
    resolved_places = []
    for item in places:
        if not item.description.strip():
            raise ValidationError("Describe each place.", field="places", record=record)
        council = force = None
        postcode = ""
        if item.postcode.strip():
            try:
                located = postcode_place(postcode=item.postcode)
            except ValidationError as exc:
                raise ValidationError(exc.message, field="places", record=record) from exc
            council, force, postcode = located.council, located.police_force, located.postcode
        resolved_places.append((item, postcode, council, force))
    with transaction.atomic():
        locked, when = _move(
            actor=actor,
            interview=interview,
            status=InterviewStatus.COMPLETED,
            at=completed_at,
            detail="Interview held",
        )
        locked.completed_at = when
        locked.interviewer = interviewer
        locked.interviewer_name = name[:200]
        locked.interviewer_organisation = (
            interviewer.organisation if interviewer else actor.organisation
        )
        locked.independent = independent
        locked.not_independent_reason = "" if independent else not_independent_reason.strip()
        locked.push_factors = push_factors.strip()
        locked.pull_factors = pull_factors.strip()
        locked.harm = harm.strip()
        locked.where_and_with_whom = where_and_with_whom.strip()
        locked.disclosures = disclosures.strip()
        locked.child_words = child_words.strip()
        locked.follow_up_actions = follow_up_actions.strip()
        locked.save()
        InterviewPerson.objects.bulk_create(
            [
                InterviewPerson(
                    interview=locked,
                    description=p.description.strip()[:200],
                    relationship=p.relationship.strip()[:100],
                    approximate_age=p.approximate_age.strip()[:30],
                    notes=p.notes.strip(),
                )
                for p in people
            ]
        )
        InterviewPlace.objects.bulk_create(
            [
                InterviewPlace(
                    interview=locked,
                    description=item.description.strip()[:200],
                    postcode=postcode,
                    council=council,
                    police_force=force,
                    notes=item.notes.strip(),
                )
                for item, postcode, council, force in resolved_places
            ]
        )
    _log_on_commit("interview id=%s completed actor=%s", interview.id, actor.id)
    return locked


def interview_add_information(
    *, actor: User, interview: ReturnInterview, text: str, supplied_by: str
) -> InterviewInformation:
    """What a carer or an agency knows, added at any time, even after a refusal."""
    record = f"Return interview {interview.id}"
    if not text.strip():
        raise ValidationError("Enter the information.", field="text", record=record)
    if not supplied_by.strip():
        raise ValidationError(
            "Enter who supplied the information.", field="supplied_by", record=record
        )
    require(actor, interview.child, action=Action.ADD_INTERVIEW_INFORMATION)
    with transaction.atomic():
        info = InterviewInformation.objects.create(
            interview=interview,
            text=text.strip(),
            supplied_by=supplied_by.strip()[:200],
            recorded_by=actor,
            recorded_by_organisation=actor.organisation,
            recorded_at=current_time(),
        )
    _log_on_commit("interview id=%s information id=%s actor=%s", interview.id, info.id, actor.id)
    return info


def interview_add_episode(
    *, actor: User, interview: ReturnInterview, episode: Episode
) -> ReturnInterview:
    """Let one interview cover another episode of the same child (already returned)."""
    if episode.child_id != interview.child_id or episode.is_open:
        raise ValidationError(
            "Choose a returned episode of the same child.",
            field="episode",
            record=f"Return interview {interview.id}",
        )
    with transaction.atomic():
        _require_interviewer(actor, interview)
        locked = ReturnInterview.objects.select_for_update().get(pk=interview.pk)
        if not locked.episodes.filter(pk=episode.pk).exists():
            locked.episodes.add(episode)
            _interview_event(
                locked,
                locked.status,
                at=current_time(),
                actor=actor,
                detail=f"Covers episode {episode.id} as well",
            )
    return locked


def interviews_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Escalate every interview still to be held after its due time, once: a task for the
    placing council's team manager. For the worker's cycle; idempotent (a database
    constraint allows one overdue task per interview). Returns how many it escalated."""
    at = now or current_time()
    overdue = (
        ReturnInterview.objects.filter(status__in=OUTSTANDING_INTERVIEW, due_at__lt=at)
        .exclude(tasks__kind=TaskKind.INTERVIEW_OVERDUE)
        .order_by("due_at")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in list(overdue[:200]):
        try:
            with transaction.atomic():
                interview = (
                    ReturnInterview.objects.select_for_update()
                    .select_related("child__placing_council")
                    .get(pk=pk)
                )
                if not interview.is_outstanding or interview.due_at >= at:
                    continue
                if interview.tasks.filter(kind=TaskKind.INTERVIEW_OVERDUE).exists():
                    continue
                task = Task.objects.create(
                    kind=TaskKind.INTERVIEW_OVERDUE,
                    child=interview.child,
                    assignee=organisation_for_council(council=interview.child.placing_council),
                    assignee_role=Role.TEAM_MANAGER,
                    due_at=end_of_day(add_working_days(_london_date(at), 1)),
                    interview=interview,
                    detail=f"Return home interview not held by its due time ({interview.status})",
                )
                _interview_event(
                    interview,
                    interview.status,
                    at=at,
                    actor=None,
                    detail=f"Overdue: escalated to the placing council (task {task.id})",
                )
        except IntegrityError:  # another worker escalated it meanwhile
            continue
        done += 1
        logger.info("interview id=%s overdue: task id=%s", pk, task.id)
    return done


# --- Tasks ---------------------------------------------------------------------------------


def task_complete(
    *, actor: User, task: Task, outcome: str = "", status: str = TaskStatus.DONE
) -> Task:
    """Close a task (done or cancelled), by a user of the organisation it is assigned to."""
    final = TaskStatus(status)
    if final == TaskStatus.OPEN:
        raise ValidationError("Choose done or cancelled.", field="status")
    if not actor.is_active or actor.organisation_id != task.assignee_id:
        raise NotFoundOrNotAllowed()
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.OPEN:
            raise ValidationError("The task is already closed.", field="status")
        require(actor, locked.child, action=Action.CLOSE_TASK, purpose="Close a task")
        locked.status = final
        locked.outcome = outcome.strip()
        locked.completed_at = current_time()
        locked.completed_by = actor
        locked.save()
    _log_on_commit("task id=%s %s actor=%s", task.id, final, actor.id)
    return locked


# --- Configuration -------------------------------------------------------------------------


def _require_council_manager(actor: User, council: Council) -> None:
    org = actor.organisation
    if actor.is_active and actor.is_superuser:
        return
    if (
        not actor.is_active
        or org is None
        or org.kind != OrganisationKind.COUNCIL
        or org.council_id != council.pk
        or not may(actor, Action.CONFIGURE_MISSING_SETTINGS)
    ):
        raise NotFoundOrNotAllowed()


def trigger_config_set(
    *,
    actor: User,
    council: Council,
    episodes: int,
    days: int,
    include_away: bool = False,
    high_risk_task: bool = True,
    exploitation_prompt: bool = True,
    task_due_working_days: int = 2,
) -> TriggerConfig:
    """A council's trigger rules (its team managers or administrators)."""
    _require_council_manager(actor, council)
    if episodes < 1 or episodes > 100:
        raise ValidationError("Enter a number of episodes from 1 to 100.", field="episodes")
    if days < 1 or days > 366:
        raise ValidationError("Enter a number of days from 1 to 366.", field="days")
    if task_due_working_days < 0 or task_due_working_days > 30:
        raise ValidationError("Enter from 0 to 30 working days.", field="task_due_working_days")
    with transaction.atomic():
        config, _ = TriggerConfig.objects.update_or_create(
            council=council,
            defaults={
                "episodes": episodes,
                "days": days,
                "include_away": include_away,
                "high_risk_task": high_risk_task,
                "exploitation_prompt": exploitation_prompt,
                "task_due_working_days": task_due_working_days,
                "updated_by": actor,
            },
        )
    _log_on_commit("trigger config council=%s actor=%s", council.pk, actor.id)
    return config


def interview_service_set(
    *,
    actor: User,
    council: Council,
    service: Organisation | None,
    use_host_service_out_of_area: bool = False,
) -> InterviewServiceConfig:
    """Who holds the council's return home interviews (empty: the council itself)."""
    _require_council_manager(actor, council)
    with transaction.atomic():
        config, _ = InterviewServiceConfig.objects.update_or_create(
            council=council,
            defaults={
                "service": service,
                "use_host_service_out_of_area": use_host_service_out_of_area,
                "updated_by": actor,
            },
        )
    _log_on_commit("interview service config council=%s actor=%s", council.pk, actor.id)
    return config


def alert_policy_set(
    *, actor: User, organisation: Organisation, receives_away_alerts: bool
) -> AlertPolicy:
    """A police force chooses whether it receives alerts for children away from placement."""
    if organisation.kind != OrganisationKind.POLICE:
        raise ValidationError(
            "Only a police force chooses its away alerts: councils always receive them.",
            field="receives_away_alerts",
        )
    if not actor.is_active or not (
        actor.is_superuser
        or (
            actor.organisation_id == organisation.pk
            and may(actor, Action.CONFIGURE_MISSING_SETTINGS)
        )
    ):
        raise NotFoundOrNotAllowed()
    with transaction.atomic():
        policy, _ = AlertPolicy.objects.update_or_create(
            organisation=organisation,
            defaults={"receives_away_alerts": receives_away_alerts, "updated_by": actor},
        )
    _log_on_commit(
        "alert policy organisation=%s away=%s actor=%s",
        organisation.id,
        receives_away_alerts,
        actor.id,
    )
    return policy
