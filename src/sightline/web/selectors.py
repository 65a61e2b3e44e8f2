"""Reads for the home page's lists of children and for one child's record and timeline.

They aggregate placements, missing episodes and notices, so they sit on top, in ``web``
(moved from ``sightline.children.selectors``, ADR 7).

Lists start from ``children_visible_to(user)``, so no list can show more than the access
policy allows; the filters here only narrow it to one kind of involvement. One child's
record is read only with what ``access_child`` returned (``ChildAccess``): the selectors take
it, never a bare child.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from sightline.access.policy import ChildAccess, children_visible_to
from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.core.calendar import LONDON
from sightline.core.timeutil import today
from sightline.missing.models import (
    EpisodeKind,
    FoundBy,
    InterviewEvent,
    InterviewInformation,
    InterviewStatus,
    Task,
    TaskKind,
    TaskStatus,
    UpdateKind,
)
from sightline.missing.selectors import episode_updates, episodes_for_child
from sightline.notifications.models import Channel, NoticeEvent, NoticeEventKind
from sightline.notifications.selectors import notice_events_for_child
from sightline.organisations.models import Organisation, User
from sightline.placements.models import Placement
from sightline.placements.selectors import placement_history, placements_current


@dataclass(frozen=True)
class ChildRow:
    """One line of a list of children, with the child's current placement if any."""

    child_id: Any
    name: str
    child_ref: str
    age: int
    placing_council: str
    setting: str | None
    host_council: str | None
    host_police_force: str | None
    distance_miles: Decimal | None
    start_date: dt.date | None


def _rows(children: QuerySet[Child], *, on: dt.date) -> list[ChildRow]:
    current = Prefetch(
        "placements",
        queryset=placements_current(on=on)
        .select_related("setting", "host_council", "host_police_force")
        .order_by("-start_date"),
        to_attr="current_placements",
    )
    rows = []
    for child in children.select_related("placing_council").prefetch_related(current):
        placement: Placement | None = (
            child.current_placements[0] if child.current_placements else None
        )
        rows.append(
            ChildRow(
                child_id=child.id,
                name=child.full_name,
                child_ref=child.child_ref,
                age=age_on(child.date_of_birth, on),
                placing_council=child.placing_council.name,
                setting=placement.setting.name if placement else None,
                host_council=placement.host_council.name if placement else None,
                host_police_force=placement.host_police_force.name if placement else None,
                distance_miles=placement.distance_miles if placement else None,
                start_date=placement.start_date if placement else None,
            )
        )
    return rows


def _has_current_placement(on: dt.date, **filters: Any) -> Exists:
    return Exists(placements_current(on=on).filter(child=OuterRef("pk"), **filters))


def children_placed_by_my_council(*, user: User, on: dt.date | None = None) -> list[ChildRow]:
    """Children my council is responsible for (the placing council), wherever they live."""
    on = on or today()
    org = user.organisation
    if org is None or not org.council_id:
        return []
    return _rows(children_visible_to(user).filter(placing_council_id=org.council_id), on=on)


def children_placed_in_my_area(*, user: User, on: dt.date | None = None) -> list[ChildRow]:
    """Children other councils have placed in my council's area (the host view)."""
    on = on or today()
    org = user.organisation
    if org is None or not org.council_id:
        return []
    children = (
        children_visible_to(user)
        .filter(_has_current_placement(on, host_council_id=org.council_id))
        .exclude(placing_council_id=org.council_id)
    )
    return _rows(children, on=on)


def children_in_my_force_area(*, user: User, on: dt.date | None = None) -> list[ChildRow]:
    """Children whose current placement is in my police force's area."""
    on = on or today()
    org = user.organisation
    if org is None or not org.police_force_id:
        return []
    children = children_visible_to(user).filter(
        _has_current_placement(on, host_police_force_id=org.police_force_id)
    )
    return _rows(children, on=on)


def children_living_with_my_provider(*, user: User, on: dt.date | None = None) -> list[ChildRow]:
    """Children whose current placement is in a setting my organisation runs."""
    on = on or today()
    org = user.organisation
    if org is None:
        return []
    children = children_visible_to(user).filter(
        _has_current_placement(on, setting__provider_id=org.id)
    )
    return _rows(children, on=on)


# --- Timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    """One event in a child's shared chronology.

    ``order`` breaks ties between events on the same day: higher comes first when the
    timeline is shown newest first (a new placement above the end of the one before).
    """

    on: dt.date
    kind: str
    title: str
    detail: str
    order: int = 0


TimelineSource = Callable[[ChildAccess], Iterable[TimelineEvent]]


def _placement_events(access: ChildAccess) -> Iterable[TimelineEvent]:
    for placement in placement_history(access=access):
        where = f"{placement.setting.name}, {placement.host_council.name}"
        yield TimelineEvent(
            on=placement.start_date,
            kind="placement_started",
            title="Placement started",
            detail=f"Placed at {where}"
            + (" as an emergency placement" if placement.is_emergency else "")
            + ".",
            order=20,
        )
        if placement.end_date is not None:
            yield TimelineEvent(
                on=placement.end_date,
                kind="placement_ended",
                title="Placement ended",
                detail=f"Left {where}.",
                order=10,
            )


def _notice_event_title(event: NoticeEvent) -> tuple[str, str]:
    notice = event.notice
    label = notice.kind_label
    to = notice.recipient.name
    channel = Channel(event.delivery.channel).label if event.delivery else "A channel"
    reference = f"Reference {notice.reference}."
    match event.event:
        case NoticeEventKind.CREATED:
            return f"{label} sent to {to}", f"From {notice.sender_name}. {reference}"
        case NoticeEventKind.DELIVERED:
            return f"{label} delivered: {channel}", f"To {to}. {reference}"
        case NoticeEventKind.ACKNOWLEDGED:
            who = event.actor.get_full_name() or event.actor.username if event.actor else ""
            by = f" by {who}" if who else ""
            return f"{label} acknowledged by {to}", f"Acknowledged{by}. {reference}"
        case NoticeEventKind.ESCALATED:
            return f"{label} escalated", f"{event.detail}. {reference}"
        case NoticeEventKind.TEMPORARY_FAILURE | NoticeEventKind.LEASE_EXPIRED:
            return f"{label} not delivered yet: {channel}", f"Sightline will try again. {reference}"
        case NoticeEventKind.RETRIED:
            return f"{label} queued again: {channel}", reference
        case _:
            return f"{label} could not be delivered: {channel}", f"To {to}. {reference}"


def _notice_events(access: ChildAccess) -> Iterable[TimelineEvent]:
    child = access.child
    events = notice_events_for_child(child=child).select_related(
        "notice__recipient", "actor", "delivery"
    )
    for event in events:
        local = event.at.astimezone(LONDON)
        title, detail = _notice_event_title(event)
        yield TimelineEvent(
            on=local.date(),
            kind=f"notice_{event.event}".replace("-", "_"),
            title=title,
            detail=detail,
            # Later in the day above earlier; all above the day's placement events.
            order=100 + local.hour * 3600 + local.minute * 60 + local.second,
        )


def _at(moment: dt.datetime) -> tuple[dt.date, int]:
    """The London day of a moment, and its order within the day (later above earlier; all
    above the day's placement events)."""
    local = moment.astimezone(LONDON)
    return local.date(), 100 + local.hour * 3600 + local.minute * 60 + local.second


def _time(moment: dt.datetime) -> str:
    local = moment.astimezone(LONDON)
    return local.strftime("%-I:%M%p").lower().replace(":00", "")


def _grade(label: str, version: str) -> str:
    return f"{label} ({version} list)" if version else label


def _episode_events(access: ChildAccess) -> Iterable[TimelineEvent]:
    """Each episode's start and return, and every update appended to it."""
    for episode in episodes_for_child(access=access):
        word = "missing" if episode.kind == EpisodeKind.MISSING else "away from placement"
        on, order = _at(episode.last_seen_at)
        grade = ""
        if episode.risk_grade is not None:
            label = _grade(episode.risk_grade.label, episode.risk_grade_list_version)
            grade = f" Police risk grade: {label}."
        reporter = episode.reported_by_organisation
        alerted = "the placing council, the host council" + (
            " and the police" if episode.police_alerted else ""
        )
        yield TimelineEvent(
            on=on,
            kind=f"episode_{episode.kind}",
            title=f"Went {word} from {episode.setting.name}",
            detail=f"Last seen at {_time(episode.last_seen_at)}. "
            + (f"Reported by {reporter.name}. " if reporter else "")
            + f"Alerts sent to {alerted}.{grade}",
            order=order,
        )
        for update in episode_updates(episode=episode):
            on, order = _at(update.supplied_at)
            title = UpdateKind(update.kind).label
            if update.kind == UpdateKind.RISK_CHANGE and update.risk_grade is not None:
                title = "Police risk grade changed to " + _grade(
                    update.risk_grade.label, update.risk_grade_list_version
                )
            text = " ".join(update.text.split())
            yield TimelineEvent(
                on=on,
                kind=f"episode_update_{update.kind}",
                title=title,
                detail=f"Supplied by {update.supplied_by} at {_time(update.supplied_at)}."
                + (f" {text}" if text else ""),
                order=order,
            )
        if episode.returned_at is not None:
            on, order = _at(episode.returned_at)
            where = ", ".join(
                v
                for v in (
                    episode.found_council.name if episode.found_council else "",
                    episode.found_police_force.name if episode.found_police_force else "",
                )
                if v
            )
            facts = []
            if episode.found_outside_host_area:
                facts.append("Found outside the host area.")
            if episode.found_in_other_force_area:
                facts.append("Found in another force area.")
            found_by = FoundBy(episode.found_by).label if episode.found_by else ""
            yield TimelineEvent(
                on=on,
                kind="episode_returned",
                title="Returned" if episode.found_by == FoundBy.SELF else "Found",
                detail=" ".join(
                    [
                        f"At {_time(episode.returned_at)}"
                        + (f", in {where}" if where else "")
                        + ".",
                        *([f"{found_by}."] if found_by else []),
                        *facts,
                    ]
                ),
                order=order,
            )


_INTERVIEW_TITLES = {
    InterviewStatus.TO_OFFER: "Return home interview to be offered",
    InterviewStatus.OFFERED: "Return home interview offered",
    InterviewStatus.ACCEPTED: "Return home interview accepted",
    InterviewStatus.DECLINED: "Return home interview declined",
    InterviewStatus.COMPLETED: "Return home interview held",
}


def _interview_events(access: ChildAccess) -> Iterable[TimelineEvent]:
    """Each step of the child's return home interviews, and information added to them."""
    child = access.child
    events = (
        InterviewEvent.objects.filter(interview__child=child)
        .select_related("interview__service")
        .order_by("at", "created_at")
    )
    for event in events:
        interview = event.interview
        on, order = _at(event.at)
        if event.detail.startswith("Overdue"):
            title, detail = (
                "Return home interview overdue",
                "Escalated to the placing council's team manager.",
            )
        elif event.detail.startswith("Covers"):
            title, detail = (
                "Return home interview covers another episode",
                "One interview covers this return too.",
            )
        elif event.detail.startswith("Created"):
            title = "Return home interview due"
            local_due = interview.due_at.astimezone(LONDON)
            detail = (
                f"Held by {interview.service.name}. Due by {_time(interview.due_at)} on "
                f"{local_due:%-d %B %Y}."
            )
        else:
            title = _INTERVIEW_TITLES[InterviewStatus(event.status)]
            detail = f"Interview by {interview.service.name}."
            if event.status == InterviewStatus.COMPLETED:
                detail = f"Held by {interview.interviewer_name or interview.service.name}" + (
                    ", independently." if interview.independent else "."
                )
        yield TimelineEvent(
            on=on, kind=f"interview_{event.status}", title=title, detail=detail, order=order
        )
    for info in InterviewInformation.objects.filter(interview__child=child):
        on, order = _at(info.recorded_at)
        yield TimelineEvent(
            on=on,
            kind="interview_information",
            title="Information added to the return home interview",
            detail=f"Supplied by {info.supplied_by}.",
            order=order,
        )


def _task_events(access: ChildAccess) -> Iterable[TimelineEvent]:
    """Tasks the rules created for the placing council, and their completion."""
    child = access.child
    for task in Task.objects.filter(child=child).select_related("assignee"):
        on, order = _at(task.created_at)
        due = task.due_at.astimezone(LONDON)
        yield TimelineEvent(
            on=on,
            kind=f"task_{task.kind}",
            title=f"Task for {task.assignee.name}: {TaskKind(task.kind).label}",
            detail=f"{task.detail}. Due by the end of {due:%-d %B %Y}."
            if task.detail
            else f"Due by the end of {due:%-d %B %Y}.",
            order=order,
        )
        if task.completed_at is not None:
            on, order = _at(task.completed_at)
            yield TimelineEvent(
                on=on,
                kind="task_closed",
                title=f"Task {TaskStatus(task.status).label.lower()}: {TaskKind(task.kind).label}",
                detail=f"By {task.assignee.name}.",
                order=order,
            )


def tasks_for_child(*, access: ChildAccess, organisation: Organisation) -> QuerySet[Task]:
    """The tasks about the child ``access`` opened assigned to an organisation, open first,
    soonest due first."""
    return (
        Task.objects.filter(child=access.child, assignee=organisation)
        .select_related("created_from", "interview")
        .order_by("-status", "due_at")
    )


# Each domain that has events about a child adds its source here (missing episodes,
# notices, return interviews...). A source yields only events about the one child.
TIMELINE_SOURCES: list[TimelineSource] = [
    _placement_events,
    _notice_events,
    _episode_events,
    _interview_events,
    _task_events,
]


def child_timeline(*, access: ChildAccess, on: dt.date | None = None) -> list[TimelineEvent]:
    """Events so far about the child ``access`` opened, newest first."""
    on = on or today()
    events = [event for source in TIMELINE_SOURCES for event in source(access) if event.on <= on]
    return sorted(events, key=lambda e: (e.on, e.order), reverse=True)
