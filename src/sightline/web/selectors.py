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
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Window,
)
from django.db.models.functions import Coalesce

from sightline.access.policy import POLICY, Action, ChildAccess, children_visible_to
from sightline.audit.models import AuditEvent, AuditKind
from sightline.children.models import Child
from sightline.children.selectors import age_on
from sightline.core.calendar import LONDON
from sightline.core.timeutil import now as current_time
from sightline.core.timeutil import today
from sightline.exploitation.models import NrmDecision, NrmReferral, Screening
from sightline.family.models import ChildStatement
from sightline.missing.models import (
    OUTSTANDING_INTERVIEW,
    Episode,
    EpisodeKind,
    EpisodeUpdate,
    FoundBy,
    InterviewEvent,
    InterviewInformation,
    InterviewStatus,
    ReturnInterview,
    RiskGrade,
    Task,
    TaskKind,
    TaskStatus,
    UpdateKind,
)
from sightline.missing.selectors import episodes_open_for, episodes_visible_to
from sightline.notifications.models import Channel, NoticeEvent, NoticeEventKind
from sightline.notifications.selectors import notice_events_for_child
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.placements.models import Contact, Placement
from sightline.placements.selectors import placement_history, placements_current
from sightline.returns.models import ImportedSocialWorkerEpisode

# --- Worklists --------------------------------------------------------------------------
#
# Every list of children (placed by us, placed in our area, in our force area, in our homes)
# is one queryset of children annotated with what a worklist shows at a glance: the current
# placement, whether the child is missing or away now and since when, the risk grade of the
# latest episode, the open tasks of the reader's organisation and an overdue return home
# interview. Each is a correlated subquery, so a page costs the same few queries whatever
# the number of children, and the filters and the sort work on the database.


@dataclass(frozen=True)
class Worklist:
    """One kind of list an organisation has: its key (the ``list`` query parameter), its
    caption and what to say when it is empty."""

    key: str
    caption: str
    empty: str


WORKLISTS: dict[str, Worklist] = {
    w.key: w
    for w in (
        Worklist("placed", "Children we placed", "Your council has no children on Sightline yet."),
        Worklist(
            "area",
            "Children placed in our area by other councils",
            "No other council has a child placed in your area at the moment.",
        ),
        Worklist(
            "force",
            "Children placed in our force area",
            "No child in care is placed in your force area at the moment.",
        ),
        Worklist(
            "homes", "Children living here", "No child is living in your settings at the moment."
        ),
    )
}


def worklists_for(*, user: User) -> list[Worklist]:
    """The lists the user's organisation has: none for a role that may see no child (an
    analyst, say), rather than empty ones."""
    org = user.organisation
    if org is None or not user.is_active or not POLICY[Action.VIEW].get(user.role):
        return []
    keys = {
        OrganisationKind.COUNCIL: ["placed", "area"],
        OrganisationKind.POLICE: ["force"],
        OrganisationKind.PROVIDER: ["homes"],
    }.get(OrganisationKind(org.kind), [])
    return [WORKLISTS[k] for k in keys]


@dataclass(frozen=True)
class ChildRow:
    """One line of a worklist: the child, its current placement if any, and its flags."""

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
    missing_kind: str | None = None  # EpisodeKind of the episode open now, if any
    missing_since: dt.datetime | None = None
    risk_grade: str | None = None  # the label of the latest episode's current grade
    risk_is_high: bool = False
    open_tasks: int = 0
    interview_overdue: bool = False

    @property
    def out_of_area(self) -> bool:
        return self.host_council is not None and self.host_council != self.placing_council


def _has_current_placement(on: dt.date, **filters: Any) -> Exists:
    return Exists(placements_current(on=on).filter(child=OuterRef("pk"), **filters))


def _worklist_base(user: User, key: str, on: dt.date) -> QuerySet[Child]:
    """The children of one list, from the access policy's ``children_visible_to``: the
    filters only narrow it to one kind of involvement."""
    org = user.organisation
    visible = children_visible_to(user)
    if org is None or key not in {w.key for w in worklists_for(user=user)}:
        return visible.none()
    if key == "placed" and org.council_id:
        return visible.filter(placing_council_id=org.council_id)
    if key == "area" and org.council_id:
        return visible.filter(_has_current_placement(on, host_council_id=org.council_id)).exclude(
            placing_council_id=org.council_id
        )
    if key == "force" and org.police_force_id:
        return visible.filter(_has_current_placement(on, host_police_force_id=org.police_force_id))
    if key == "homes":
        return visible.filter(_has_current_placement(on, setting__provider_id=org.id))
    return visible.none()


def worklist_children(
    *, user: User, key: str, on: dt.date | None = None, at: dt.datetime | None = None
) -> QuerySet[Child]:
    """The children of the list ``key`` (one of ``worklists_for(user)``; any other is empty)
    on the day ``on``, annotated for the worklist (see ``worklist_rows``); ordered by name.

    "Missing now" is an episode open now that the user's organisation sees on its missing
    pages (``episodes_open_for``), so the list never says more than "Missing now" does; the
    risk grade is that of the latest such episode (its last risk change, else the grade at
    the report); open tasks are those assigned to the user's organisation.
    """
    on = on or today()
    at = at or current_time()
    current = placements_current(on=on).filter(child=OuterRef("pk")).order_by("-start_date")
    open_episode = episodes_open_for(user=user).filter(child=OuterRef("pk"))
    latest_changes = EpisodeUpdate.objects.filter(
        episode=OuterRef("pk"), kind=UpdateKind.RISK_CHANGE
    ).order_by("-recorded_at", "-created_at")
    latest_episode = (
        episodes_visible_to(user=user)
        .filter(child=OuterRef("pk"))
        .order_by("-last_seen_at")
        .annotate(
            current_grade=Coalesce(
                Subquery(latest_changes.values("risk_grade_id")[:1]),
                F("risk_grade_id"),
                output_field=UUIDField(),
            )
        )
    )
    grade = RiskGrade.objects.filter(pk=OuterRef("risk_grade_id"))
    org_id = user.organisation_id
    open_tasks = (
        Task.objects.filter(child=OuterRef("pk"), assignee_id=org_id, status=TaskStatus.OPEN)
        .order_by()
        .values("child")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _worklist_base(user, key, on)
        .select_related("placing_council")
        .annotate(
            setting_id=Subquery(current.values("setting_id")[:1]),
            setting_name=Subquery(current.values("setting__name")[:1]),
            host_council_id=Subquery(current.values("host_council_id")[:1]),
            host_council_name=Subquery(current.values("host_council__name")[:1]),
            host_police_force_name=Subquery(current.values("host_police_force__name")[:1]),
            distance=Subquery(current.values("distance_miles")[:1]),
            placement_start=Subquery(current.values("start_date")[:1]),
            missing_kind=Subquery(open_episode.values("kind")[:1]),
            missing_since=Subquery(open_episode.values("last_seen_at")[:1]),
            risk_grade_id=Subquery(latest_episode.values("current_grade")[:1]),
            risk_label=Subquery(grade.values("label")[:1]),
            risk_order=Subquery(grade.values("order")[:1]),
            risk_code=Subquery(grade.values("code")[:1]),
            risk_is_high=Subquery(grade.values("is_high")[:1]),
            open_tasks=Coalesce(Subquery(open_tasks[:1]), 0),
            interview_overdue=Exists(
                ReturnInterview.objects.filter(
                    child=OuterRef("pk"), status__in=OUTSTANDING_INTERVIEW, due_at__lt=at
                )
            ),
        )
        .order_by("last_name", "first_name", "child_ref")
    )


def worklist_rows(children: Iterable[Child], *, on: dt.date | None = None) -> list[ChildRow]:
    """The rows of children read with ``worklist_children``: no further query."""
    on = on or today()
    rows = []
    for child in children:
        c: Any = child  # the annotations
        rows.append(
            ChildRow(
                child_id=child.id,
                name=child.full_name,
                child_ref=child.child_ref,
                age=age_on(child.date_of_birth, on),
                placing_council=child.placing_council.name,
                setting=c.setting_name,
                host_council=c.host_council_name,
                host_police_force=c.host_police_force_name,
                distance_miles=c.distance,
                start_date=c.placement_start,
                missing_kind=c.missing_kind,
                missing_since=c.missing_since,
                risk_grade=c.risk_label,
                risk_is_high=bool(c.risk_is_high),
                open_tasks=c.open_tasks,
                interview_overdue=c.interview_overdue,
            )
        )
    return rows


# --- Timeline ---------------------------------------------------------------------------
#
# The timeline is read a page at a time, whatever the child's history. Each source below is
# one query whose rows give one kind of event, newest first, keyed on one column; a page is
# the merge of the newest ``number x per_page`` rows of every source, so a page costs two
# queries a source (its count and its rows), and the first page, the one people open, reads
# at most ``per_page`` rows from each. A source's rows carry what its events say
# (``select_related``), so no event reads the database.


@dataclass(frozen=True)
class TimelineEvent:
    """One event in a child's shared chronology.

    ``order`` breaks ties between events on the same day: higher comes first when the
    timeline is shown newest first. Events with a time have 100 plus the seconds since the
    London day began (so a later event is above an earlier one, and every one is above the
    day's placement events, which have only a date: a new placement is above the end of the
    one before).
    """

    on: dt.date
    kind: str
    title: str
    detail: str
    order: int = 0
    # A notice's delivery receipts, folded under the notice they belong to (oldest first).
    receipts: tuple[TimelineEvent, ...] = ()

    @property
    def key(self) -> tuple[dt.date, int]:
        return (self.on, self.order)


# The kinds of entry a reader can choose to see (the filter's values and labels): events
# first, then notices, their delivery receipts and views of the record (issue 14).
TIMELINE_KINDS: dict[str, str] = {
    "placements": "Placements",
    "episodes": "Missing and away episodes",
    "interviews": "Return home interviews",
    "tasks": "Tasks",
    "notices": "Notices",
    "deliveries": "Delivery receipts",
    "views": "Views of the record",
}
# Shown when no kind is chosen: everything but the views, with the receipts folded under
# their notice, so the events are not drowned.
DEFAULT_KINDS = frozenset(TIMELINE_KINDS) - {"views"}


@dataclass(frozen=True)
class TimelineFilter:
    """Which entries to show: some kinds (none chosen: ``DEFAULT_KINDS``) on days from
    ``since`` to ``until``, both included (London days).

    Delivery receipts are folded under the notice they belong to when notices are shown, and
    are entries of their own only when they are chosen without the notices. Views of the
    record are shown only when chosen, and only to a reader who may see who viewed the record
    (the caller drops them for anyone else)."""

    kinds: frozenset[str] = frozenset()
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def shown(self) -> frozenset[str]:
        return self.kinds or DEFAULT_KINDS

    def wants(self, kind: str) -> bool:
        if kind == "deliveries":
            return "deliveries" in self.shown and "notices" not in self.shown
        return kind in self.shown

    @property
    def folds_receipts(self) -> bool:
        return {"notices", "deliveries"} <= self.shown


@dataclass(frozen=True)
class TimelinePage:
    """One page of the timeline, newest first, and where it sits among the pages."""

    events: list[TimelineEvent]
    number: int
    num_pages: int
    count: int


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


def _at(moment: dt.datetime) -> tuple[dt.date, int]:
    """The London day of a moment, and its order within the day: 100 plus the seconds since
    the day began, which rises with the moment even on the day the clocks go back."""
    day = moment.astimezone(LONDON).date()
    return day, 100 + int((moment - _start_of(day)).total_seconds())


def _time(moment: dt.datetime) -> str:
    local = moment.astimezone(LONDON)
    return local.strftime("%-I:%M%p").lower().replace(":00", "")


def _grade(label: str, version: str) -> str:
    return f"{label} ({version} list)" if version else label


@dataclass(frozen=True)
class _Source:
    """One kind of event: its rows (newest first by ``column``, their moment or, for
    placements, their day) and the event each row makes."""

    kind: str  # one of TIMELINE_KINDS
    column: str
    dated: bool  # a DateField (placements) rather than a moment
    rows: Callable[[ChildAccess], QuerySet[Any]]
    event: Callable[[Any], TimelineEvent]
    order: int = 0  # the ``order`` of a dated source's events
    tiebreak: tuple[str, ...] = ("-created_at", "-pk")

    def queryset(self, access: ChildAccess, since: dt.date | None, until: dt.date) -> QuerySet[Any]:
        rows = self.rows(access).filter(**{f"{self.column}__isnull": False})
        if self.dated:
            rows = rows.filter(**{f"{self.column}__lte": until})
            if since is not None:
                rows = rows.filter(**{f"{self.column}__gte": since})
        else:
            rows = rows.filter(**{f"{self.column}__lt": _start_of(until + dt.timedelta(days=1))})
            if since is not None:
                rows = rows.filter(**{f"{self.column}__gte": _start_of(since)})
        return rows.order_by(f"-{self.column}", *self.tiebreak)

    def key(self, value: Any) -> tuple[dt.date, int]:
        """The sort key of the event a row with ``column`` = ``value`` makes (its ``key``)."""
        return (value, self.order) if self.dated else _at(value)


# Placements ------------------------------------------------------------------------------


def _where(placement: Placement) -> str:
    return f"{placement.setting.name}, {placement.host_council.name}"


def _placement_started(placement: Placement) -> TimelineEvent:
    return TimelineEvent(
        on=placement.start_date,
        kind="placement_started",
        title="Placement started",
        detail=f"Placed at {_where(placement)}"
        + (" as an emergency placement" if placement.is_emergency else "")
        + ".",
        order=20,
    )


def _placement_ended(placement: Placement) -> TimelineEvent:
    assert placement.end_date is not None  # the source reads only ended placements
    return TimelineEvent(
        on=placement.end_date,
        kind="placement_ended",
        title="Placement ended",
        detail=f"Left {_where(placement)}.",
        order=10,
    )


# Notices ---------------------------------------------------------------------------------


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
            # A user, or the name and role given through the signed link (no account).
            who = (
                event.actor.get_full_name() or event.actor.username
                if event.actor
                else notice.acknowledged_by_text
            )
            by = f" by {who}" if who else ""
            return f"{label} acknowledged by {to}", f"Acknowledged{by}. {reference}"
        case NoticeEventKind.ESCALATED:
            return f"{label} escalated", f"{event.detail}. {reference}"
        case NoticeEventKind.TEMPORARY_FAILURE | NoticeEventKind.LEASE_EXPIRED:
            return f"{label} not delivered yet: {channel}", f"Sightline will try again. {reference}"
        case NoticeEventKind.UNDELIVERABLE:
            return f"{label} could not be e-mailed to {to}", f"{event.detail}. {reference}"
        case NoticeEventKind.RETRIED:
            return f"{label} queued again: {channel}", reference
        case _:
            return f"{label} could not be delivered: {channel}", f"To {to}. {reference}"


def _notice_event(event: NoticeEvent) -> TimelineEvent:
    on, order = _at(event.at)
    title, detail = _notice_event_title(event)
    return TimelineEvent(
        on=on,
        kind=f"notice_{event.event}".replace("-", "_"),
        title=title,
        detail=detail,
        order=order,
    )


# What happened to the notice itself; every other event of a notice is a delivery receipt.
NOTICE_EVENTS = (
    NoticeEventKind.CREATED,
    NoticeEventKind.ACKNOWLEDGED,
    NoticeEventKind.ESCALATED,
)


def _notice_events(access: ChildAccess) -> QuerySet[NoticeEvent]:
    return notice_events_for_child(child=access.child).select_related(
        "notice__recipient", "actor", "delivery"
    )


def _notices_with_receipts(ids: list[Any]) -> dict[Any, TimelineEvent]:
    """The page's notice events (by id), each notice's sending with its delivery receipts
    folded under it: one query for both."""
    sent = NoticeEvent.objects.filter(pk__in=ids, event=NoticeEventKind.CREATED)
    found = list(
        NoticeEvent.objects.filter(
            Q(pk__in=ids)
            | Q(notice_id__in=sent.values("notice_id"), event__in=_RECEIPTS, at__lte=current_time())
        )
        .select_related("notice__recipient", "actor", "delivery")
        .order_by("at", "created_at", "pk")
    )
    receipts: dict[Any, list[TimelineEvent]] = {}
    for row in found:
        if row.event in _RECEIPTS:
            receipts.setdefault(row.notice_id, []).append(_notice_event(row))
    wanted = set(ids)
    return {
        row.pk: replace(
            _notice_event(row),
            receipts=tuple(receipts.get(row.notice_id, ()))
            if row.event == NoticeEventKind.CREATED
            else (),
        )
        for row in found
        if row.pk in wanted
    }


_RECEIPTS = [k for k in NoticeEventKind.values if k not in NOTICE_EVENTS]


# Views of the record --------------------------------------------------------------------


def _views(access: ChildAccess) -> QuerySet[AuditEvent]:
    """Who opened the child's record or its parts (the audit's reads about the child)."""
    return AuditEvent.objects.filter(child_id=access.child.pk, kind=AuditKind.READ).annotate(
        organisation_name=Subquery(
            Organisation.objects.filter(pk=OuterRef("organisation_id")).values("name")[:1]
        )
    )


def _view_event(event: AuditEvent) -> TimelineEvent:
    on, order = _at(event.at)
    who = event.username or "Sightline"
    org = getattr(event, "organisation_name", None)
    emergency = " (emergency access)" if "break-glass" in event.involvement else ""
    return TimelineEvent(
        on=on,
        kind="view",
        title=f"Viewed by {who}" + (f", {org}" if org else ""),
        detail=f"At {_time(event.at)}: {event.purpose or 'no reason recorded'}{emergency}.",
        order=order,
    )


# Missing and away episodes ---------------------------------------------------------------


def _episode_started(episode: Episode) -> TimelineEvent:
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
    return TimelineEvent(
        on=on,
        kind=f"episode_{episode.kind}",
        title=f"Went {word} from {episode.setting.name}",
        detail=f"Last seen at {_time(episode.last_seen_at)}. "
        + (f"Reported by {reporter.name}. " if reporter else "")
        + f"Alerts sent to {alerted}.{grade}",
        order=order,
    )


def _episode_update(update: EpisodeUpdate) -> TimelineEvent:
    on, order = _at(update.supplied_at)
    title = UpdateKind(update.kind).label
    if update.kind == UpdateKind.RISK_CHANGE and update.risk_grade is not None:
        title = "Police risk grade changed to " + _grade(
            update.risk_grade.label, update.risk_grade_list_version
        )
    text = " ".join(update.text.split())
    return TimelineEvent(
        on=on,
        kind=f"episode_update_{update.kind}",
        title=title,
        detail=f"Supplied by {update.supplied_by} at {_time(update.supplied_at)}."
        + (f" {text}" if text else ""),
        order=order,
    )


def _episode_returned(episode: Episode) -> TimelineEvent:
    assert episode.returned_at is not None  # the source reads only returned episodes
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
    return TimelineEvent(
        on=on,
        kind="episode_returned",
        title="Returned" if episode.found_by == FoundBy.SELF else "Found",
        detail=" ".join(
            [
                f"At {_time(episode.returned_at)}" + (f", in {where}" if where else "") + ".",
                *([f"{found_by}."] if found_by else []),
                *facts,
            ]
        ),
        order=order,
    )


# Return home interviews ------------------------------------------------------------------

_INTERVIEW_TITLES = {
    InterviewStatus.TO_OFFER: "Return home interview to be offered",
    InterviewStatus.OFFERED: "Return home interview offered",
    InterviewStatus.ACCEPTED: "Return home interview accepted",
    InterviewStatus.DECLINED: "Return home interview declined",
    InterviewStatus.COMPLETED: "Return home interview held",
}


def _interview_event(event: InterviewEvent) -> TimelineEvent:
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
    return TimelineEvent(
        on=on, kind=f"interview_{event.status}", title=title, detail=detail, order=order
    )


def _interview_information(info: InterviewInformation) -> TimelineEvent:
    on, order = _at(info.recorded_at)
    return TimelineEvent(
        on=on,
        kind="interview_information",
        title="Information added to the return home interview",
        detail=f"Supplied by {info.supplied_by}.",
        order=order,
    )


# Tasks -----------------------------------------------------------------------------------


def _task_created(task: Task) -> TimelineEvent:
    on, order = _at(task.created_at)
    due = task.due_at.astimezone(LONDON)
    return TimelineEvent(
        on=on,
        kind=f"task_{task.kind}",
        title=f"Task for {task.assignee.name}: {TaskKind(task.kind).label}",
        detail=f"{task.detail}. Due by the end of {due:%-d %B %Y}."
        if task.detail
        else f"Due by the end of {due:%-d %B %Y}.",
        order=order,
    )


def _task_closed(task: Task) -> TimelineEvent:
    assert task.completed_at is not None  # the source reads only closed tasks
    on, order = _at(task.completed_at)
    return TimelineEvent(
        on=on,
        kind="task_closed",
        title=f"Task {TaskStatus(task.status).label.lower()}: {TaskKind(task.kind).label}",
        detail=f"By {task.assignee.name}.",
        order=order,
    )


def _placements(access: ChildAccess) -> QuerySet[Placement]:
    return placement_history(access=access)


def _episodes(access: ChildAccess) -> QuerySet[Episode]:
    return Episode.objects.filter(child=access.child)


def _tasks(access: ChildAccess) -> QuerySet[Task]:
    return Task.objects.filter(child=access.child).select_related("assignee")


# Each domain that has events about a child adds its sources here. A source reads only rows
# about the one child ``access`` opened.
TIMELINE_SOURCES: list[_Source] = [
    _Source("placements", "start_date", True, _placements, _placement_started, order=20),
    _Source("placements", "end_date", True, _placements, _placement_ended, order=10),
    _Source(
        "notices",
        "at",
        False,
        lambda access: _notice_events(access).filter(event__in=NOTICE_EVENTS),
        _notice_event,
    ),
    _Source(
        "deliveries",
        "at",
        False,
        lambda access: _notice_events(access).exclude(event__in=NOTICE_EVENTS),
        _notice_event,
    ),
    _Source("views", "at", False, _views, _view_event, tiebreak=("-pk",)),
    _Source(
        "episodes",
        "last_seen_at",
        False,
        lambda access: _episodes(access).select_related(
            "setting", "risk_grade", "reported_by_organisation"
        ),
        _episode_started,
    ),
    _Source(
        "episodes",
        "supplied_at",
        False,
        lambda access: EpisodeUpdate.objects.filter(episode__child=access.child).select_related(
            "risk_grade"
        ),
        _episode_update,
    ),
    _Source(
        "episodes",
        "returned_at",
        False,
        lambda access: _episodes(access).select_related("found_council", "found_police_force"),
        _episode_returned,
    ),
    _Source(
        "interviews",
        "at",
        False,
        lambda access: InterviewEvent.objects.filter(interview__child=access.child).select_related(
            "interview__service"
        ),
        _interview_event,
    ),
    _Source(
        "interviews",
        "recorded_at",
        False,
        lambda access: InterviewInformation.objects.filter(interview__child=access.child),
        _interview_information,
    ),
    _Source("tasks", "created_at", False, _tasks, _task_created),
    _Source("tasks", "completed_at", False, _tasks, _task_closed),
]

TIMELINE_PER_PAGE = 25


def child_timeline(
    *,
    access: ChildAccess,
    on: dt.date | None = None,
    filters: TimelineFilter | None = None,
    page: int = 1,
    per_page: int = TIMELINE_PER_PAGE,
) -> TimelinePage:
    """One page of the events so far (up to ``on``, today by default) about the child
    ``access`` opened, newest first, narrowed by ``filters``. A page number past the last
    gives the last page.

    Two steps, so that the work is a page's whatever the history: for each source, one query
    for how many rows it has and the keys (id and moment) of its newest ``number x
    per_page``; the keys merged say which rows make the page; then one query for those rows of
    each source with any on the page. At most two queries a source.
    """
    filters = filters or TimelineFilter()
    until = min(filters.until or (on or today()), on or today())
    sources = [
        (source, source.queryset(access, filters.since, until))
        for source in TIMELINE_SOURCES
        if filters.wants(source.kind)
    ]
    wanted = max(page, 1) * per_page
    count = 0
    keyed: list[tuple[tuple[dt.date, int], int, Any]] = []
    for index, (source, rows) in enumerate(sources):
        newest = list(
            rows.annotate(total=Window(Count("pk"))).values_list("pk", source.column, "total")[
                :wanted
            ]
        )
        count += newest[0][2] if newest else 0
        keyed += [(source.key(value), index, pk) for pk, value, _ in newest]
    num_pages = max(1, -(-count // per_page))
    number = min(max(page, 1), num_pages)
    keyed.sort(key=lambda k: k[0], reverse=True)  # stable: sources' order, then their own
    on_page = keyed[(number - 1) * per_page : number * per_page]
    wanted_ids: dict[int, list[Any]] = {}
    for _, index, pk in on_page:
        wanted_ids.setdefault(index, []).append(pk)
    found: dict[tuple[int, Any], TimelineEvent] = {}
    for index, ids in wanted_ids.items():
        source, rows = sources[index]
        if source.kind == "notices" and filters.folds_receipts:
            found.update({(index, pk): e for pk, e in _notices_with_receipts(ids).items()})
            continue
        for row in rows.filter(pk__in=ids):
            found[(index, row.pk)] = source.event(row)
    events = [found[(index, pk)] for _, index, pk in on_page]
    return TimelinePage(events=events, number=number, num_pages=num_pages, count=count)


def tasks_for_child(*, access: ChildAccess, organisation: Organisation) -> QuerySet[Task]:
    """The tasks about the child ``access`` opened assigned to an organisation, open first,
    soonest due first."""
    return (
        Task.objects.filter(child=access.child, assignee=organisation)
        .select_related("created_from", "interview")
        .order_by("-status", "due_at")
    )


# --- The record's version ------------------------------------------------------------------
#
# The record page keeps its rendered sections in a cache (ADR "record sections cached by
# version"): the key holds a version of everything the page shows about the child, read from
# the database on every request, so that a change written by any process (another web worker,
# the delivery worker, an import) shows on the next request. For each table the record reads,
# one aggregate over the child's rows: how many there are (an insert or a delete changes it)
# and the sum of their ``updated_at`` in microseconds (any save changes it, whatever the
# clocks of the servers that wrote it). One query, whatever the history.


@dataclass(frozen=True)
class RecordTable:
    """A table whose rows the record shows: ``model``'s rows with ``child_id`` = the child,
    or, with ``via``, the rows of ``model`` whose foreign key ``via`` points at a row of
    ``via``'s target with that ``child_id``. ``stamped``: the table has ``updated_at``."""

    model: Any
    via: str = ""
    stamped: bool = True


# Every table whose rows change what the record page shows. A new section of the page that
# reads another table adds it here (``tests/web/test_child_record_cache.py`` checks the
# timeline's sources are all here).
RECORD_TABLES: list[RecordTable] = [
    RecordTable(Child),  # keyed on its own id (see _version_sql)
    RecordTable(Placement),
    RecordTable(Episode),
    RecordTable(EpisodeUpdate, via="episode"),
    RecordTable(ReturnInterview),
    RecordTable(ReturnInterview.episodes.through, via="returninterview", stamped=False),
    RecordTable(InterviewEvent, via="interview"),
    RecordTable(InterviewInformation, via="interview"),
    RecordTable(Task),
    RecordTable(NoticeEvent, via="notice"),
    # The social worker and team manager allocated in a placement (issue 14). An
    # organisation's or a home's contacts are not about one child: a change reaches a cached
    # record within the minute its key holds.
    # Issue 18: the exploitation section (grade, trend, NRM status).
    RecordTable(Screening),
    RecordTable(NrmReferral),
    RecordTable(NrmDecision),
    RecordTable(Contact, via="placement"),
    # Issue 17: the child's own words the record opens with, and the social workers of the
    # imported SSDA903 SWEpisodes its continuity counts (a re-import deletes and writes them:
    # it changes the count or the child's row the import updates).
    RecordTable(ChildStatement),
    RecordTable(ImportedSocialWorkerEpisode, stamped=False),
]
# The timeline's sources that are not versioned: the views of the record. Each look writes
# one, so a version holding them would change with every page and nothing would be cached;
# the list of views is at most a minute old (the minute in the key).
UNVERSIONED_SOURCES = frozenset({"views"})


def _micros(vendor: str, column: str) -> str:
    """SQL for the microseconds since 1970 of a timestamp column, as an exact integer."""
    if vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    # SQLite keeps Django's timestamps as text: "2026-12-06 12:59:43.157139" (no fraction
    # when it is zero).
    return (
        f"(CAST(strftime('%%s', {column}) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER))"
    )


def _version_sql(vendor: str, tables: list[RecordTable]) -> str:
    from django.db import connection

    quote = connection.ops.quote_name
    parts = []
    for index, table in enumerate(tables):
        meta = table.model._meta
        name = quote(meta.db_table)
        if table.model is Child:
            where, source = f"{name}.{quote('id')} = %s", name
        elif table.via:
            fk = meta.get_field(table.via)
            parent = fk.related_model._meta
            source = (
                f"{name} JOIN {quote(parent.db_table)} ON {name}.{quote(fk.column)} = "
                f"{quote(parent.db_table)}.{quote(parent.pk.column)}"
            )
            where = f"{quote(parent.db_table)}.{quote('child_id')} = %s"
        else:
            where, source = f"{name}.{quote('child_id')} = %s", name
        updated_at = f"{name}.{quote('updated_at')}"
        stamp = f"COALESCE(SUM({_micros(vendor, updated_at)}), 0)" if table.stamped else "0"
        # Names from the models and the quoting of the connection; the child id is a parameter.
        parts.append(f"SELECT {index}, COUNT(*), {stamp} FROM {source} WHERE {where}")  # noqa: S608
    return " UNION ALL ".join(parts)


_VERSION_SQL: dict[tuple[str, int], str] = {}


def child_record_version(*, access: ChildAccess) -> str:
    """A version of everything the record page shows about the child ``access`` opened: it
    changes whenever a row of ``RECORD_TABLES`` about the child is added, changed or removed.
    """
    from django.db import connection

    key = (connection.vendor, len(RECORD_TABLES))
    sql = _VERSION_SQL.get(key)
    if sql is None:
        sql = _VERSION_SQL[key] = _version_sql(connection.vendor, RECORD_TABLES)
    child_id = Child._meta.pk.get_db_prep_value(access.child.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [child_id] * len(RECORD_TABLES))
        rows = sorted(cursor.fetchall())
    return ".".join(f"{count}-{stamp}" for _, count, stamp in rows)
