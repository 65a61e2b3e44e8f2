"""Tasks on the web: what the triggers asked an organisation to do about a child (a strategy
discussion after repeated episodes, a review after a high risk grade, an exploitation
screening after a child was found in another force area, an overdue return interview), and
closing them with what was done.

A task names a child, so one task is read only through ``task_for_user``, which goes
through the child's access policy. They are listed in the one task list (casework's "Your
tasks", issue 17) beside the tasks agencies set; ``/tasks/`` leads there.
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

from sightline.access.policy import Action, Rule, declare
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now as current_time
from sightline.core.views import deadline, page, page_not_found, tag, when
from sightline.missing.access import TaskAccess
from sightline.missing.forms import TaskCompleteForm
from sightline.missing.models import Task, TaskKind, TaskStatus
from sightline.missing.presenters import banner, multiline, row
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


# The one task list (issue 17) is casework's "Your tasks": the rules' tasks are listed there
# beside the tasks agencies set. The URL of the list they once had of their own leads there.
ONE_TASK_LIST = "your_tasks"


@declare(Rule.SIGNED_IN)
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """The rules' tasks once had a list of their own: it is now the one task list."""
    return redirect(ONE_TASK_LIST)


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
                return redirect(ONE_TASK_LIST)
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
