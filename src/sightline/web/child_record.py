"""One child's record, with its placements, missing episodes, tasks and timeline.

It shows every domain's part of the record, so it lives on top, in ``web`` (moved from
``sightline.children.views``, ADR 7).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.gzip import gzip_page
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import (
    POLICY,
    Action,
    ChildAccess,
    Involvement,
    Rule,
    declare,
    involvements_of,
)
from sightline.access.views import not_involved
from sightline.children.selectors import age_on
from sightline.core.calendar import LONDON
from sightline.core.timeutil import now, today
from sightline.core.views import (
    deadline,
    error_summary,
    long_date,
    miles,
    page,
    pagination,
    scrolling,
    table_cell,
    table_head,
    tag,
    when,
)
from sightline.exploitation.grading import GRADE_LABELS
from sightline.exploitation.presenters import grade_tag
from sightline.exploitation.selectors import nrm_status_for_child, screening_summary_for_child
from sightline.family.selectors import (
    child_voice,
    continuity_from,
    social_worker_periods_from_record,
    social_worker_periods_from_returns,
)
from sightline.missing.contacts import child_contacts, current_of
from sightline.missing.models import Episode, Task, TaskKind, TaskStatus
from sightline.missing.presenters import duration_text, episode_tag, grade_text, interview_tag
from sightline.missing.selectors import (
    episode_current_risk,
    episode_duration,
    episode_open_for_child,
    episode_rows_for_child,
)
from sightline.organisations.models import Role, User
from sightline.placements.admissions import placement_actions
from sightline.placements.models import Placement
from sightline.placements.selectors import placement_history, user_can_record_placement
from sightline.web.forms import RecordFilterForm
from sightline.web.selectors import child_record_version, child_timeline, tasks_for_child


def _ends(placement: Any) -> str:
    """The end column: the end date, "Current", or "Planned" for one that has not started."""
    if placement.end_date is not None:
        return long_date(placement.end_date)
    if placement.start_date > today():
        return "Planned: not started yet"
    return "Current"


def _placement_history_table(placements: list[Placement]) -> GovUKTable | None:
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


def _episodes_table(episodes: list[Episode], *, caption: str) -> GovUKTable:
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
        caption=caption,
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


def _tasks_table(tasks: list[Task], *, caption: str) -> GovUKTable:
    """The tasks the rules created for the user's organisation (the placing council)."""
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
        caption=caption,
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


def _page_param(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


def _of(found: int, number: int, num_pages: int, what: str) -> str:
    """A caption that says which page this is: "Missing and away episodes (page 2 of 9)"."""
    return what if num_pages <= 1 else f"{what} (page {number} of {num_pages}, {found} in all)"


def _can(user: User, found: set[Involvement], action: Action) -> bool:
    return bool(POLICY[action].get(user.role, set()) & found)


EPISODES_PER_PAGE = 10
TASKS_PER_PAGE = 10


def _episodes_section(request: HttpRequest, access: ChildAccess, form: RecordFilterForm) -> Any:
    dates = form.timeline_filter()
    until = dates.until + dt.timedelta(days=1) if dates.until else None
    found = Paginator(
        episode_rows_for_child(
            access=access,
            kinds=form.episode_kinds(),
            since=_start_of(dates.since),
            before=_start_of(until),
        ),
        EPISODES_PER_PAGE,
    ).get_page(_page_param(request, "episodes_page"))
    if not found.paginator.count:
        return None, None
    number, pages = found.number, found.paginator.num_pages
    table = _episodes_table(
        list(found.object_list),
        caption=_of(found.paginator.count, number, pages, "Missing and away episodes"),
    )
    return table, pagination(
        request,
        number=number,
        num_pages=pages,
        param="episodes_page",
        anchor="episodes",
        label="Missing and away episodes, pages",
    )


def _tasks_section(request: HttpRequest, user: User, access: ChildAccess) -> Any:
    if user.organisation is None:
        return None, None
    found = Paginator(
        tasks_for_child(access=access, organisation=user.organisation), TASKS_PER_PAGE
    ).get_page(_page_param(request, "tasks_page"))
    if not found.paginator.count:
        return None, None
    number, pages = found.number, found.paginator.num_pages
    table = _tasks_table(
        list(found.object_list),
        caption=_of(found.paginator.count, number, pages, "Tasks for your council"),
    )
    return table, pagination(
        request,
        number=number,
        num_pages=pages,
        param="tasks_page",
        anchor="tasks",
        label="Tasks, pages",
    )


def _exploitation_section(user: User, access: ChildAccess, found: set[Involvement]) -> Any:
    """The current exploitation grade, its trend and where the NRM has got to (issue 18), for
    those the policy lets see screenings; None for anyone else."""
    if not _can(user, found, Action.VIEW_SCREENING):
        return None
    current, trend = screening_summary_for_child(access=access)
    return {
        "grade": grade_tag(current.grade) if current else "",
        "grade_text": GRADE_LABELS[current.grade] if current else "",
        "screened": when(current.recorded_at) if current else "",
        "next_due": long_date(current.next_due_on) if current else "",
        "trend": f"{trend.direction}: {trend.text}" if current else "",
        "nrm": nrm_status_for_child(access=access),
        "url": reverse("exploitation_child", args=[access.child.pk]),
    }


def _start_of(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON) if day else None


class _Sections:
    """The record's sections, read from the database and built only when the page's cached
    fragment is missing (``{% cache %}`` in ``web/child_detail.html``): on a hit no section
    is read."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build
        self._values: dict[str, Any] | None = None

    def get(self, name: str) -> Any:
        if self._values is None:
            self._values = self._build()
        return self._values[name]


class _Lazy:
    """One section for the template: the template calls it when it renders the section (a
    callable in a Django context is called); code (tests) may read its attributes."""

    __slots__ = ("name", "sections")
    # What Django's template engine asks of a callable before calling it: answered here, so
    # that asking builds nothing.
    do_not_call_in_templates = False
    alters_data = False

    def __init__(self, sections: _Sections, name: str) -> None:
        self.sections, self.name = sections, name

    def __call__(self) -> Any:
        return self.sections.get(self.name)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(self.sections.get(self.name), attribute)


# How long a rendered record is kept. The key changes with the data (``child_record_version``)
# and every minute (durations, "Overdue" and the current placement are relative to now), so
# an entry is used for a minute at most; this only frees the memory sooner.
RECORD_CACHE_SECONDS = 120


def _record_key(
    request: HttpRequest, user: User, access: ChildAccess, found: set[Involvement]
) -> str:
    """Everything the cached part of the page depends on: the child and the version of its
    record, the minute, what the viewer may see and do (role, organisation, involvements: the
    inputs of the access policy), and the query string (pages and filters)."""
    parts = [
        str(access.child.pk),
        child_record_version(access=access),
        now().strftime("%Y-%m-%dT%H:%M"),
        user.role,
        str(user.organisation_id),
        ",".join(sorted(found)),
        ",".join(sorted(access.involvements)),
        urlencode(sorted(request.GET.lists()), doseq=True),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _filter_key(request: HttpRequest, *, views: bool) -> str:
    """The filter form shows what the query string asked for and nothing about the child: one
    rendering for every record and reader with the same query string (the common one: none)
    and the same choice of kinds (``views``: whether "Views of the record" is offered)."""
    query = urlencode(sorted(request.GET.lists()), doseq=True) + ("&views" if views else "")
    return hashlib.sha256(query.encode()).hexdigest()


def _sections(
    request: HttpRequest,
    user: User,
    access: ChildAccess,
    found: set[Involvement],
    form: RecordFilterForm,
) -> dict[str, Any]:
    child = access.child
    placements = list(placement_history(access=access))
    open_episode = episode_open_for_child(access=access)
    episodes, episodes_pages = _episodes_section(request, access, form)
    tasks, tasks_pages = (
        _tasks_section(request, user, access)
        if Involvement.PLACING_COUNCIL in found
        else (None, None)
    )
    timeline = child_timeline(
        access=access,
        filters=form.timeline_filter(),
        page=_page_param(request, "page"),
    )
    return {
        # Issue 17: the record opens with what the child has said (for those who may read
        # it), and how many social workers and placements they have had in 12 months.
        "voice": child_voice(access=access, limit=3)
        if _can(user, found, Action.VIEW_FAMILY)
        else None,
        "continuity": continuity_from(
            placements=placements,
            periods=social_worker_periods_from_record(child=child),
            returned=social_worker_periods_from_returns(child=child),
        ),
        "episodes": scrolling(episodes),
        "episodes_pagination": episodes_pages,
        "open_episode": open_episode,
        "open_since": when(open_episode.last_seen_at) if open_episode else "",
        "can_report": _can(user, found, Action.RECORD_EPISODE) and open_episode is None,
        "tasks": scrolling(tasks),
        "tasks_pagination": tasks_pages,
        "history": scrolling(_placement_history_table(placements)),
        "exploitation": _exploitation_section(user, access, found),
        "timeline": timeline,
        "timeline_caption": _of(timeline.count, timeline.number, timeline.num_pages, "Timeline"),
        "timeline_pagination": pagination(
            request,
            number=timeline.number,
            num_pages=timeline.num_pages,
            param="page",
            anchor="timeline",
            label="Timeline, pages",
        ),
        "actions": placement_actions(
            user=user, child=child, involvements=access.involvements, history=placements
        ),
        # Issue 14. An organisation's contact is not a row about the child, so a change to
        # it reaches a cached record within the minute the key holds.
        "contacts": child_contacts(
            user=user,
            access=access,
            placement=current_of(placements, on=today()),
            can_allocate=_can_record_placement(user, access),
        ),
    }


def _can_record_placement(user: User, access: ChildAccess) -> bool:
    return Involvement.PLACING_COUNCIL in access.involvements and user_can_record_placement(
        user=user
    )


# Denied: the same page whether or not the child exists; it offers emergency access.
# Compressed (ADR 20): the page reflects no free text and its CSRF token is masked per response.
# Every request is checked and audited (``declare``); only the rendering of the record's
# sections is cached, by a key that holds the version of the record (ADR "record sections
# cached by version").
@declare(Rule.CHILD, action=Action.VIEW, purpose="Open the child's record", denied=not_involved)
@login_required
@gzip_page
def child_detail(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The record, with its episodes, tasks and timeline a page at a time: a fixed number of
    queries whatever the child's history (``tests/web/test_child_record_at_any_history.py``),
    and fewer when the sections are in the cache."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    child = access.child
    found = involvements_of(user, access)
    can_view_audit = _can(user, found, Action.VIEW_AUDIT)
    form = RecordFilterForm(request.GET, views=can_view_audit)
    # The key (with the record's version) is read before any section: sections rendered on a
    # miss are as new as the version or newer, never older, so an entry is never staler than
    # its key says.
    key = _record_key(request, user, access, found)
    sections = _Sections(lambda: _sections(request, user, access, found, form))
    context: dict[str, Any] = {name: _Lazy(sections, name) for name in SECTIONS}
    return page(
        request,
        "web/child_detail.html",
        {
            **context,
            "record_key": key,
            "record_seconds": RECORD_CACHE_SECONDS,
            "filter_key": _filter_key(request, views=can_view_audit),
            "can_view_profile": _can(user, found, Action.VIEW_SAFETY_PROFILE),
            "child": child,
            "age": age_on(child.date_of_birth, today()),
            "date_of_birth": long_date(child.date_of_birth),
            "filter_form": form,
            "error_summary": error_summary(form),
            "can_record_placement": _can_record_placement(user, access),
            "can_view_audit": can_view_audit,
            "can_view_family": _can(user, found, Action.VIEW_FAMILY),
            # Issue 17: the child's tasks and strategy meetings (casework).
            "can_view_tasks": _can(user, found, Action.VIEW_CASE_TASK),
        },
    )


# The context entries ``_sections`` builds.
SECTIONS = (
    "voice",
    "continuity",
    "episodes",
    "episodes_pagination",
    "open_episode",
    "open_since",
    "can_report",
    "tasks",
    "tasks_pagination",
    "history",
    "timeline",
    "timeline_caption",
    "timeline_pagination",
    "actions",
    "contacts",
    "exploitation",
)
