"""One child's record, with its placements, missing episodes, tasks and timeline.

It shows every domain's part of the record, so it lives on top, in ``web`` (moved from
``sightline.children.views``, ADR 7).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import (
    POLICY,
    Action,
    ChildAccess,
    Involvement,
    Rule,
    declare,
    involvements,
)
from sightline.access.views import not_involved
from sightline.children.selectors import age_on
from sightline.core.timeutil import now, today
from sightline.core.views import deadline, long_date, miles, page, table_cell, table_head, tag, when
from sightline.missing.models import Episode, TaskKind, TaskStatus
from sightline.missing.presenters import duration_text, episode_tag, grade_text, interview_tag
from sightline.missing.selectors import episode_current_risk, episode_duration, episodes_for_child
from sightline.organisations.models import Role, User
from sightline.placements.admissions import placement_actions
from sightline.placements.selectors import placement_history, user_can_record_placement
from sightline.web.selectors import child_timeline, tasks_for_child


def _ends(placement: Any) -> str:
    """The end column: the end date, "Current", or "Planned" for one that has not started."""
    if placement.end_date is not None:
        return long_date(placement.end_date)
    if placement.start_date > today():
        return "Planned: not started yet"
    return "Current"


def _placement_history_table(access: ChildAccess) -> GovUKTable | None:
    placements = list(placement_history(access=access))
    if not placements:
        return None
    head = [
        table_head("Setting"),
        table_head("Start date"),
        table_head("End date"),
        table_head("Host council"),
        table_head("Police force"),
        table_head("Distance from home (miles)", numeric=True),
        table_head("In or out of area"),
    ]
    body = [
        [
            table_cell(p.setting.name),
            table_cell(long_date(p.start_date)),
            table_cell(_ends(p)),
            table_cell(p.host_council.name),
            table_cell(p.host_police_force.name),
            table_cell(miles(p.distance_miles), numeric=True),
            table_cell("Out of area" if p.out_of_area else "In area"),
        ]
        for p in placements
    ]
    return GovUKTable(
        caption="Placement history",
        captionClasses="govuk-table__caption--m",
        head=head,
        rows=body,
        classes="app-table--compact",
    )


def _episodes_table(episodes: list[Episode]) -> GovUKTable | None:
    if not episodes:
        return None
    at = now()
    rows = []
    for e in episodes:
        interview = next(iter(e.interviews.all()), None)
        rows.append(
            [
                table_cell(
                    html=format_html(
                        '<a class="govuk-link" href="{}">{}<span class="govuk-visually-hidden">'
                        " episode</span></a>",
                        reverse("episode_detail", args=[e.id]),
                        when(e.last_seen_at),
                    )
                ),
                table_cell(html=episode_tag(e)),
                table_cell(e.setting.name),
                table_cell(when(e.returned_at, "Not yet")),
                table_cell(duration_text(episode_duration(episode=e, at=at))),
                table_cell(grade_text(episode_current_risk(episode=e))),
                table_cell(
                    html=interview_tag(interview, at)
                    + format_html(
                        ' <a class="govuk-link" href="{}">Open<span class="govuk-visually-hidden">'
                        " the return home interview</span></a>",
                        reverse("interview_detail", args=[interview.id]),
                    )
                    if interview
                    else "None yet"
                ),
            ]
        )
    return GovUKTable(
        caption="Missing and away episodes",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Last seen"),
            table_head("Status"),
            table_head("From"),
            table_head("Returned"),
            table_head("Duration"),
            table_head("Police risk grade"),
            table_head("Return interview"),
        ],
        rows=rows,
        classes="app-table--compact",
    )


TASK_TAGS = {
    TaskStatus.OPEN: "govuk-tag--blue",
    TaskStatus.DONE: "govuk-tag--green",
    TaskStatus.CANCELLED: "govuk-tag--grey",
}


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role or "Anyone"


def _tasks_table(user: User, access: ChildAccess) -> GovUKTable | None:
    """The tasks the rules created for the user's organisation (the placing council)."""
    if user.organisation is None:
        return None
    tasks = list(tasks_for_child(access=access, organisation=user.organisation))
    if not tasks:
        return None
    at = now()
    rows = []
    for task in tasks:
        status = tag(TaskStatus(task.status).label, TASK_TAGS[TaskStatus(task.status)])
        if task.status == TaskStatus.OPEN and task.due_at < at:
            status += " " + tag("Overdue", "govuk-tag--red")
        rows.append(
            [
                table_cell(TaskKind(task.kind).label),
                table_cell(task.detail),
                table_cell(deadline(task.due_at)),
                table_cell(_role_label(task.assignee_role)),
                table_cell(html=status),
            ]
        )
    return GovUKTable(
        caption="Tasks for your council",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Task"),
            table_head("Why"),
            table_head("Due"),
            table_head("For"),
            table_head("Status"),
        ],
        rows=rows,
        classes="app-table--compact",
    )


def _can(user: User, found: set[Involvement], action: Action) -> bool:
    return bool(POLICY[action].get(user.role, set()) & found)


# Denied: the same page whether or not the child exists; it offers emergency access.
@declare(Rule.CHILD, action=Action.VIEW, purpose="Open the child's record", denied=not_involved)
@login_required
def child_detail(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required
    child = access.child
    found = involvements(user, child)
    episodes = list(episodes_for_child(access=access))
    open_episode = next((e for e in episodes if e.is_open), None)
    return page(
        request,
        "web/child_detail.html",
        {
            "episodes": _episodes_table(episodes),
            "open_episode": open_episode,
            "open_since": when(open_episode.last_seen_at) if open_episode else "",
            "can_report": _can(user, found, Action.RECORD_EPISODE) and open_episode is None,
            "can_view_profile": _can(user, found, Action.VIEW_SAFETY_PROFILE),
            "tasks": _tasks_table(user, access) if Involvement.PLACING_COUNCIL in found else None,
            "child": child,
            "age": age_on(child.date_of_birth, today()),
            "date_of_birth": long_date(child.date_of_birth),
            "history": _placement_history_table(access),
            "timeline": child_timeline(access=access),
            "can_record_placement": Involvement.PLACING_COUNCIL in access.involvements
            and user_can_record_placement(user=user),
            "actions": placement_actions(user=user, child=child, involvements=access.involvements),
            "can_view_audit": _can(user, found, Action.VIEW_AUDIT),
        },
    )
