"""Writes of casework: setting a task for the child (flagging a likely duplicate before it is
saved), moving its status on, recording a strategy meeting whose actions become tasks, and
escalating overdue tasks to the owner's managers.

Every rule lives here; the form, the API and the meeting call the same functions.

**Likely duplicates** (``case_task_duplicates``). A new task is likely the same action as an
outstanding one (open or in progress, set for the same child, by any agency; or an open task
Sightline's rules set) when both hold:

* *alike*: the same kind (other than "Something else"), or titles that share at least half of
  their meaningful words (lower case, words of three letters or more outside a short list of
  common words, a plural ``s`` dropped; Jaccard index >= 0.5); and
* *due together*: due dates no more than ``DUPLICATE_WINDOW_DAYS`` (14) days apart.

``case_task_set`` then refuses with ``LikelyDuplicate`` (naming the tasks) unless the person
setting it confirms (``confirm_duplicate``): the new task is saved with the first one it looked
like recorded beside it. A strategy meeting's actions are agreed by the agencies present, so a
look-alike is recorded beside the action, never refused.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from sightline.access.policy import (
    Action,
    ChildAccess,
    allowed_involvements,
    require_write,
    roles_that_may,
)
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.casework.models import (
    FINAL,
    OUTSTANDING,
    CaseTask,
    CaseTaskKind,
    CaseTaskStatus,
    MeetingAttendee,
    StrategyMeeting,
)
from sightline.casework.notices import overdue_notice
from sightline.casework.selectors import organisations_involved
from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.core.timeutil import today
from sightline.missing.models import Task, TaskKind, TaskStatus
from sightline.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

DUPLICATE_WINDOW_DAYS = 14
TITLE_SIMILARITY = 0.5
TITLE_MAX = 200
DETAIL_MAX = 10_000
# Due dates more than this far ahead are typing mistakes.
LATEST_DUE = dt.timedelta(days=3 * 366)

_STOPWORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "about",
        "from",
        "into",
        "this",
        "that",
        "then",
        "than",
        "are",
        "was",
        "were",
        "will",
        "shall",
        "has",
        "have",
        "had",
        "her",
        "his",
        "their",
        "they",
        "them",
        "him",
        "she",
        "our",
        "your",
        "who",
        "what",
        "when",
        "where",
        "which",
        "why",
        "how",
        "all",
        "any",
        "each",
        "child",
        "childs",
        "young",
        "person",
    }
)
# The rules' tasks, as the kind of casework task each would duplicate.
RULE_KINDS: dict[str, str] = {
    TaskKind.STRATEGY_DISCUSSION: CaseTaskKind.MEETING,
    TaskKind.HIGH_RISK_REVIEW: CaseTaskKind.SAFETY_PLAN,
    TaskKind.EXPLOITATION_SCREENING: CaseTaskKind.SCREENING,
    TaskKind.INTERVIEW_OVERDUE: CaseTaskKind.RETURN_INTERVIEW,
}


def _record(child: Child) -> str:
    return f"Child {child.child_ref}"


def _words(title: str) -> frozenset[str]:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return frozenset(
        w[:-1] if w.endswith("s") and len(w) > 3 else w
        for w in words
        if len(w) >= 3 and w not in _STOPWORDS
    )


def titles_alike(a: str, b: str) -> bool:
    """Whether two titles share at least half of their meaningful words."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= TITLE_SIMILARITY


def _alike(kind: str, title: str, other_kind: str, other_title: str) -> bool:
    return (kind == other_kind and kind != CaseTaskKind.OTHER) or titles_alike(title, other_title)


@dataclass(frozen=True)
class Duplicate:
    """An outstanding task a new one looks like."""

    id: uuid.UUID
    set_by_rule: bool
    title: str
    organisation: str
    owner: str
    due_date: dt.date


class LikelyDuplicate(ValidationError):
    """The task looks like one already set: say so, name them, save nothing."""

    def __init__(self, *, child: Child, duplicates: list[Duplicate]):
        first = duplicates[0]
        super().__init__(
            f"This looks like a task already set: “{first.title}”, owned by "
            f"{first.organisation}, due {first.due_date:%-d %B %Y}. Confirm that it is a "
            "different task, or open the existing one.",
            field="confirm_duplicate",
            record=_record(child),
        )
        self.duplicates = duplicates


def case_task_duplicates(
    *, child: Child, kind: str, title: str, due_date: dt.date, viewer: User | None = None
) -> list[Duplicate]:
    """The outstanding tasks for the child that a new task like this one would duplicate
    (the rule is in this module's docstring), soonest due first. Tasks set by Sightline's
    rules count only when they are the ``viewer``'s organisation's: the others are not the
    viewer's to read (``missing.access.access_task``), and the answer names them."""
    window = dt.timedelta(days=DUPLICATE_WINDOW_DAYS)
    found = [
        Duplicate(
            id=t.id,
            set_by_rule=False,
            title=t.title,
            organisation=t.organisation.name,
            owner=t.owner.get_full_name() or t.owner.username,
            due_date=t.due_date,
        )
        for t in CaseTask.objects.filter(
            child=child,
            status__in=OUTSTANDING,
            due_date__gte=due_date - window,
            due_date__lte=due_date + window,
        ).select_related("organisation", "owner")
        if _alike(kind, title, t.kind, t.title)
    ]
    rule_tasks = Task.objects.filter(
        child=child,
        status=TaskStatus.OPEN,
        assignee_id=viewer.organisation_id if viewer is not None else None,
    ).select_related("assignee")
    for rule_task in rule_tasks:
        due = rule_task.due_at.astimezone(LONDON).date()
        label = str(TaskKind(rule_task.kind).label)
        if abs(due - due_date) <= window and _alike(
            kind, title, RULE_KINDS.get(rule_task.kind, ""), label
        ):
            found.append(
                Duplicate(
                    id=rule_task.id,
                    set_by_rule=True,
                    title=label,
                    organisation=rule_task.assignee.name,
                    owner="Set by Sightline's rules",
                    due_date=due,
                )
            )
    return sorted(found, key=lambda d: d.due_date)


def _check_task(
    *,
    child: Child,
    kind: str,
    title: str,
    detail: str,
    organisation: Organisation,
    owner: User,
    due_date: dt.date,
    involved: Iterable[Organisation],
    field_prefix: str = "",
) -> tuple[str, str]:
    record = _record(child)
    title, detail = title.strip(), detail.strip()
    if kind not in CaseTaskKind.values:
        raise ValidationError(
            "Choose what kind of task it is.", field=f"{field_prefix}kind", record=record
        )
    if not title:
        raise ValidationError(
            "Enter what needs to be done.", field=f"{field_prefix}title", record=record
        )
    if len(title) > TITLE_MAX:
        raise ValidationError(
            f"Enter what needs to be done in {TITLE_MAX} characters or fewer.",
            field=f"{field_prefix}title",
            record=record,
        )
    if len(detail) > DETAIL_MAX:
        raise ValidationError(
            f"Enter the detail in {DETAIL_MAX} characters or fewer.",
            field=f"{field_prefix}detail",
            record=record,
        )
    if due_date < today():
        raise ValidationError(
            "The due date must be today or in the future.",
            field=f"{field_prefix}due_date",
            record=record,
        )
    if due_date > today() + LATEST_DUE:
        raise ValidationError(
            "The due date must be within the next three years.",
            field=f"{field_prefix}due_date",
            record=record,
        )
    if organisation.pk not in {o.pk for o in involved}:
        raise ValidationError(
            f"{organisation.name} is not involved with this child: a task goes to an agency "
            "that is.",
            field=f"{field_prefix}organisation",
            record=record,
        )
    if (
        not owner.is_active
        or owner.organisation_id != organisation.pk
        or not allowed_involvements(owner, child, Action.VIEW_CASE_TASK)
    ):
        raise ValidationError(
            f"Choose a person in {organisation.name} who can see this child's record to own "
            "the task.",
            field=f"{field_prefix}owner",
            record=record,
        )
    return title, detail


def _create_task(
    *,
    actor: User,
    child: Child,
    kind: str,
    title: str,
    detail: str,
    organisation: Organisation,
    owner: User,
    due_date: dt.date,
    beside: Duplicate | None,
    meeting: StrategyMeeting | None,
    permit: ChildAccess,
) -> CaseTask:
    task = CaseTask.objects.create(
        child=child,
        kind=kind,
        title=title,
        detail=detail,
        organisation=organisation,
        owner=owner,
        due_date=due_date,
        meeting=meeting,
        confirmed_beside_id=beside.id if beside is not None and not beside.set_by_rule else None,
        created_by=actor,
    )
    audit_append(
        actor=actor,
        verb=AuditVerb.CASE_TASK_SET,
        obj=task,
        child=child,
        payload={
            "kind": kind,
            "organisation_id": str(organisation.pk),
            "owner_id": str(owner.pk),
            "due_date": due_date.isoformat(),
            "beside": str(beside.id) if beside is not None else None,
            "meeting_id": str(meeting.pk) if meeting is not None else None,
        },
        involvement=permit.involvement,
        grant=permit.grant,
    )
    return task


def case_task_set(
    *,
    actor: User,
    child: Child,
    kind: str,
    title: str,
    detail: str = "",
    organisation: Organisation,
    owner: User,
    due_date: dt.date,
    confirm_duplicate: bool = False,
    checked: ChildAccess | None = None,
) -> CaseTask:
    """Set a task for the child, owned by an involved agency and a person in it.

    Raises ``LikelyDuplicate`` when it looks like an outstanding task (module docstring)
    unless ``confirm_duplicate``; ``ValidationError`` naming the field for bad input;
    ``NotFoundOrNotAllowed`` when the actor may not set tasks for the child."""
    with transaction.atomic():
        permit = require_write(actor, child, action=Action.SET_CASE_TASK, checked=checked)
        # One task set at a time per child, so two people cannot both miss each other's.
        Child.objects.select_for_update().filter(pk=child.pk).first()
        title, detail = _check_task(
            child=child,
            kind=kind,
            title=title,
            detail=detail,
            organisation=organisation,
            owner=owner,
            due_date=due_date,
            involved=organisations_involved(child=child),
        )
        duplicates = case_task_duplicates(
            child=child, kind=kind, title=title, due_date=due_date, viewer=actor
        )
        if duplicates and not confirm_duplicate:
            raise LikelyDuplicate(child=child, duplicates=duplicates)
        task = _create_task(
            actor=actor,
            child=child,
            kind=kind,
            title=title,
            detail=detail,
            organisation=organisation,
            owner=owner,
            due_date=due_date,
            beside=duplicates[0] if duplicates else None,
            meeting=None,
            permit=permit,
        )
    transaction.on_commit(
        lambda: logger.info(
            "case task id=%s set child=%s organisation=%s actor=%s",
            task.id,
            child.id,
            organisation.id,
            actor.id,
        )
    )
    return task


# Which statuses each status may move to. Done and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseTaskStatus.OPEN: frozenset({CaseTaskStatus.IN_PROGRESS, *FINAL}),
    CaseTaskStatus.IN_PROGRESS: frozenset({CaseTaskStatus.OPEN, *FINAL}),
    CaseTaskStatus.DONE: frozenset(),
    CaseTaskStatus.CANCELLED: frozenset(),
}


def case_task_status_set(
    *,
    actor: User,
    task: CaseTask,
    status: str,
    outcome: str = "",
    checked: ChildAccess | None = None,
) -> CaseTask:
    """Move a task on (in progress, done, cancelled, or back to open), by someone in the
    organisation that owns it. Done and cancelled need the outcome (what was done, or why it
    is no longer needed) and are final."""
    record = _record(task.child)
    if status not in CaseTaskStatus.values:
        raise ValidationError(
            "Choose open, in progress, done or cancelled.", field="status", record=record
        )
    outcome = outcome.strip()
    if status in FINAL and not outcome:
        raise ValidationError(
            "Enter what was done, or why the task is no longer needed.",
            field="outcome",
            record=record,
        )
    if len(outcome) > DETAIL_MAX:
        raise ValidationError(
            f"Enter the outcome in {DETAIL_MAX} characters or fewer.",
            field="outcome",
            record=record,
        )
    with transaction.atomic():
        locked = CaseTask.objects.select_for_update().select_related("child").get(pk=task.pk)
        permit = require_write(actor, locked.child, action=Action.UPDATE_CASE_TASK, checked=checked)
        if actor.organisation_id != locked.organisation_id:
            raise NotFoundOrNotAllowed()
        old = locked.status
        if status == old:
            raise ValidationError(
                f"The task is already {locked.get_status_display().lower()}.",
                field="status",
                record=record,
            )
        if status not in TRANSITIONS[old]:
            raise ValidationError(
                f"The task is {locked.get_status_display().lower()}: it cannot change now.",
                field="status",
                record=record,
            )
        locked.status = status
        if status in FINAL:
            locked.closed_at = current_time()
            locked.closed_by = actor
            locked.outcome = outcome
        locked.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.CASE_TASK_STATUS_CHANGED,
            obj=locked,
            child=locked.child_id,
            payload={"old_status": str(old), "new_status": str(status)},
            involvement=permit.involvement,
            grant=permit.grant,
        )
    transaction.on_commit(
        lambda: logger.info("case task id=%s %s->%s actor=%s", task.id, old, status, actor.id)
    )
    return locked


@dataclass(frozen=True)
class AttendeeInput:
    organisation: Organisation
    person: User | None = None


@dataclass(frozen=True)
class ActionInput:
    """One action a meeting agreed: it becomes a task owned by the organisation and person."""

    kind: str
    title: str
    organisation: Organisation
    owner: User
    due_date: dt.date
    detail: str = ""


def strategy_meeting_record(
    *,
    actor: User,
    child: Child,
    held_at: dt.datetime,
    decisions: str,
    minutes: str = "",
    attendees: list[AttendeeInput],
    actions: list[ActionInput],
    checked: ChildAccess | None = None,
) -> StrategyMeeting:
    """Record a strategy meeting: when, who came for which agency, what was decided, the
    minutes, and its actions, each a task for the child owned by an agency and a person."""
    record = _record(child)
    decisions, minutes = decisions.strip(), minutes.strip()
    if held_at.tzinfo is None or held_at.utcoffset() is None:
        raise ValidationError("Give the time with its time zone.", field="held_at", record=record)
    if held_at > current_time() + dt.timedelta(minutes=5):
        raise ValidationError(
            "Record a meeting once it has been held: the date cannot be in the future.",
            field="held_at",
            record=record,
        )
    if not decisions:
        raise ValidationError("Enter what the meeting decided.", field="decisions", record=record)
    if len(decisions) > DETAIL_MAX or len(minutes) > 5 * DETAIL_MAX:
        raise ValidationError(
            "The decisions or the minutes are too long.", field="decisions", record=record
        )
    if not attendees:
        raise ValidationError(
            "Add the agencies that came to the meeting.", field="attendees", record=record
        )
    with transaction.atomic():
        permit = require_write(actor, child, action=Action.RECORD_MEETING, checked=checked)
        if actor.organisation is None:
            raise NotFoundOrNotAllowed()
        # Agencies at the meeting need not be involved with the child (a school, a health
        # body): they are recorded as they came. Its actions go to involved agencies only.
        involved = organisations_involved(child=child)
        for n, attendee in enumerate(attendees):
            person = attendee.person
            if person is not None and person.organisation_id != attendee.organisation.pk:
                raise ValidationError(
                    f"The person at the meeting for {attendee.organisation.name} must work there.",
                    field=f"attendees[{n}].person_id",
                    record=record,
                )
        checked_actions = []
        for n, action in enumerate(actions):
            title, detail = _check_task(
                child=child,
                kind=action.kind,
                title=action.title,
                detail=action.detail,
                organisation=action.organisation,
                owner=action.owner,
                due_date=action.due_date,
                involved=involved,
                field_prefix=f"actions[{n}].",
            )
            checked_actions.append((action, title, detail))
        meeting = StrategyMeeting.objects.create(
            child=child,
            held_at=held_at,
            convened_by=actor.organisation,
            decisions=decisions,
            minutes=minutes,
            recorded_by=actor,
        )
        seen: set[tuple[object, object]] = set()
        rows = []
        for attendee in attendees:
            key = (attendee.organisation.pk, attendee.person.pk if attendee.person else None)
            if key not in seen:
                seen.add(key)
                rows.append(
                    MeetingAttendee(
                        meeting=meeting, organisation=attendee.organisation, person=attendee.person
                    )
                )
        MeetingAttendee.objects.bulk_create(rows)
        for action, title, detail in checked_actions:
            duplicates = case_task_duplicates(
                child=child, kind=action.kind, title=title, due_date=action.due_date, viewer=actor
            )
            _create_task(
                actor=actor,
                child=child,
                kind=action.kind,
                title=title,
                detail=detail,
                organisation=action.organisation,
                owner=action.owner,
                due_date=action.due_date,
                beside=duplicates[0] if duplicates else None,
                meeting=meeting,
                permit=permit,
            )
        audit_append(
            actor=actor,
            verb=AuditVerb.STRATEGY_MEETING_RECORDED,
            obj=meeting,
            child=child,
            payload={
                "attendees": len(rows),
                "organisations": len({r.organisation_id for r in rows}),
                "actions": len(checked_actions),
            },
            involvement=permit.involvement,
            grant=permit.grant,
        )
    transaction.on_commit(
        lambda: logger.info(
            "strategy meeting id=%s child=%s actions=%s actor=%s",
            meeting.id,
            child.id,
            len(checked_actions),
            actor.id,
        )
    )
    return meeting


# How many overdue tasks one run escalates; the next cycle carries on.
ESCALATE_PER_RUN = 200


def case_tasks_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Tell the owner's managers of every outstanding task past its due date, once per due
    date: a notice through the outbox to the owning organisation, e-mailed to the people whose
    role receives its escalations (a council's team managers, a provider's home managers, a
    police force's administrators). For the worker's cycle; idempotent: the task is locked and
    ``escalated_for`` set in the notice's transaction, and the notice's idempotency key names
    the task and its due date. Returns how many it escalated."""
    at = now or current_time()
    day = at.astimezone(LONDON).date()
    overdue = list(
        CaseTask.objects.filter(status__in=OUTSTANDING, due_date__lt=day)
        .exclude(escalated_for=F("due_date"))
        .order_by("due_date")
        .values_list("pk", flat=True)[:ESCALATE_PER_RUN]
    )
    done = 0
    for pk in overdue:
        with transaction.atomic():
            task = (
                CaseTask.objects.select_for_update()
                .select_related("child", "organisation", "owner")
                .get(pk=pk)
            )
            if not task.is_outstanding or task.due_date >= day:
                continue
            if task.escalated_for == task.due_date:
                continue
            org = task.organisation
            managers = list(
                User.objects.filter(
                    organisation=org,
                    is_active=True,
                    role__in=list(roles_that_may(Action.RECEIVE_ESCALATION, kind=org.kind)),
                )
            )
            overdue_notice(task=task, people=managers)
            task.escalated_for = task.due_date
            task.save(update_fields=["escalated_for", "updated_at"])
            audit_append(
                actor=None,
                verb=AuditVerb.CASE_TASK_ESCALATED,
                obj=task,
                child=task.child_id,
                payload={"due_date": task.due_date.isoformat(), "managers": len(managers)},
                organisation=org,
                purpose="Task overdue: escalated to the owner's managers",
            )
        done += 1
        logger.info("case task id=%s overdue: escalated to organisation id=%s", pk, org.id)
    return done
