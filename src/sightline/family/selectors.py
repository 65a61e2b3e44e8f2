"""Reads of the child's voice, plan, continuity and family.

Each takes the access its view or API operation resolved (``ChildAccess`` for
``Action.VIEW_FAMILY``), so no read reaches a child's data around the policy. The parent's
view reads through an open invitation instead (``parent_view_*``): there is no user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from sightline.access.policy import Action, ChildAccess, allowed_involvements
from sightline.children.models import Child
from sightline.core.errors import ValidationError
from sightline.core.timeutil import today
from sightline.family.models import (
    ChildStatement,
    Parent,
    ParentInvitation,
    ParentSharing,
    PlanVersion,
    SharingChannel,
    StatementOccasion,
    StatementTopic,
)
from sightline.missing.models import InterviewStatus, ReturnInterview
from sightline.organisations.models import Organisation, User
from sightline.placements.models import Contact, ContactRole, Placement
from sightline.returns.models import ImportedSocialWorkerEpisode

# --- The child's voice -----------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceItem:
    """One thing the child said: the words as said, when, to whom and on what occasion."""

    said_at: dt.datetime
    words: str
    said_to: str
    occasion: str
    topic: str
    source: str  # "statement" or "interview"


def child_voice(*, access: ChildAccess, limit: int | None = None) -> list[VoiceItem]:
    """What the child has said, newest first: the statements recorded here and the child's
    own words from completed return home interviews."""
    statements = ChildStatement.objects.filter(child=access.child).order_by("-said_at")
    interviews = (
        ReturnInterview.objects.filter(child=access.child, status=InterviewStatus.COMPLETED)
        .exclude(child_words="")
        .select_related("interviewer_organisation", "service")
        .order_by("-completed_at")
    )
    if limit is not None:
        statements, interviews = statements[:limit], interviews[:limit]
    items = [
        VoiceItem(
            said_at=s.said_at,
            words=s.words,
            said_to=s.said_to,
            occasion=StatementOccasion(s.occasion).label,
            topic=StatementTopic(s.topic).label,
            source="statement",
        )
        for s in statements
    ]
    for interview in interviews:
        organisation = interview.interviewer_organisation or interview.service
        items.append(
            VoiceItem(
                said_at=interview.completed_at or interview.due_at,
                words=interview.child_words,
                said_to=f"Return home interviewer, {organisation.name}",
                occasion="Return home interview",
                topic="About their life",
                source="interview",
            )
        )
    items.sort(key=lambda item: item.said_at, reverse=True)
    return items[:limit] if limit is not None else items


def child_priorities(*, access: ChildAccess) -> list[ChildStatement]:
    """The child's own priorities and goals, newest first."""
    return list(
        ChildStatement.objects.filter(child=access.child, topic=StatementTopic.PRIORITIES).order_by(
            "-said_at"
        )
    )


def statements_for_child(*, access: ChildAccess) -> list[ChildStatement]:
    return list(ChildStatement.objects.filter(child=access.child).order_by("-said_at"))


# --- The plan --------------------------------------------------------------------------------


def plan_versions(*, access: ChildAccess) -> list[PlanVersion]:
    """Every version of the child's plan, newest first, with the agencies that took part."""
    return list(
        PlanVersion.objects.filter(child=access.child)
        .prefetch_related("agencies")
        .order_by("-version")
    )


def plan_agencies(*, access: ChildAccess) -> QuerySet[Organisation]:
    """The agencies that can take part in a plan: the placing council, and the host councils,
    police forces and providers of the child's placements."""
    placements = Placement.objects.filter(child=access.child)
    return Organisation.objects.filter(
        Q(kind="council", council_id=access.child.placing_council_id)
        | Q(kind="council", council_id__in=placements.values("host_council_id"))
        | Q(kind="police", police_force_id__in=placements.values("host_police_force_id"))
        | Q(pk__in=placements.values("setting__provider_id"))
    ).order_by("name")


def plan_agencies_chosen(*, access: ChildAccess, ids: Iterable[Any]) -> list[Organisation]:
    """The agencies named by id, each one that can take part in the child's plan."""
    wanted = {str(i) for i in ids}
    found = [o for o in plan_agencies(access=access) if str(o.pk) in wanted]
    if len(found) != len(wanted):
        raise ValidationError(
            "Name only agencies involved with the child", field="agency_ids", record="Child's plan"
        )
    return found


def plan_current(*, child: Child) -> PlanVersion | None:
    return (
        PlanVersion.objects.filter(child=child)
        .prefetch_related("agencies")
        .order_by("-version")
        .first()
    )


# --- Parents and carers ----------------------------------------------------------------------


def parents_for_child(*, access: ChildAccess) -> list[Parent]:
    return list(Parent.objects.filter(child=access.child).order_by("relationship", "name"))


def parents_contactable(*, child: Child) -> list[Parent]:
    """The parents any automatic message may go to: never a restricted one. Every channel
    that contacts parents on its own starts here."""
    return list(Parent.objects.filter(child=child, restricted=False))


def sharing_for_parent(*, parent: Parent) -> list[ParentSharing]:
    return list(
        ParentSharing.objects.filter(parent=parent)
        .select_related("shared_by", "organisation")
        .order_by("-shared_at")
    )


def invitations_for_parent(*, parent: Parent) -> list[ParentInvitation]:
    return list(
        ParentInvitation.objects.filter(parent=parent)
        .select_related("invited_by", "ended_by")
        .order_by("-created_at")
    )


def invitation_open_for_parent(*, parent: Parent) -> ParentInvitation | None:
    from sightline.core.timeutil import now

    return (
        ParentInvitation.objects.filter(parent=parent, ended_at__isnull=True, ends_at__gt=now())
        .order_by("-created_at")
        .first()
    )


# --- Continuity ------------------------------------------------------------------------------

CONTINUITY_DAYS = 365


@dataclass(frozen=True)
class WorkerPeriod:
    """A social worker allocated to the child from ``start`` to ``end`` (None: still).
    ``worker`` identifies the worker within one source: a name folded to lower case from the
    record's contacts, ``903:<SW_ID>`` from the imported SSDA903 SWEpisodes."""

    worker: str
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class ReturnedWorkers:
    """The child's social worker episodes from the imported SSDA903 returns (SWEpisodes, ADR
    36), and the last day those returns cover (the 31 March ending the latest collection year
    that gave the child any): the 903 is the statutory account of who was the child's social
    worker up to that day."""

    periods: tuple[WorkerPeriod, ...] = ()
    covered_until: dt.date | None = None


@dataclass(frozen=True)
class Continuity:
    since: dt.date
    on: dt.date
    placements: int
    social_workers: int
    from_returns: bool = False  # the 903's SWEpisodes counted (ADR 52)


def social_worker_count(periods: Iterable[WorkerPeriod], *, since: dt.date, on: dt.date) -> int:
    """How many different social workers had the child at some time in ``[since, on]``."""
    return len(
        {
            p.worker
            for p in periods
            if p.worker and p.start <= on and (p.end is None or p.end >= since)
        }
    )


def social_worker_periods_from_record(*, child: Child) -> list[WorkerPeriod]:
    """The social workers allocated in the child's placements (``placements.Contact``, ADR
    29): each placement's allocated worker for the length of the placement."""
    return [
        WorkerPeriod(
            worker=" ".join(contact.name.casefold().split()),
            start=placement.start_date,
            end=placement.end_date,
        )
        for contact in Contact.objects.filter(
            role=ContactRole.SOCIAL_WORKER, placement__child=child
        ).select_related("placement")
        if (placement := contact.placement) is not None
    ]


def social_worker_periods_from_returns(*, child: Child) -> ReturnedWorkers:
    """The child's imported SWEpisodes (only the current import of each council and year holds
    rows: a re-import replaces them). An episode without a start date or a worker id cannot
    be placed in time or told apart, so it is left out (the DfE's rules reject both)."""
    rows = list(
        ImportedSocialWorkerEpisode.objects.filter(child=child)
        .exclude(sw_id="")
        .exclude(sw_decom__isnull=True)
        .values_list("sw_id", "sw_decom", "sw_dec", "return_import__year")
    )
    if not rows:
        return ReturnedWorkers()
    return ReturnedWorkers(
        periods=tuple(
            WorkerPeriod(worker=f"903:{sw_id.strip().casefold()}", start=start, end=end)
            for sw_id, start, end, _ in rows
            if start is not None
        ),
        covered_until=dt.date(max(year for *_, year in rows), 3, 31),
    )


def combined_worker_periods(
    *, record: Iterable[WorkerPeriod], returned: ReturnedWorkers
) -> list[WorkerPeriod]:
    """One account of the child's social workers from both sources, each worker counted once.
    The two sources name workers differently (a name on the record, an id in the 903) and
    cannot be matched, so they are never counted side by side for the same days: up to the
    day the imported returns cover, the 903's SWEpisodes are the account; after it, the
    record's allocations that started after that day (an allocation running across it is
    the worker the 903 already names). A 903 episode still open on that day lasts until the
    first worker the record allocated after it. ADR 52."""
    if returned.covered_until is None:
        return list(record)
    cut = returned.covered_until
    later = [p for p in record if p.start > cut]
    handed_over = min((p.start for p in later), default=None)
    returned_periods = [
        p
        if p.end is not None or handed_over is None
        else WorkerPeriod(p.worker, p.start, handed_over - dt.timedelta(days=1))
        for p in returned.periods
    ]
    return [*returned_periods, *later]


def continuity_from(
    *,
    placements: Iterable[Any],
    periods: Iterable[WorkerPeriod],
    on: dt.date | None = None,
    returned: ReturnedWorkers | None = None,
) -> Continuity:
    """``continuity_for_child`` from placements already read (the record has them): the
    same rule as ``placement_count``, without another query. ``returned``: the child's
    imported SWEpisodes (``social_worker_periods_from_returns``)."""
    on = on or today()
    since = on - dt.timedelta(days=CONTINUITY_DAYS)
    returned = returned or ReturnedWorkers()
    count = sum(
        1 for p in placements if p.start_date <= on and (p.end_date is None or p.end_date > since)
    )
    combined = combined_worker_periods(record=periods, returned=returned)
    return Continuity(
        since=since,
        on=on,
        placements=count,
        social_workers=social_worker_count(combined, since=since, on=on),
        from_returns=social_worker_count(
            (p for p in combined if p.worker.startswith("903:")), since=since, on=on
        )
        > 0,
    )


def placement_count(*, child: Child, since: dt.date, on: dt.date) -> int:
    """Placements the child lived in at some time in ``[since, on]`` (started by ``on``)."""
    return (
        Placement.objects.filter(child=child, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=since))
        .count()
    )


def continuity_for_child(*, child: Child, on: dt.date | None = None) -> Continuity:
    """Social workers and placements in the last 12 months, from the record and the imported
    SSDA903 returns (placements an import wrote are on the record already; social workers
    from its SWEpisodes, ``combined_worker_periods``)."""
    on = on or today()
    since = on - dt.timedelta(days=CONTINUITY_DAYS)
    continuity = continuity_from(
        placements=[],
        periods=social_worker_periods_from_record(child=child),
        on=on,
        returned=social_worker_periods_from_returns(child=child),
    )
    return Continuity(
        since=since,
        on=on,
        placements=placement_count(child=child, since=since, on=on),
        social_workers=continuity.social_workers,
        from_returns=continuity.from_returns,
    )


# --- The parent's view -----------------------------------------------------------------------


@dataclass(frozen=True)
class ParentContact:
    label: str
    name: str
    phone: str
    email: str


# The contacts a parent sees: the placing council's people for the child. Not the home's
# manager nor the police (they would say where the child lives), nobody else in the family.
PARENT_VIEW_ROLES = (ContactRole.SOCIAL_WORKER, ContactRole.TEAM_MANAGER)
PARENT_VIEW_ORGANISATION_ROLES = (ContactRole.OUT_OF_HOURS,)


def parent_view_contacts(*, invitation: ParentInvitation) -> list[ParentContact]:
    child = invitation.child
    on = today()
    current = (
        Placement.objects.filter(child=child, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=on))
        .order_by("-start_date")
        .first()
    )
    q = Q(
        role__in=PARENT_VIEW_ORGANISATION_ROLES,
        organisation__kind="council",
        organisation__council_id=child.placing_council_id,
        setting__isnull=True,
        placement__isnull=True,
    )
    if current is not None:
        q |= Q(role__in=PARENT_VIEW_ROLES, placement=current)
    order = [str(role) for role in (*PARENT_VIEW_ROLES, *PARENT_VIEW_ORGANISATION_ROLES)]
    contacts = sorted(Contact.objects.filter(q), key=lambda c: order.index(c.role))
    return [
        ParentContact(label=ContactRole(c.role).label, name=c.name, phone=c.phone, email=c.email)
        for c in contacts
    ]


def parent_view_plan(*, invitation: ParentInvitation) -> PlanVersion | None:
    return plan_current(child=invitation.child)


# --- The shared chronology (contract.md) -----------------------------------------------------


def chronology_items(*, child: Child, user: User) -> list[dict[str, Any]]:
    """The chronology's rows from this package (the child's words recorded, plan versions,
    sharing with parents), for a user who may see the child's family: nothing otherwise.
    Labels name no one: no words, no names."""
    if not allowed_involvements(user, child, Action.VIEW_FAMILY):
        return []
    url = reverse("family_overview", args=[child.id])
    items: list[dict[str, Any]] = []
    for s in ChildStatement.objects.filter(child=child).only(
        "said_at", "occasion", "topic", "organisation_id"
    ):
        items.append(
            {
                "occurred_at": s.said_at,
                "kind": "child's words",
                "label": (
                    f"The child's words recorded ({StatementOccasion(s.occasion).label.lower()}: "
                    f"{StatementTopic(s.topic).label.lower()})"
                ),
                "organisation_id": s.organisation_id,
                "significance": "routine",
                "url": url,
            }
        )
    for p in PlanVersion.objects.filter(child=child).only(
        "created_at", "version", "child_took_part", "organisation_id"
    ):
        took_part = "the child took part" if p.child_took_part else "without the child"
        items.append(
            {
                "occurred_at": p.created_at,
                "kind": "plan",
                "label": f"Plan version {p.version} agreed ({took_part})",
                "organisation_id": p.organisation_id,
                "significance": "significant",
                "url": url,
            }
        )
    for sh in ParentSharing.objects.filter(child=child).select_related("parent"):
        how = SharingChannel(sh.channel).label.lower()
        items.append(
            {
                "occurred_at": sh.shared_at,
                "kind": "information shared",
                "label": f"Information shared with the child's "
                f"{sh.parent.get_relationship_display().lower()} ({how})",
                "organisation_id": sh.organisation_id,
                "significance": "routine",
                "url": url,
            }
        )
    items.sort(key=lambda item: item["occurred_at"])
    return items
