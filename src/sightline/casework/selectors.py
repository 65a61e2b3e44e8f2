"""Reads of casework: the one task list (the child's tasks and the open tasks Sightline's rules
set, ``missing.Task``, in one table), "Your tasks", the placing council's overdue worklist,
meetings, the agencies involved with a child, and the child's meetings for the chronology."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from sightline.access.models import AccessGrant
from sightline.access.policy import (
    Action,
    ChildAccess,
    allowed_involvements,
    involvement_filter,
    may,
)
from sightline.casework.models import OUTSTANDING, CaseTask, StrategyMeeting
from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.timeutil import now, today
from sightline.missing.models import Task, TaskKind, TaskStatus
from sightline.organisations.models import Organisation, Role, User
from sightline.placements.models import Placement


@dataclass(frozen=True)
class TaskRow:
    """One row of the one task list: a casework task or an open task a rule set."""

    id: uuid.UUID
    set_by_rule: bool  # a ``missing.Task``: set by Sightline's rules, closed on its own page
    child: Child
    kind: str
    title: str
    organisation_id: uuid.UUID
    organisation: str
    owner: str  # the person, or the role the rule asked to act
    owner_id: int | None
    due_date: dt.date
    status: str
    status_label: str
    url: str

    @property
    def overdue(self) -> bool:
        return self.status in ("open", "in_progress") and self.due_date < today()


def _london(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


def case_task_row(task: CaseTask) -> TaskRow:
    """A casework task as a row of the one task list (the API answers with it too)."""
    return TaskRow(
        id=task.id,
        set_by_rule=False,
        child=task.child,
        kind=task.kind,
        title=task.title,
        organisation_id=task.organisation_id,
        organisation=task.organisation.name,
        owner=task.owner.get_full_name() or task.owner.username,
        owner_id=task.owner_id,
        due_date=task.due_date,
        status=task.status,
        status_label=task.get_status_display(),
        url=reverse("case_task_detail", args=[task.id]),
    )


def _role_label(role: str) -> str:
    return {value: str(label) for value, label in Role.choices}.get(
        role, "Anyone in the organisation"
    )


def _rule_row(task: Task) -> TaskRow:
    return TaskRow(
        id=task.id,
        set_by_rule=True,
        child=task.child,
        kind=task.kind,
        title=TaskKind(task.kind).label,
        organisation_id=task.assignee_id,
        organisation=task.assignee.name,
        owner=_role_label(task.assignee_role),
        owner_id=None,
        due_date=_london(task.due_at),
        status=task.status,  # open, done or cancelled: the same values as a casework task's
        status_label=TaskStatus(task.status).label,
        url=reverse("task_detail", args=[task.id]),
    )


def _ordered(rows: list[TaskRow]) -> list[TaskRow]:
    return sorted(rows, key=lambda r: (r.due_date, r.title))


def _case_tasks() -> QuerySet[CaseTask]:
    return CaseTask.objects.select_related("child", "organisation", "owner")


def _rule_tasks_visible(user: User) -> QuerySet[Task]:
    """Open rule-set tasks the user may read: its organisation's, for children it may act on
    (``missing.access.access_task``'s rule, as a filter)."""
    q = involvement_filter(user, action=Action.VIEW_TASK)
    if q is None:
        return Task.objects.none()
    return (
        Task.objects.filter(status=TaskStatus.OPEN, assignee_id=user.organisation_id)
        .filter(child__in=Child.objects.filter(q))
        .select_related("child", "assignee")
    )


def case_tasks_for_child(*, access: ChildAccess, user: User) -> list[TaskRow]:
    """The child's one task list: every casework task (any involved agency sees who is doing
    what) and the open tasks the rules set that the user's organisation holds."""
    child = access.child
    rows = [case_task_row(t) for t in _case_tasks().filter(child=child)]
    rows += [_rule_row(t) for t in _rule_tasks_visible(user).filter(child=child)]
    return _ordered(rows)


def case_tasks_for_user(*, user: User, mine_only: bool = False) -> list[TaskRow]:
    """ "Your tasks": the outstanding casework tasks the user's organisation owns (or the user
    alone) for children it may still see, and the organisation's open rule-set tasks."""
    if not user.is_active or user.organisation_id is None:
        return []
    q = involvement_filter(user, action=Action.VIEW_CASE_TASK)
    if q is None:
        return []
    tasks = _case_tasks().filter(
        status__in=OUTSTANDING,
        organisation_id=user.organisation_id,
        child__in=Child.objects.filter(q),
    )
    if mine_only:
        tasks = tasks.filter(owner=user)
    rows = [case_task_row(t) for t in tasks]
    if not mine_only:
        rows += [_rule_row(t) for t in _rule_tasks_visible(user)]
    return _ordered(rows)


def case_tasks_closed_for_user(*, user: User, since: dt.datetime) -> list[TaskRow]:
    """The one list's recently closed tasks: casework tasks the user's organisation owned and
    the rules' tasks it closed, since ``since``, for children it may still see; most recently
    closed first (the rules' tasks once had a list of their own that showed these)."""
    if not user.is_active or user.organisation_id is None:
        return []
    q = involvement_filter(user, action=Action.VIEW_CASE_TASK)
    rule_q = involvement_filter(user, action=Action.VIEW_TASK)
    closed: list[tuple[dt.datetime, TaskRow]] = []
    if q is not None:
        closed += [
            (t.closed_at, case_task_row(t))
            for t in _case_tasks().filter(
                organisation_id=user.organisation_id,
                closed_at__gte=since,
                child__in=Child.objects.filter(q),
            )
            if t.closed_at is not None and t.status not in OUTSTANDING
        ]
    if rule_q is not None:
        closed += [
            (t.completed_at, _rule_row(t))
            for t in Task.objects.filter(
                assignee_id=user.organisation_id,
                completed_at__gte=since,
                child__in=Child.objects.filter(rule_q),
            )
            .exclude(status=TaskStatus.OPEN)
            .select_related("child", "assignee")
            if t.completed_at is not None
        ]
    return [row for _, row in sorted(closed, key=lambda pair: pair[0], reverse=True)]


def case_tasks_for_owner_queryset(*, user: User) -> QuerySet[CaseTask]:
    """The outstanding casework tasks of the user's organisation, for the API's list."""
    q = involvement_filter(user, action=Action.VIEW_CASE_TASK)
    if q is None or user.organisation_id is None:
        return CaseTask.objects.none()
    return (
        _case_tasks()
        .filter(
            status__in=OUTSTANDING,
            organisation_id=user.organisation_id,
            child__in=Child.objects.filter(q),
        )
        .order_by("due_date", "created_at")
    )


def case_tasks_overdue_for_council(*, user: User) -> list[TaskRow]:
    """Every overdue task for the children the user's council placed, whichever agency owns
    it: casework tasks past their due date and the rules' open tasks past their due time. For
    the council's team managers (``VIEW_OVERDUE_TASKS``); anyone else gets nothing."""
    org = user.organisation
    if not may(user, Action.VIEW_OVERDUE_TASKS) or org is None or org.council_id is None:
        return []
    placed = Q(child__placing_council_id=org.council_id)
    rows = [
        case_task_row(t)
        for t in _case_tasks().filter(placed, status__in=OUTSTANDING, due_date__lt=today())
    ]
    rows += [
        _rule_row(t)
        for t in Task.objects.filter(
            placed, status=TaskStatus.OPEN, due_at__lt=now()
        ).select_related("child", "assignee")
    ]
    return _ordered(rows)


def organisations_involved(*, child: Child) -> list[Organisation]:
    """The agencies involved with the child today: its placing council; the host council,
    host police force and provider of its current placement; and organisations holding an
    active grant. Derived as the access policy derives involvement, never typed in."""
    on, at = today(), now()
    current = Placement.objects.filter(child=child, start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=on)
    )
    granted = AccessGrant.objects.filter(child=child, starts_at__lte=at).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=at)
    )
    return list(
        Organisation.objects.filter(
            Q(council_id=child.placing_council_id)
            | Q(council_id__in=current.values("host_council_id"))
            | Q(police_force_id__in=current.values("host_police_force_id"))
            | Q(pk__in=current.values("setting__provider_id"))
            | Q(pk__in=granted.filter(user__isnull=True).values("organisation_id"))
        ).order_by("name")
    )


def people_who_may_own(*, child: Child, organisations: list[Organisation]) -> list[User]:
    """The people of these organisations who may be given a task about the child: active users
    whose role lets them see its tasks."""
    people = User.objects.filter(organisation__in=organisations, is_active=True).select_related(
        "organisation"
    )
    return [
        person
        for person in people.order_by("organisation__name", "last_name", "first_name")
        if allowed_involvements(person, child, Action.VIEW_CASE_TASK)
    ]


def meetings_for_child(*, access: ChildAccess) -> QuerySet[StrategyMeeting]:
    return StrategyMeeting.objects.filter(child=access.child).select_related("convened_by")


def meeting_attendees(*, meeting: StrategyMeeting) -> list[Any]:
    return list(meeting.attendees.select_related("organisation", "person"))


def meeting_actions(*, meeting: StrategyMeeting) -> list[TaskRow]:
    return [case_task_row(t) for t in _case_tasks().filter(meeting=meeting)]


def chronology_items(*, child: Child, user: User) -> list[dict[str, Any]]:
    """The child's strategy meetings for the shared chronology (``chronology.registry``,
    registered at merge): only when the user may read meetings. The label counts decisions'
    actions and agencies; it never names a person or the child."""
    if not allowed_involvements(user, child, Action.VIEW_MEETING):
        return []
    items = []
    for meeting in (
        StrategyMeeting.objects.filter(child=child)
        .select_related("convened_by")
        .prefetch_related("attendees", "actions")
    ):
        agencies = len({a.organisation_id for a in meeting.attendees.all()})
        actions = len(meeting.actions.all())
        items.append(
            {
                "occurred_at": meeting.held_at,
                "kind": "meeting",
                "label": (
                    f"Strategy meeting: {agencies} agenc{'y' if agencies == 1 else 'ies'}, "
                    f"{actions} action{'' if actions == 1 else 's'}"
                ),
                "organisation_id": meeting.convened_by_id,
                "significance": "significant",
                "url": reverse("meeting_detail", args=[meeting.id]),
            }
        )
    return items
