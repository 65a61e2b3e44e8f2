"""Tasks the missing services set an organisation (strategy discussions, high-risk reviews,
overdue return interviews...): ``GET /tasks``, ``GET /tasks/{id}`` and ``POST
/tasks/{id}/complete``.

A task is its assignee organisation's: another organisation's, or one about a child the key
may no longer see, is 404 (``missing.access.access_task``). Completing it is the same service
as the web page's (``task_complete``, the policy's ``CLOSE_TASK``).
"""

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Action, Rule, declare
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, Paged, choice
from sightline.api.selectors import task_for_api, tasks_for_api
from sightline.missing.access import TaskAccess
from sightline.missing.models import Task, TaskKind, TaskStatus
from sightline.missing.services import task_complete

router = Router(tags=["Tasks"])

if TYPE_CHECKING:
    Status: TypeAlias = str
else:
    Status = choice(TaskStatus.values)


class TaskChildOut(Schema):
    id: uuid.UUID
    child_ref: str
    first_name: str
    last_name: str


class TaskOut(Schema):
    id: uuid.UUID
    kind: str = Field(description="What the task is, as a code.")
    title: str = Field(description="What the task is, in words.")
    child: TaskChildOut
    assignee_role: str = Field(description="The role in your organisation that should act.")
    due_at: dt.datetime
    status: str = Field(description="open, done or cancelled.")
    episode_id: uuid.UUID | None = Field(description="The episode that set the task.")
    interview_id: uuid.UUID | None = Field(description="The overdue interview that set it.")
    detail: str
    completed_at: dt.datetime | None
    completed_by: str | None
    outcome: str = Field(description="What was done.")

    @staticmethod
    def resolve_title(obj: Task) -> str:
        return str(TaskKind(obj.kind).label)

    @staticmethod
    def resolve_episode_id(obj: Task) -> uuid.UUID | None:
        return obj.created_from_id

    @staticmethod
    def resolve_completed_by(obj: Task) -> str | None:
        user = obj.completed_by
        return (user.get_full_name() or user.username) if user else None


class TaskQuery(Schema):
    status: Status | None = Field(None, description="Only tasks in this status; all if left out.")


class TaskCompleteIn(BodyIn):
    status: Literal["done", "cancelled"] = Field(
        "done", description="done: it was done; cancelled: it is no longer needed."
    )
    outcome: str = Field("", max_length=10_000, description="What was done, or why not.")


@router.get(
    "/tasks",
    response={200: list[TaskOut], **READ_ERRORS},
    summary="List your organisation's tasks",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=lambda task: task.child_id)
def list_tasks(request: HttpRequest, filters: Query[TaskQuery]) -> QuerySet[Task]:
    """Tasks assigned to your organisation, soonest due first, of children your key may see
    today."""
    return tasks_for_api(user=acting_user(request), status=filters.status)


@router.get(
    "/tasks/{task_id}",
    response={200: TaskOut, 404: ErrorsOut, **READ_ERRORS},
    summary="Get one task",
)
@declare_operation(Action.VIEW_TASK, kind="task", purpose="Read a task through the API")
def get_task(request: HttpRequest, access: TaskAccess) -> Task:
    """One task of your organisation, through the access policy (the read is on the access
    log)."""
    return access.task


@router.post(
    "/tasks/{task_id}/complete",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Close a task: done or cancelled",
)
@declare_operation(Action.CLOSE_TASK, kind="task", purpose="Close a task")
@idempotent
def complete_task(
    request: HttpRequest,
    access: TaskAccess,
    payload: TaskCompleteIn,
    idempotency_key: IdempotencyKey = None,
) -> Task:
    """Record what was done and close the task, once: a closed task answers 422."""
    task_complete(
        actor=acting_user(request),
        task=access.task,
        outcome=payload.outcome,
        status=payload.status,
    )
    return task_for_api(task_id=access.task.id)
