"""Return home interviews: offered, accepted or declined, held (findings), and escalated when
not held in time."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from sightline.access.models import GrantReason
from sightline.access.policy import Action, ChildAccess, grant_create, require_write
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.calendar import add_working_days, end_of_day
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.geography.selectors import postcode_place
from sightline.missing import conf
from sightline.missing.models import (
    OUTSTANDING_INTERVIEW,
    Episode,
    InterviewEvent,
    InterviewInformation,
    InterviewPerson,
    InterviewPlace,
    InterviewServiceConfig,
    InterviewStatus,
    ReturnInterview,
    Task,
    TaskKind,
)
from sightline.missing.services._common import CLOCK_TOLERANCE, _aware, _log_on_commit, _london_date
from sightline.organisations.models import Organisation, Role, User
from sightline.organisations.services import (
    organisation_for_council,
)

logger = logging.getLogger(__name__)


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


def _require_interviewer(actor: User, interview: ReturnInterview) -> ChildAccess:
    """The interviewing service or the placing council, in a role the policy allows."""
    permit = require_write(actor, interview.child, action=Action.RECORD_INTERVIEW)
    placing = organisation_for_council(council=interview.child.placing_council)
    if actor.organisation_id not in (interview.service_id, placing.pk):
        raise NotFoundOrNotAllowed()
    return permit


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
    permit = _require_interviewer(actor, interview)
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
    audit_append(
        actor=actor,
        verb=AuditVerb.INTERVIEW_RECORDED,
        obj=locked,
        child=locked.child_id,
        payload={"status": str(status)},
        involvement=permit.involvement,
        grant=permit.grant,
    )
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
    permit = require_write(actor, interview.child, action=Action.ADD_INTERVIEW_INFORMATION)
    with transaction.atomic():
        info = InterviewInformation.objects.create(
            interview=interview,
            text=text.strip(),
            supplied_by=supplied_by.strip()[:200],
            recorded_by=actor,
            recorded_by_organisation=actor.organisation,
            recorded_at=current_time(),
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.INTERVIEW_INFORMATION_ADDED,
            obj=info,
            child=interview.child_id,
            payload={"interview_id": str(interview.id)},
            involvement=permit.involvement,
            grant=permit.grant,
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
        permit = _require_interviewer(actor, interview)
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
            audit_append(
                actor=actor,
                verb=AuditVerb.INTERVIEW_EPISODE_ADDED,
                obj=locked,
                child=locked.child_id,
                payload={"episode_id": str(episode.id)},
                involvement=permit.involvement,
                grant=permit.grant,
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
