"""Missing and away episodes: report, update, close (found), with their alerts, grants and
audit events."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet

from sightline.access.models import AccessGrant, GrantReason
from sightline.access.policy import Action, ChildAccess, grant_create, grant_end, require_write
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.errors import ValidationError
from sightline.core.inserts import insert_rows
from sightline.core.prepared import prepared
from sightline.core.timeutil import now as current_time
from sightline.geography.models import Council, PoliceForce
from sightline.geography.selectors import postcode_place
from sightline.missing import conf
from sightline.missing.models import (
    SSDA903_MISSING_CODE,
    Episode,
    EpisodeKind,
    EpisodeUpdate,
    FoundBy,
    RiskGrade,
    UpdateKind,
)
from sightline.missing.notices import (
    notices_for_episode_closed,
    notices_for_episode_reported,
    police_alerted,
)
from sightline.missing.services._common import (
    CLOCK_TOLERANCE,
    _aware,
    _log_on_commit,
    _london_date,
    _record,
)
from sightline.missing.services.interviews import _interview_for_return
from sightline.missing.services.risk import _risk_grade
from sightline.missing.triggers import (
    exploitation_prompt_check,
    high_risk_check,
    strategy_discussion_check,
)
from sightline.organisations.models import User
from sightline.organisations.services import (
    organisations_for_area,
)
from sightline.placements.models import Placement

logger = logging.getLogger(__name__)


# --- Episodes ------------------------------------------------------------------------------


def _episode_kind(kind: str) -> EpisodeKind:
    value = {"M": EpisodeKind.MISSING, "A": EpisodeKind.AWAY}.get(kind, kind)
    try:
        return EpisodeKind(value)
    except ValueError as exc:
        raise ValidationError("Choose missing or away.", field="kind") from exc


def _placements_on(*, child_id: Any, day: dt.date) -> QuerySet[Placement]:
    return (
        Placement.objects.filter(child_id=child_id, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=day))
        .select_related("setting", "host_council", "host_police_force")
        .order_by("-start_date")[:1]
    )


def _placement_on(child: Child, day: dt.date) -> Placement | None:
    """The child's placement on the day; its SQL built once per process (ADR 53)."""
    rows = prepared("missing.placement_on", _placements_on, child_id=child.pk, day=day)
    return rows[0] if rows else None


def _child_locked(*, child_id: Any) -> QuerySet[Child, Any]:
    return Child.objects.select_for_update().filter(pk=child_id).values_list("pk", flat=True)


def _clashing(*, child_id: Any, last_seen_at: dt.datetime) -> QuerySet[Episode, Any]:
    return (
        Episode.objects.filter(child_id=child_id)
        .filter(Q(returned_at__isnull=True) | Q(returned_at__gt=last_seen_at))
        .order_by(F("returned_at").asc(nulls_first=True))
        .values_list("returned_at", flat=True)[:1]
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
    checked: ChildAccess | None = None,
) -> Episode:
    """Report a child missing or away from their placement.

    ``checked``: the caller's ``access_child`` for this actor, child and report, which the
    policy takes instead of checking twice (``require_write``).

    Returns the new episode with what it refers to loaded (child, setting, councils, police
    force, risk grade) and, as ``reported_links``, the alert links it made, with their
    notices and recipients: an answer can be written from it without reading it back.

    In the same transaction: the episode (with the placement, home and areas as they are
    now); alerts to the placing council, the host council and the police force of the area
    (for *away*: see ``notices.police_alerted``); the police force's time-boxed grant to read
    the safety profile, from now until 72 hours after the return; and the trigger rules.
    """
    episode_kind = _episode_kind(kind)
    record = _record(child)
    # In UTC, as the database gives it back: the episode returned is the one answered.
    last_seen_at = _aware(last_seen_at, field="last_seen_at").astimezone(dt.UTC)
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
    permit = require_write(actor, child, action=Action.RECORD_EPISODE, checked=checked)
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
        prepared("missing.child_lock", _child_locked, child_id=child.pk)
        # An open episode, else one that ended after this one began: one query for both
        # rules (an open episode comes first: its ``returned_at`` is null).
        clashes = prepared(
            "missing.episode_clash", _clashing, child_id=child.pk, last_seen_at=last_seen_at
        )
        if clashes and clashes[0] is None:
            raise ValidationError(
                "This child is already recorded as missing or away. Add an update to that "
                "episode, or record the return first.",
                field="kind",
                record=record,
            )
        if clashes:
            raise ValidationError(
                "An episode that ended after this time is already recorded: episodes cannot "
                "overlap.",
                field="last_seen_at",
                record=record,
            )
        # The councils and the police the alerts go to, in one query.
        councils, police = organisations_for_area(
            councils=[child.placing_council, placement.host_council],
            police_force=placement.host_police_force,
        )
        # Written as ``create`` would, without the ORM's per-statement compiling (issue 13).
        episode = Episode(
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
        insert_rows([episode])
        police_grant = None
        if episode.police_alerted:
            police_grant = grant_create(
                actor=actor,
                organisation=police,
                child=child,
                reason=GrantReason.MISSING_EPISODE,
                starts_at=at,
                ends_at=None,
                about_id=episode.id,
                purpose=f"{episode_kind.label} reported: police read the safety profile",
                audited=False,
            )
        # One event for the report, naming the police grant it made (one lock of the head).
        audit_append(
            actor=actor,
            verb=AuditVerb.MISSING_REPORTED,
            obj=episode,
            child=child,
            payload={
                "kind": str(episode_kind),
                "police_alerted": episode.police_alerted,
                "reported_to_police": reported_to_police,
            },
            involvement=permit.involvement,
            grant=police_grant or permit.grant,
            at=at,
        )
        notices_for_episode_reported(
            episode=episode, actor=actor, first=True, police=police, councils=councils
        )
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
    permit = require_write(actor, child, action=Action.RECORD_EPISODE)
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
        audit_append(
            actor=actor,
            verb=AuditVerb.MISSING_UPDATE,
            obj=update,
            child=child,
            payload={"kind": str(update_kind), "risk_grade": grade.code if grade else None},
            involvement=permit.involvement,
            grant=permit.grant,
            at=at,
        )
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
    permit = require_write(actor, child, action=Action.RECORD_EPISODE)
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
        audit_append(
            actor=actor,
            verb=AuditVerb.MISSING_CLOSED,
            obj=locked,
            child=child,
            payload={
                "found_by": str(found_by_value),
                "outside_host_area": outside_host,
                "other_force_area": other_force,
            },
            involvement=permit.involvement,
            grant=permit.grant,
            at=at,
        )
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
