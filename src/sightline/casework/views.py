"""Casework on the web: the child's one task list and meetings, setting a task (a likely
duplicate is flagged before it is saved), a task's page where its owning agency moves it on,
recording a strategy meeting whose actions become tasks, "Your tasks", and the placing
council's overdue worklist. Views parse and render; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.summary_list import GovUKSummaryList
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import POLICY, Action, ChildAccess, Rule, declare, involvements_of, may
from sightline.audit.lists import children_shown, lists_children
from sightline.casework.access import CaseTaskAccess, MeetingAccess
from sightline.casework.forms import CaseTaskForm, CaseTaskStatusForm, MeetingForm, person_label
from sightline.casework.models import CaseTaskKind
from sightline.casework.selectors import (
    TaskRow,
    case_tasks_closed_for_user,
    case_tasks_for_child,
    case_tasks_for_user,
    case_tasks_overdue_for_council,
    meeting_actions,
    meeting_attendees,
    meetings_for_child,
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
from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now, today
from sightline.core.views import (
    error_summary,
    long_date,
    page,
    page_not_found,
    table_cell,
    table_head,
    tag,
    when,
)
from sightline.missing.views import save_checked
from sightline.organisations.models import User

# How long a closed task stays in "Your tasks" (as on the rules' own list it replaced).
CLOSED_SHOWN_DAYS = 30


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


def _age(child: Child) -> int:
    return age_on(child.date_of_birth, today())


def _summary(form: Any) -> Any:
    summary = error_summary(form)
    if summary is not None and form.language_warning:
        codes = {e.code for errors in form.errors.as_data().values() for e in errors}
        if codes == {"language"}:
            summary.titleText = "Check the wording before you save"
    return summary


def status_tag(row: TaskRow) -> str:
    if row.overdue:
        return tag("Overdue", "red")
    colour = {"open": "blue", "in_progress": "light-blue", "done": "green", "cancelled": "grey"}
    return tag(row.status_label, colour.get(row.status, "grey"))


def tasks_table(rows: list[TaskRow], *, caption: str, with_child: bool = False) -> GovUKTable:
    """The one task list: casework tasks and the rules' tasks in one table, the rules' marked."""
    head = [table_head("Task")]
    if with_child:
        head += [table_head("Child")]
    head += [table_head("Owner"), table_head("Due"), table_head("Status")]
    body = []
    for r in rows:
        title = format_html('<a class="govuk-link" href="{}">{}</a>', r.url, r.title)
        if r.set_by_rule:
            title = format_html(
                '{} <strong class="govuk-tag govuk-tag--purple">Set by Sightline</strong>', title
            )
        cells = [table_cell(html=title)]
        if with_child:
            cells.append(table_cell(f"{r.child.full_name} ({r.child.child_ref})"))
        cells += [
            table_cell(f"{r.owner}, {r.organisation}"),
            table_cell(long_date(r.due_date)),
            table_cell(html=status_tag(r)),
        ]
        body.append(cells)
    return GovUKTable(
        caption=caption,
        captionClasses="govuk-table__caption--m",
        head=head,
        rows=body,
        classes="app-table--compact",
    )


@declare(Rule.CHILD, action=Action.VIEW_CASE_TASK, purpose="See the child's tasks and meetings")
@login_required
def child_tasks(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The child's one task list (who is doing what, every agency) and its strategy meetings."""
    user = _user(request)
    child = access.child
    rows = case_tasks_for_child(access=access, user=user)
    found = involvements_of(user, access)
    can = {
        action: bool(POLICY[action].get(user.role, set()) & found)
        for action in (Action.SET_CASE_TASK, Action.RECORD_MEETING, Action.VIEW_MEETING)
    }
    meetings = list(meetings_for_child(access=access)) if can[Action.VIEW_MEETING] else []
    return page(
        request,
        "casework/child_tasks.html",
        {
            "child": child,
            "table": tasks_table(rows, caption="Tasks") if rows else None,
            "meetings": meetings,
            "can_set": can[Action.SET_CASE_TASK],
            "can_meet": can[Action.RECORD_MEETING],
        },
    )


@declare(Rule.CHILD, action=Action.SET_CASE_TASK, purpose="Set a task for the child")
@login_required
def case_task_new(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """Set a task. A task that looks like one already set comes back with the existing tasks,
    a link to each, and a box to confirm that it is a different task."""
    user = _user(request)
    child = access.child
    people = people_who_may_own(child=child, organisations=organisations_involved(child=child))
    form = CaseTaskForm(
        request.POST if request.method == "POST" else None, people=people, child_age=_age(child)
    )
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        owner = form.owner()

        def save() -> Any:
            try:
                return case_task_set(
                    actor=user,
                    child=child,
                    kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"],
                    detail=form.cleaned_data["detail"],
                    organisation=owner.organisation,  # type: ignore[arg-type]
                    owner=owner,
                    due_date=form.cleaned_data["due_date"],
                    confirm_duplicate=bool(form.cleaned_data.get("confirm_duplicate")),
                    checked=access,
                )
            except LikelyDuplicate as exc:
                # Shown with the tasks it looks like, and the box to confirm (unticked).
                duplicates.extend(exc.duplicates)
                form.ask_to_confirm()
                raise

        try:
            task = save_checked(form, user=user, record_kind="casework.task", save=save)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if task is not None:
            messages.success(request, "Task saved")
            return redirect("child_tasks", child_id=child.id)
    return page(
        request,
        "casework/case_task_new.html",
        {
            "child": child,
            "form": form,
            "duplicates": [
                {
                    "title": d.title,
                    "who": f"{d.owner}, {d.organisation}",
                    "due": long_date(d.due_date),
                    "url": reverse(
                        "task_detail" if d.set_by_rule else "case_task_detail", args=[d.id]
                    ),
                }
                for d in duplicates
            ],
            "error_summary": _summary(form),
        },
    )


def _task_summary(access: CaseTaskAccess) -> GovUKSummaryList:
    task = access.task
    rows: list[dict[str, Any]] = [
        {"key": {"text": "Task"}, "value": {"text": task.title}},
        {"key": {"text": "Kind"}, "value": {"text": CaseTaskKind(task.kind).label}},
        {"key": {"text": "Detail"}, "value": {"text": task.detail or "None given"}},
        {"key": {"text": "Owner"}, "value": {"text": person_label(task.owner)}},
        {"key": {"text": "Due"}, "value": {"text": long_date(task.due_date)}},
        {"key": {"text": "Status"}, "value": {"text": task.get_status_display()}},
        {"key": {"text": "Set by"}, "value": {"text": person_label(task.created_by)}},
    ]
    if task.meeting_id:
        rows.append(
            {
                "key": {"text": "From"},
                "value": {
                    "html": format_html(
                        '<a class="govuk-link" href="{}">The strategy meeting on {}</a>',
                        reverse("meeting_detail", args=[task.meeting_id]),
                        long_date(task.meeting.held_at.date()),  # type: ignore[union-attr]
                    )
                },
            }
        )
    if task.closed_at:
        rows.append(
            {
                "key": {"text": "Closed"},
                "value": {"text": f"{when(task.closed_at)}: {task.outcome}"},
            }
        )
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


@declare(Rule.CHILD, action=Action.VIEW_CASE_TASK, kind="case_task", purpose="See a task")
@login_required
def case_task_detail(request: HttpRequest, access: CaseTaskAccess) -> HttpResponse:
    """One task: every involved agency sees it; its owning agency moves it on here."""
    user = _user(request)
    task = access.task
    ours = task.is_outstanding and user.organisation_id == task.organisation_id
    form = None
    if ours:
        form = CaseTaskStatusForm(
            request.POST if request.method == "POST" else None,
            current=task.status,
            child_age=_age(task.child),
        )
        if request.method == "POST" and form.is_valid():
            try:
                saved = save_checked(
                    form,
                    user=user,
                    record_kind="casework.task",
                    save=lambda: case_task_status_set(
                        actor=user,
                        task=task,
                        status=form.cleaned_data["status"],
                        outcome=form.cleaned_data["outcome"],
                    ),
                )
            except NotFoundOrNotAllowed:
                return page_not_found(request)
            if saved is not None:
                messages.success(request, "Task updated")
                return redirect("case_task_detail", case_task_id=task.id)
    elif request.method == "POST":
        return redirect("case_task_detail", case_task_id=task.id)
    return page(
        request,
        "casework/case_task_detail.html",
        {
            "task": task,
            "child": task.child,
            "summary": _task_summary(access),
            "form": form,
            "error_summary": _summary(form) if form is not None else None,
        },
    )


@declare(Rule.CHILD, action=Action.RECORD_MEETING, purpose="Record a strategy meeting")
@login_required
def meeting_new(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """Record a strategy meeting; each action becomes a task owned by its agency."""
    user = _user(request)
    child = access.child
    organisations = organisations_involved(child=child)
    people = people_who_may_own(child=child, organisations=organisations)
    form = MeetingForm(
        request.POST if request.method == "POST" else None,
        people=people,
        organisations=organisations,
        child_age=_age(child),
    )
    if request.method == "POST" and form.is_valid():
        attendees = [
            AttendeeInput(organisation=p.organisation, person=p)  # type: ignore[arg-type]
            for key in form.cleaned_data["attendee_people"]
            for p in [form.people[key]]
        ] + [
            AttendeeInput(organisation=form.organisations[key])
            for key in form.cleaned_data["attendee_organisations"]
        ]
        actions = form.actions()
        # The service names the n-th action it was given; the form, the row it came from.
        form.field_errors = {
            "held_at": "held_date",
            "attendees": "attendee_people",
            **{
                f"actions[{n}].{name}": f"action_{a['row']}_{field}"
                for n, a in enumerate(actions)
                for name, field in (
                    ("title", "title"),
                    ("kind", "kind"),
                    ("owner", "owner"),
                    ("organisation", "owner"),
                    ("due_date", "due"),
                    ("detail", "title"),
                )
            },
        }
        try:
            meeting = save_checked(
                form,
                user=user,
                record_kind="casework.meeting",
                save=lambda: strategy_meeting_record(
                    actor=user,
                    child=child,
                    held_at=form.held_at(),
                    decisions=form.cleaned_data["decisions"],
                    minutes=form.cleaned_data["minutes"],
                    attendees=attendees,
                    actions=[
                        ActionInput(
                            kind=a["kind"],
                            title=a["title"],
                            organisation=a["owner"].organisation,
                            owner=a["owner"],
                            due_date=a["due_date"],
                        )
                        for a in actions
                    ],
                    checked=access,
                ),
            )
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        if meeting is not None:
            messages.success(request, "Meeting saved. Its actions are on the task list.")
            return redirect("meeting_detail", meeting_id=meeting.id)
    return page(
        request,
        "casework/meeting_new.html",
        {"child": child, "form": form, "error_summary": _summary(form)},
    )


@declare(Rule.CHILD, action=Action.VIEW_MEETING, kind="meeting", purpose="Read a strategy meeting")
@login_required
def meeting_detail(request: HttpRequest, access: MeetingAccess) -> HttpResponse:
    """One strategy meeting: who came for which agency, decisions, actions and minutes."""
    meeting = access.meeting
    actions = meeting_actions(meeting=meeting)
    return page(
        request,
        "casework/meeting_detail.html",
        {
            "meeting": meeting,
            "child": meeting.child,
            "attendees": [
                {
                    "organisation": a.organisation.name,
                    "person": person_label(a.person) if a.person else "Nobody on Sightline named",
                }
                for a in meeting_attendees(meeting=meeting)
            ],
            "actions": tasks_table(actions, caption="Actions") if actions else None,
        },
    )


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Tasks of the user and the organisation")
@login_required
def your_tasks(request: HttpRequest) -> HttpResponse:
    """Your tasks, then your organisation's: casework tasks and the rules' tasks in one list."""
    user = _user(request)
    mine = case_tasks_for_user(user=user, mine_only=True)
    everyone = [r for r in case_tasks_for_user(user=user) if r not in mine]
    closed = case_tasks_closed_for_user(
        user=user, since=now() - dt.timedelta(days=CLOSED_SHOWN_DAYS)
    )
    children_shown(request, (r.child.id for r in [*mine, *everyone, *closed]))
    return page(
        request,
        "casework/your_tasks.html",
        {
            "organisation": user.organisation if user.is_active else None,
            "mine": tasks_table(mine, caption="Yours", with_child=True) if mine else None,
            "team": tasks_table(everyone, caption="Your organisation's", with_child=True)
            if everyone
            else None,
            "closed": tasks_table(
                closed, caption=f"Closed in the last {CLOSED_SHOWN_DAYS} days", with_child=True
            )
            if closed
            else None,
            "overdue": sum(1 for r in [*mine, *everyone] if r.overdue),
            "sees_overdue": may(user, Action.VIEW_OVERDUE_TASKS),
        },
    )


@declare(Rule.SIGNED_IN, action=Action.VIEW_OVERDUE_TASKS)
@lists_children(purpose="Overdue tasks for the council's children")
@login_required
def overdue_tasks(request: HttpRequest) -> HttpResponse:
    """Every overdue task for the children the council placed, whichever agency owns it: for
    its team managers (``VIEW_OVERDUE_TASKS``); anyone else sees "Page not found"."""
    user = _user(request)
    if not may(user, Action.VIEW_OVERDUE_TASKS):
        return page_not_found(request)
    rows = case_tasks_overdue_for_council(user=user)
    children_shown(request, (r.child.id for r in rows))
    return page(
        request,
        "casework/overdue_tasks.html",
        {
            "organisation": user.organisation,
            "table": tasks_table(rows, caption="Overdue", with_child=True) if rows else None,
            "count": len(rows),
        },
    )
