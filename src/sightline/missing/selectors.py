"""Reads for missing and away episodes, safety profiles, interviews and tasks.

One child's safety profile is read only through ``access_child`` with the action
``VIEW_SAFETY_PROFILE``: each read is an access record, naming the police grant when it went
through one. Lists start from the user's organisation and its involvement.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Prefetch, Q, QuerySet

from sightline.access.policy import Action, ChildAccess, access_child, children_visible_to
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now as current_time
from sightline.geography.models import Council, PoliceForce
from sightline.missing.models import (
    OUTSTANDING_INTERVIEW,
    Episode,
    EpisodeUpdate,
    ReturnInterview,
    RiskGrade,
    SafetyProfileVersion,
    Task,
    TaskStatus,
    UpdateKind,
)
from sightline.missing.storage import private_storage
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.placements.models import Placement, Setting


@dataclass(frozen=True)
class EpisodeSummary:
    """A previous episode, as the safety profile shows it to the police."""

    episode_id: Any
    kind: str
    missing_code: str
    last_seen_at: dt.datetime
    returned_at: dt.datetime | None
    duration: dt.timedelta | None
    setting_name: str
    found_place: str
    found_postcode: str
    found_council: str | None
    found_police_force: str | None
    found_outside_host_area: bool | None
    found_in_other_force_area: bool | None
    risk_grade: str | None


@dataclass(frozen=True)
class SafetyProfileView:
    access: ChildAccess
    profile: SafetyProfileVersion | None
    previous_episodes: list[EpisodeSummary]


def safety_profile_current(*, child: Child) -> SafetyProfileVersion | None:
    """The child's profile as it stands. Call only after ``access_child``."""
    return (
        SafetyProfileVersion.objects.filter(child=child)
        .select_related("recorded_by", "recorded_by_organisation")
        .order_by("-version")
        .first()
    )


def safety_profile_history(*, child: Child) -> QuerySet[SafetyProfileVersion]:
    """Every version, newest first: who changed what and when. Call after ``access_child``."""
    return (
        SafetyProfileVersion.objects.filter(child=child)
        .select_related("recorded_by", "recorded_by_organisation")
        .order_by("-version")
    )


def episode_risk_changes(*, episode: Episode) -> list[EpisodeUpdate]:
    """The episode's risk changes, oldest first. Uses ``episode.risk_changes`` where a list
    selector prefetched them (no query per episode), and asks the database otherwise, so that
    an episode loaded any other way never reads as having none."""
    prefetched = getattr(episode, "risk_changes", None)
    if prefetched is not None:
        return list(prefetched)
    return list(
        EpisodeUpdate.objects.filter(episode=episode, kind=UpdateKind.RISK_CHANGE)
        .select_related("risk_grade__list", "recorded_by_organisation")
        .order_by("recorded_at", "created_at")
    )


def episode_current_risk(*, episode: Episode) -> RiskGrade | None:
    """The latest risk grade: the last risk change, else the grade at the report. Uses
    ``episode.risk_changes`` where a list selector prefetched them (no query per episode)."""
    prefetched = getattr(episode, "risk_changes", None)
    if prefetched is not None:
        changes = list(prefetched)
        return changes[-1].risk_grade if changes else episode.risk_grade
    latest = (
        EpisodeUpdate.objects.filter(episode=episode, kind=UpdateKind.RISK_CHANGE)
        .select_related("risk_grade__list")
        .order_by("-recorded_at", "-created_at")
        .first()
    )
    if latest is not None:
        return latest.risk_grade
    return episode.risk_grade


def previous_episodes(*, child: Child) -> list[EpisodeSummary]:
    """Every episode of the child, newest first, with where the child was found."""
    rows = []
    episodes = Episode.objects.filter(child=child).select_related(
        "setting", "found_council", "found_police_force", "risk_grade"
    )
    for episode in episodes.order_by("-last_seen_at"):
        risk = episode_current_risk(episode=episode)
        rows.append(
            EpisodeSummary(
                episode_id=episode.id,
                kind=episode.kind,
                missing_code=episode.missing_code,
                last_seen_at=episode.last_seen_at,
                returned_at=episode.returned_at,
                duration=(episode.returned_at - episode.last_seen_at)
                if episode.returned_at
                else None,
                setting_name=episode.setting.name,
                found_place=episode.found_place,
                found_postcode=episode.found_postcode,
                found_council=episode.found_council.name if episode.found_council else None,
                found_police_force=episode.found_police_force.name
                if episode.found_police_force
                else None,
                found_outside_host_area=episode.found_outside_host_area,
                found_in_other_force_area=episode.found_in_other_force_area,
                risk_grade=risk.label if risk else None,
            )
        )
    return rows


def safety_profile_for_user(*, user: User, child_id: Any, purpose: str) -> SafetyProfileView:
    """The safety profile and previous episodes, for a user the policy allows.

    Police see it only through the grant made when the child is reported missing, until it
    ends. Raises ``NotFoundOrNotAllowed`` otherwise, as for a child that does not exist.
    """
    return safety_profile_view(
        access=access_child(user, child_id, action=Action.VIEW_SAFETY_PROFILE, purpose=purpose)
    )


def safety_profile_view(*, access: ChildAccess) -> SafetyProfileView:
    """The safety profile and previous episodes of the child ``access`` opened (with
    ``VIEW_SAFETY_PROFILE``, as the safety profile page declares)."""
    return SafetyProfileView(
        access=access,
        profile=safety_profile_current(child=access.child),
        previous_episodes=previous_episodes(child=access.child),
    )


@dataclass(frozen=True)
class PhotoFile:
    file: IO[bytes]
    content_type: str
    name: str


def safety_profile_photo_open(
    *, user: User, child_id: Any, purpose: str, version: int | None = None
) -> PhotoFile:
    """The profile photograph (of the current version, or of one version), opened for a view
    to stream. The read is recorded as any other look at the profile. The caller closes it."""
    access = access_child(user, child_id, action=Action.VIEW_SAFETY_PROFILE, purpose=purpose)
    return safety_profile_photo_file(access=access, version=version)


def safety_profile_photo_file(*, access: ChildAccess, version: int | None = None) -> PhotoFile:
    """The photograph of the child ``access`` opened (``VIEW_SAFETY_PROFILE``)."""
    versions = SafetyProfileVersion.objects.filter(child=access.child)
    profile = (
        versions.filter(version=version).first()
        if version is not None
        else versions.order_by("-version").first()
    )
    if profile is None or not profile.photo:
        raise NotFoundOrNotAllowed()
    name = str(profile.photo.name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return PhotoFile(file=private_storage().open(name, "rb"), content_type=content_type, name=name)


# --- Episodes ------------------------------------------------------------------------------


def episodes_for_child(*, access: ChildAccess) -> QuerySet[Episode]:
    """Every episode of the child ``access`` opened, newest first."""
    return (
        Episode.objects.filter(child=access.child)
        .select_related("setting", "host_council", "host_police_force", "risk_grade")
        .prefetch_related("updates", "interviews")
        .order_by("-last_seen_at")
    )


def episode_rows_for_child(
    *,
    access: ChildAccess,
    kinds: Collection[str] = (),
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> QuerySet[Episode]:
    """The child's episodes as a table shows them, newest first, for one page at a time:
    each with its setting, grade (and its list), return interviews and risk changes
    (``risk_changes``, read by ``episode_current_risk``) in a fixed number of queries however
    many episodes the page holds. Optionally only some kinds, or those last seen in
    ``[since, before)``."""
    episodes = Episode.objects.filter(child=access.child)
    if kinds:
        episodes = episodes.filter(kind__in=kinds)
    if since is not None:
        episodes = episodes.filter(last_seen_at__gte=since)
    if before is not None:
        episodes = episodes.filter(last_seen_at__lt=before)
    changes = Prefetch(
        "updates",
        queryset=EpisodeUpdate.objects.filter(kind=UpdateKind.RISK_CHANGE)
        .select_related("risk_grade__list")
        .order_by("recorded_at", "created_at"),
        to_attr="risk_changes",
    )
    return (
        episodes.select_related("setting", "risk_grade__list")
        .prefetch_related("interviews", changes)
        .order_by("-last_seen_at", "-created_at")
    )


def episode_open_for_child(*, access: ChildAccess) -> Episode | None:
    """The child's open episode, if any (a child has at most one)."""
    return (
        Episode.objects.filter(child=access.child, returned_at__isnull=True)
        .order_by("-last_seen_at")
        .first()
    )


def episode_updates(*, episode: Episode) -> QuerySet[EpisodeUpdate]:
    return (
        EpisodeUpdate.objects.filter(episode=episode)
        .select_related("risk_grade", "recorded_by", "recorded_by_organisation")
        .order_by("recorded_at", "created_at")
    )


def episodes_visible_to(*, user: User) -> QuerySet[Episode]:
    """Every episode the user's organisation sees in its lists:

    * a council: the children it placed (wherever they are) and those missing from settings
      in its area (placed by anyone);
    * a police force: those missing from settings in its area that it was alerted about;
    * a provider: those missing from its settings.

    and only of children the user may see now (``children_visible_to``: the user's role may
    view a child, and the organisation is involved with the child today or through an active
    grant), so a list says no more than the child's page would: when a placement ends, the
    former home's and host's lists lose the child on their next request.

    Lists show names and times only; the episode page itself goes through ``access_child``.
    """
    org = user.organisation
    if org is None or not user.is_active:
        return Episode.objects.none()
    episodes = Episode.objects.select_related(
        "child", "setting", "host_council", "host_police_force", "placing_council", "risk_grade"
    ).filter(child__in=children_visible_to(user).values("pk"))
    if org.kind == OrganisationKind.COUNCIL and org.council_id:
        return episodes.filter(
            Q(placing_council_id=org.council_id) | Q(host_council_id=org.council_id)
        )
    if org.kind == OrganisationKind.POLICE and org.police_force_id:
        return episodes.filter(host_police_force_id=org.police_force_id, police_alerted=True)
    if org.kind == OrganisationKind.PROVIDER:
        return episodes.filter(setting__provider=org)
    return Episode.objects.none()


def episodes_open_for(*, user: User) -> QuerySet[Episode]:
    """Children missing or away now, as the user's organisation sees them
    (``episodes_visible_to``)."""
    return episodes_visible_to(user=user).filter(returned_at__isnull=True)


def episodes_recent_for(*, user: User, since: dt.datetime) -> QuerySet[Episode]:
    """Episodes open now, or that started or ended since ``since``, newest first."""
    return (
        episodes_visible_to(user=user)
        .filter(
            Q(returned_at__isnull=True) | Q(last_seen_at__gte=since) | Q(returned_at__gte=since)
        )
        .order_by("-last_seen_at")
    )


def episode_duration(*, episode: Episode, at: dt.datetime | None = None) -> dt.timedelta:
    end = episode.returned_at or at or current_time()
    return end - episode.last_seen_at


# --- Interviews and tasks ------------------------------------------------------------------


def interviews_for_service(*, user: User) -> QuerySet[ReturnInterview]:
    """The interviews the user's organisation holds as interviewing service, soonest due
    first: of children the user may see now (``children_visible_to``)."""
    if user.organisation is None or not user.is_active:
        return ReturnInterview.objects.none()
    return (
        ReturnInterview.objects.filter(
            service=user.organisation, child__in=children_visible_to(user).values("pk")
        )
        .select_related("child")
        .prefetch_related("episodes")
        .order_by("due_at")
    )


def interviews_overdue(*, at: dt.datetime | None = None) -> QuerySet[ReturnInterview]:
    return ReturnInterview.objects.filter(
        status__in=OUTSTANDING_INTERVIEW, due_at__lt=at or current_time()
    ).order_by("due_at")


def _tasks_for(user: User) -> QuerySet[Task]:
    """Tasks assigned to the user's organisation, of children the user may see now."""
    if user.organisation is None or not user.is_active:
        return Task.objects.none()
    return Task.objects.filter(
        assignee=user.organisation, child__in=children_visible_to(user).values("pk")
    )


def tasks_open_for(*, user: User) -> QuerySet[Task]:
    return (
        _tasks_for(user)
        .filter(status=TaskStatus.OPEN)
        .select_related("child", "created_from", "interview")
        .order_by("due_at")
    )


def tasks_for(*, user: User, status: str | None = None) -> QuerySet[Task]:
    """Tasks assigned to the user's organisation (of children the user may see now), in one
    status or all, soonest due first."""
    tasks = _tasks_for(user).select_related("child", "created_from", "interview", "completed_by")
    if status is not None:
        tasks = tasks.filter(status=status)
    return tasks.order_by("due_at", "created_at")


def tasks_closed_for(*, user: User, since: dt.datetime) -> QuerySet[Task]:
    """Tasks the user's organisation closed since ``since``, most recently closed first."""
    return (
        _tasks_for(user)
        .filter(completed_at__gte=since)
        .exclude(status=TaskStatus.OPEN)
        .select_related("child", "created_from", "interview", "completed_by")
        .order_by("-completed_at")
    )


# --- SSDA903 -------------------------------------------------------------------------------


def _d(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def ssda903_missing_rows(*, council_id: str, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """The SSDA903 Missing table (CHILD, DOB, MISSING, MIS_START, MIS_END) for a placing
    council's collection year ``start``..``end``: every episode that started in the year, or
    started earlier and was still open at its start (rule 576 carries it over). Dates are
    dd/mm/yyyy; an episode still open at the end of the year has no MIS_END."""
    episodes = (
        Episode.objects.filter(placing_council_id=council_id, mis_start__lte=end)
        .filter(Q(mis_start__gte=start) | Q(mis_end__isnull=True) | Q(mis_end__gte=start))
        .select_related("child")
        .order_by("child__child_ref", "mis_start", "last_seen_at")
    )
    return [
        {
            "CHILD": e.child.child_ref,
            "DOB": _d(e.child.date_of_birth),
            "MISSING": e.missing_code,
            "MIS_START": _d(e.mis_start),
            "MIS_END": _d(e.mis_end) if e.mis_end and e.mis_end <= end else "",
        }
        for e in episodes
    ]


# --- The safety profile on paper -----------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """Someone to call about the child: the home, the councils, the police."""

    role: str
    name: str
    email: str


@dataclass(frozen=True)
class SafetyHandout:
    """What a police officer hands to a patrol: the profile, the episode open now (if any)
    with its current risk grade, and who to call."""

    access: ChildAccess
    profile: SafetyProfileVersion | None
    episode: Episode | None
    risk: RiskGrade | None
    contacts: list[Contact]


def _organisation_email(**where: Any) -> tuple[str, str]:
    org = Organisation.objects.filter(**where).order_by("created_at").first()
    return (org.name, org.email) if org is not None else ("", "")


def safety_profile_handout(*, access: ChildAccess) -> SafetyHandout:
    """The one-page handout of the child ``access`` opened (with ``VIEW_SAFETY_PROFILE``).
    Contacts come from the open episode, else from the current placement."""
    child = access.child
    episode = (
        Episode.objects.filter(child=child, returned_at__isnull=True)
        .select_related("setting__provider", "placing_council", "host_council", "host_police_force")
        .order_by("-last_seen_at")
        .first()
    )
    setting: Setting | None
    host: Council | None
    force: PoliceForce | None
    if episode is not None:
        setting, placing, host, force = (
            episode.setting,
            episode.placing_council,
            episode.host_council,
            episode.host_police_force,
        )
    else:
        placement = (
            Placement.objects.filter(child=child, end_date__isnull=True)
            .select_related("setting__provider", "host_council", "host_police_force")
            .order_by("-start_date", "-created_at")
            .first()
        )
        setting = placement.setting if placement else None
        host = placement.host_council if placement else None
        force = placement.host_police_force if placement else None
        placing = child.placing_council
    contacts = []
    if setting is not None:
        provider = setting.provider
        contacts.append(
            Contact(
                role="Children's home",
                name=f"{setting.name}, {setting.postcode}"
                + (f" ({provider.name})" if provider else ""),
                email=provider.email if provider else "",
            )
        )
    for role, where in (
        ("Placing council", {"council": placing}),
        ("Host council", {"council": host} if host and host != placing else None),
        ("Police force of the area", {"police_force": force} if force else None),
    ):
        if where is None:
            continue
        name, email = _organisation_email(**where)
        area = where.get("council") or where.get("police_force")
        contacts.append(Contact(role=role, name=name or getattr(area, "name", ""), email=email))
    return SafetyHandout(
        access=access,
        profile=safety_profile_current(child=child),
        episode=episode,
        risk=episode_current_risk(episode=episode) if episode is not None else None,
        contacts=contacts,
    )


def missing_now_in_order(episodes: Collection[Episode]) -> list[Episode]:
    """Highest current police risk grade first (not graded last), then missing longest."""

    def key(episode: Episode) -> tuple[int, dt.datetime]:
        grade = episode_current_risk(episode=episode)
        return (-grade.order if grade is not None else 1, episode.last_seen_at)

    return sorted(episodes, key=key)


def safety_profile_photo_versions(*, child_ids: Collection[Any]) -> dict[Any, int]:
    """The version holding each child's current photo, for children whose latest profile has
    one. Call only for children whose profile the user may see (the photo view checks again
    and records each look)."""
    latest: dict[Any, SafetyProfileVersion] = {}
    for version in SafetyProfileVersion.objects.filter(child_id__in=list(child_ids)).order_by(
        "child_id", "-version"
    ):
        latest.setdefault(version.child_id, version)
    return {child_id: v.version for child_id, v in latest.items() if v.photo}
