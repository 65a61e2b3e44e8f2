"""The child's tasks and strategy meetings: ``GET /children/{id}/tasks`` (the one task list,
with the open tasks Sightline's rules set), ``GET /children/{id}/task-owners``, ``POST
/children/{id}/tasks`` (a likely duplicate answers 409 unless ``confirm_duplicate``), ``POST
/case-tasks/{id}/status``, ``POST /case-tasks/{id}/complete``, ``POST /children/{id}/meetings``
(its actions become tasks) and ``GET /case-tasks`` (your organisation's outstanding tasks).

The same services as the web pages; who may do what is the access policy's. A record that is
not there or not yours is 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, TypeAlias

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Action, ChildAccess, Rule, declare
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, Day, Moment, Paged, choice
from sightline.casework.access import CaseTaskAccess
from sightline.casework.models import CaseTask, CaseTaskKind, CaseTaskStatus
from sightline.casework.selectors import (
    TaskRow,
    case_task_row,
    case_tasks_for_child,
    case_tasks_for_owner_queryset,
    organisations_involved,
    people_who_may_own,
)
from sightline.casework.services import (
    ActionInput,
    AttendeeInput,
    LikelyDuplicate,
    case_task_set,
    case_task_status_set,
    strategy_meeting_record,
)
from sightline.core.errors import ValidationError
from sightline.organisations.models import Organisation, User

router = Router(tags=["Tasks and strategy meetings"])

if TYPE_CHECKING:
    KindIn: TypeAlias = str
    StatusIn: TypeAlias = str
else:
    KindIn = choice(CaseTaskKind.values)
    StatusIn = choice(CaseTaskStatus.values)
TEXT = 10_000
MAX_ID = 2**63 - 1  # a person's id (a 64-bit integer)


class CaseTaskOut(Schema):
    id: uuid.UUID
    child_id: uuid.UUID
    set_by_rule: bool = Field(
        description="True for a task Sightline's rules set (a strategy discussion after "
        "repeated episodes, an overdue return interview...): closed on its own page."
    )
    kind: str
    title: str
    organisation_id: uuid.UUID = Field(description="The agency that owns the task.")
    organisation: str
    owner: str = Field(description="The person who owns it, or the role a rule asked to act.")
    owner_id: int | None
    due_date: dt.date
    status: str
    overdue: bool

    @staticmethod
    def resolve_child_id(obj: TaskRow) -> uuid.UUID:
        return obj.child.id


class TaskOwnerOut(Schema):
    id: int
    name: str
    role: str
    organisation_id: uuid.UUID
    organisation: str

    @staticmethod
    def resolve_name(obj: User) -> str:
        return obj.get_full_name() or obj.username

    @staticmethod
    def resolve_organisation(obj: User) -> str:
        return obj.organisation.name if obj.organisation else ""


class TaskIn(BodyIn):
    kind: KindIn
    title: str = Field(max_length=200)
    detail: str = Field("", max_length=TEXT)
    owner_id: int = Field(
        ge=1, le=MAX_ID, description="The person who owns it (``GET .../task-owners``)."
    )
    due_date: Day
    confirm_duplicate: bool = Field(
        False,
        description="Save it although it looks like an outstanding task (409 otherwise).",
    )


class StatusChangeIn(BodyIn):
    status: StatusIn
    outcome: str = Field("", max_length=TEXT, description="Needed for done or cancelled.")


class CaseTaskCompleteIn(BodyIn):
    outcome: str = Field(max_length=TEXT, description="What was done.")


class AttendeeIn(BodyIn):
    organisation_id: uuid.UUID
    person_id: int | None = Field(None, ge=1, le=MAX_ID)


class MeetingActionIn(BodyIn):
    kind: KindIn
    title: str = Field(max_length=200)
    owner_id: int = Field(ge=1, le=MAX_ID)
    due_date: Day


class MeetingIn(BodyIn):
    held_at: Moment = Field(description="With its time zone, e.g. 2026-01-05T10:00:00Z.")
    decisions: str = Field(max_length=TEXT)
    minutes: str = Field("", max_length=5 * TEXT)
    attendees: list[AttendeeIn] = Field(max_length=100)
    actions: list[MeetingActionIn] = Field(default_factory=list, max_length=50)


class MeetingOut(Schema):
    id: uuid.UUID
    child_id: uuid.UUID
    held_at: dt.datetime
    convened_by: str
    decisions: str
    actions: list[CaseTaskOut]


def _owner(*, ident: int, access: ChildAccess, field: str) -> User:
    """A person who may own a task about the child (``people_who_may_own``)."""
    people = people_who_may_own(
        child=access.child, organisations=organisations_involved(child=access.child)
    )
    found = next((p for p in people if p.pk == ident), None)
    if found is None:
        raise ValidationError(
            "No person with this id may own a task about the child: choose one from "
            "GET /children/{child_id}/task-owners.",
            field=field,
            record=f"Child {access.child.child_ref}",
        )
    return found


@router.get(
    "/children/{child_id}/tasks",
    response={200: list[CaseTaskOut], **READ_ERRORS, 404: WRITE_ERRORS[404]},
    summary="The child's tasks: who is doing what",
)
@declare_operation(Action.VIEW_CASE_TASK, purpose="Read the child's tasks")
def list_child_tasks(request: HttpRequest, access: ChildAccess) -> list[TaskRow]:
    """Every task set for the child by any agency, with the open tasks Sightline's rules set
    that your organisation holds (``set_by_rule``), soonest due first."""
    return case_tasks_for_child(access=access, user=acting_user(request))


@router.get(
    "/children/{child_id}/task-owners",
    response={200: list[TaskOwnerOut], **READ_ERRORS, 404: WRITE_ERRORS[404]},
    summary="The people who may own a task about the child",
)
@declare_operation(Action.SET_CASE_TASK, purpose="Find who may own a task")
def list_task_owners(request: HttpRequest, access: ChildAccess) -> list[User]:
    """People in the agencies involved with the child whose role sees its tasks."""
    child = access.child
    return people_who_may_own(child=child, organisations=organisations_involved(child=child))


@router.post(
    "/children/{child_id}/tasks",
    response={201: CaseTaskOut, **WRITE_ERRORS},
    summary="Set a task for the child",
)
@declare_operation(Action.SET_CASE_TASK, purpose="Set a task for the child")
@idempotent
def set_child_task(
    request: HttpRequest,
    access: ChildAccess,
    payload: TaskIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, Any]:
    """Set a task owned by a person in an involved agency. When it looks like an outstanding
    task (the same kind, or titles sharing half their words, due within 14 days of each
    other), nothing is saved and the answer is 409: its first error says so, and each further
    error names one of those tasks (``record``: ``Task <id>``). Send it again with
    ``confirm_duplicate`` to save it anyway."""
    owner = _owner(ident=payload.owner_id, access=access, field="owner_id")
    try:
        task = case_task_set(
            actor=acting_user(request),
            child=access.child,
            kind=payload.kind,
            title=payload.title,
            detail=payload.detail,
            organisation=owner.organisation,  # type: ignore[arg-type]
            owner=owner,
            due_date=payload.due_date,
            confirm_duplicate=payload.confirm_duplicate,
            checked=access,
        )
    except LikelyDuplicate as exc:
        return 409, {
            "errors": [
                {"field": exc.field, "record": exc.record, "message": exc.message},
                *(
                    {
                        "field": exc.field,
                        "record": f"Task {d.id}",
                        "message": f"Looks like “{d.title}”, owned by {d.organisation} "
                        f"({d.owner}), due {d.due_date.isoformat()}"
                        + (": set by Sightline's rules." if d.set_by_rule else "."),
                    }
                    for d in exc.duplicates
                ),
            ]
        }
    return 201, case_task_row(task)


def _status(request: HttpRequest, access: CaseTaskAccess, *, status: str, outcome: str) -> Any:
    task = case_task_status_set(
        actor=acting_user(request), task=access.task, status=status, outcome=outcome
    )
    return case_task_row(task)


@router.post(
    "/case-tasks/{case_task_id}/status",
    response={200: CaseTaskOut, **WRITE_ERRORS},
    summary="Change a task's status",
)
@declare_operation(Action.UPDATE_CASE_TASK, kind="case_task", purpose="Change a task's status")
@idempotent
def change_task_status(
    request: HttpRequest,
    access: CaseTaskAccess,
    payload: StatusChangeIn,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Move a task your organisation owns on: in progress, back to open, done or cancelled
    (these two with the outcome, and final). Another agency's task is 404."""
    return _status(request, access, status=payload.status, outcome=payload.outcome)


@router.post(
    "/case-tasks/{case_task_id}/complete",
    response={200: CaseTaskOut, **WRITE_ERRORS},
    summary="Complete a task",
)
@declare_operation(Action.UPDATE_CASE_TASK, kind="case_task", purpose="Complete a task")
@idempotent
def complete_case_task(
    request: HttpRequest,
    access: CaseTaskAccess,
    payload: CaseTaskCompleteIn,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Mark a task your organisation owns as done, with what was done."""
    return _status(request, access, status=CaseTaskStatus.DONE, outcome=payload.outcome)


@router.post(
    "/children/{child_id}/meetings",
    response={201: MeetingOut, **WRITE_ERRORS},
    summary="Record a strategy meeting and its actions",
)
@declare_operation(Action.RECORD_MEETING, purpose="Record a strategy meeting")
@idempotent
def record_meeting(
    request: HttpRequest,
    access: ChildAccess,
    payload: MeetingIn,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, dict[str, Any]]:
    """Record a strategy meeting: when, which agencies came (and who for each), decisions and
    minutes. Each action becomes a task owned by its person's agency."""
    attendees = []
    for n, a in enumerate(payload.attendees):
        org = Organisation.objects.filter(pk=a.organisation_id).first()
        if org is None:
            raise ValidationError(
                "No organisation with this id.", field=f"attendees[{n}].organisation_id"
            )
        person = None
        if a.person_id is not None:
            person = User.objects.filter(pk=a.person_id, organisation=org, is_active=True).first()
            if person is None:
                raise ValidationError(
                    "No person with this id works for that organisation.",
                    field=f"attendees[{n}].person_id",
                )
        attendees.append(AttendeeInput(organisation=org, person=person))
    actions = []
    for n, action in enumerate(payload.actions):
        owner = _owner(ident=action.owner_id, access=access, field=f"actions[{n}].owner_id")
        actions.append(
            ActionInput(
                kind=action.kind,
                title=action.title,
                organisation=owner.organisation,  # type: ignore[arg-type]
                owner=owner,
                due_date=action.due_date,
            )
        )
    meeting = strategy_meeting_record(
        actor=acting_user(request),
        child=access.child,
        held_at=payload.held_at,
        decisions=payload.decisions,
        minutes=payload.minutes,
        attendees=attendees,
        actions=actions,
        checked=access,
    )
    tasks = CaseTask.objects.filter(meeting=meeting).select_related(
        "child", "organisation", "owner"
    )
    return 201, {
        "id": meeting.id,
        "child_id": meeting.child_id,
        "held_at": meeting.held_at,
        "convened_by": meeting.convened_by.name,
        "decisions": meeting.decisions,
        "actions": [case_task_row(t) for t in tasks],
    }


@router.get(
    "/case-tasks",
    response={200: list[CaseTaskOut], **READ_ERRORS},
    summary="Your organisation's outstanding tasks",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=lambda row: row.child.id)
def list_case_tasks(request: HttpRequest) -> list[TaskRow]:
    """The open and in-progress tasks your organisation owns, soonest due first, for children
    it may still see."""
    return [case_task_row(t) for t in case_tasks_for_owner_queryset(user=acting_user(request))]
