"""Tasks on the web: what the triggers asked an organisation to do about a child (a strategy
discussion after repeated episodes, a review after a high risk grade, an exploitation
screening after a child was found in another force area, an overdue return interview), and
closing them with what was done.

A task names a child, so one task is read only through ``task_for_user``, which goes
through the child's access policy; the list shows only the organisation's own tasks.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.summary_list import GovUKSummaryList
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Action, Rule, declare
from sightline.audit.lists import children_shown, lists_children
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now as current_time
from sightline.core.views import deadline, page, page_not_found, table_cell, table_head, tag, when
from sightline.missing.access import TaskAccess
from sightline.missing.forms import TaskCompleteForm
from sightline.missing.models import Task, TaskKind, TaskStatus
from sightline.missing.presenters import banner, multiline, row
from sightline.missing.selectors import tasks_closed_for, tasks_open_for
from sightline.missing.services import task_complete
from sightline.missing.views import _age, _summary, _user, save_checked

CLOSED_SHOWN_DAYS = 30


def task_tag(task: Task, now: dt.datetime) -> str:
    if task.status == TaskStatus.DONE:
        return tag("Done", "green")
    if task.status == TaskStatus.CANCELLED:
        return tag("No longer needed", "grey")
    if task.due_at < now:
        return tag("Overdue", "red")
    return tag("To do", "blue")


def _source_link(task: Task) -> str:
    """Where the task came from: the episode or the return interview."""
    if task.created_from_id is not None:
        return format_html(
            '<a class="govuk-link" href="{}">The episode that started it</a>',
            reverse("episode_detail", args=[task.created_from_id]),
        )
    if task.interview_id is not None:
        return format_html(
            '<a class="govuk-link" href="{}">The return home interview</a>',
            reverse("interview_detail", args=[task.interview_id]),
        )
    return "Not recorded"


def _tasks_table(tasks: list[Task], *, caption: str, now: dt.datetime) -> GovUKTable:
    return GovUKTable(
        caption=caption,
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Task"),
            table_head("Child"),
            table_head("903 CHILD id"),
            table_head("Due"),
            table_head("Status"),
        ],
        rows=[
            [
                table_cell(
                    html=format_html(
                        '<a class="govuk-link" href="{}">{}</a>',
                        reverse("task_detail", args=[t.id]),
                        TaskKind(t.kind).label,
                    )
                ),
                table_cell(t.child.full_name),
                table_cell(t.child.child_ref),
                table_cell(deadline(t.due_at)),
                table_cell(html=task_tag(t, now)),
            ]
            for t in tasks
        ],
        classes="app-table--compact",
    )


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Tasks of the organisation")
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """The organisation's open tasks, soonest due first, and those closed recently."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    now = current_time()
    open_ = list(tasks_open_for(user=user))
    closed = (
        list(tasks_closed_for(user=user, since=now - dt.timedelta(days=CLOSED_SHOWN_DAYS)))
        if org
        else []
    )
    children_shown(request, (t.child_id for t in [*open_, *closed]))
    return page(
        request,
        "missing/task_list.html",
        {
            "organisation": org,
            "open": _tasks_table(open_, caption="To do", now=now) if open_ else None,
            "closed": _tasks_table(
                closed, caption=f"Closed in the last {CLOSED_SHOWN_DAYS} days", now=now
            )
            if closed
            else None,
            "overdue": sum(1 for t in open_ if t.due_at < now),
            "count": len(open_),
        },
    )


def _task_summary(task: Task, *, now: dt.datetime) -> GovUKSummaryList:
    rows = [
        row("Task", TaskKind(task.kind).label),
        row("Why", task.detail or "Not recorded"),
        row("Child", f"{task.child.full_name} (903 CHILD id {task.child.child_ref})"),
        row("Due", deadline(task.due_at)),
        row("Status", html=task_tag(task, now)),
        row("Came from", html=_source_link(task)),
    ]
    if task.status != TaskStatus.OPEN:
        who = task.completed_by.get_full_name() if task.completed_by else "Not recorded"
        rows += [
            row("Closed", f"{when(task.completed_at)} by {who}"),
            row("What was done", html=multiline(task.outcome)),
        ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


@declare(Rule.CHILD, action=Action.VIEW_TASK, kind="task", purpose="Act on a task")
@login_required
def task_detail(request: HttpRequest, access: TaskAccess) -> HttpResponse:
    """One task; its organisation closes it here with what was done."""
    user = _user(request)
    task = access.task
    now = current_time()
    form = None
    if task.status == TaskStatus.OPEN:
        form = TaskCompleteForm(
            request.POST if request.method == "POST" else None, child_age=_age(task.child)
        )
        if request.method == "POST" and form.is_valid():

            def record() -> Task:
                task_complete(
                    actor=user,
                    task=task,
                    outcome=form.cleaned_data["outcome"],
                    status=form.cleaned_data["status"],
                )
                return task

            try:
                saved = save_checked(form, user=user, record_kind="missing.task", save=record)
            except NotFoundOrNotAllowed:
                return page_not_found(request)
            if saved is not None:
                messages.success(request, banner("Task closed", "What was done is recorded."))
                return redirect("task_list")
    elif request.method == "POST":
        return redirect("task_detail", task_id=task.id)
    return page(
        request,
        "missing/task_detail.html",
        {
            "task": task,
            "kind": TaskKind(task.kind).label,
            "summary": _task_summary(task, now=now),
            "form": form,
            "error_summary": _summary(form) if form is not None else None,
        },
    )
