"""The automatic entries the chronology reads itself: placements, notices, missing and away
episodes and return home interviews (issue 17), from the packages below it, through their
selectors, for a child whose chronology the user may view.

Each source returns ``AutoEntry`` rows (``registry.py``): what happened, when, from which
agency, how significant, and a link to the record's own page. Labels carry no name and no
date of birth. A return home interview appears only to a reader who may read interviews
(``Action.VIEW_INTERVIEW``: never through emergency access).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from sightline.access.policy import POLICY, Action, ChildAccess
from sightline.chronology.models import Significance
from sightline.chronology.registry import AutoEntry
from sightline.core.calendar import LONDON
from sightline.missing.models import EpisodeKind, InterviewStatus
from sightline.missing.selectors import episode_current_risk, episode_rows_for_child
from sightline.notifications.selectors import notices_for_child
from sightline.organisations.models import User
from sightline.placements.selectors import placement_history


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


def placement_entries(*, access: ChildAccess, user: User) -> Iterable[AutoEntry]:
    for p in placement_history(access=access).select_related("recorded_by"):
        source = p.recorded_by.organisation_id if p.recorded_by else None
        where = f"{p.setting.name}, {p.host_council.name}"
        yield AutoEntry(
            occurred_at=_start_of(p.start_date),
            kind="placement",
            label=f"Placement started at {where}"
            + (" (emergency placement)" if p.is_emergency else ""),
            organisation_id=source,
            significance=Significance.SIGNIFICANT if p.is_emergency else Significance.ROUTINE,
        )
        if p.end_date is not None:
            yield AutoEntry(
                occurred_at=_start_of(p.end_date),
                kind="placement",
                label=f"Placement ended at {where}",
                organisation_id=source,
                significance=Significance.ROUTINE,
            )


def notice_entries(*, access: ChildAccess, user: User) -> Iterable[AutoEntry]:
    for notice in notices_for_child(child=access.child):
        acknowledged = "acknowledged" if notice.acknowledged_at else "not acknowledged yet"
        yield AutoEntry(
            occurred_at=notice.created_at,
            kind="notice",
            label=f"{notice.kind_label} {notice.reference} sent to {notice.recipient.name} "
            f"({acknowledged})",
            organisation_id=notice.sender_id,
            significance=Significance.ROUTINE,
        )


def episode_entries(*, access: ChildAccess, user: User) -> Iterable[AutoEntry]:
    for episode in episode_rows_for_child(access=access):
        url = reverse("episode_detail", args=[episode.id])
        risk = episode_current_risk(episode=episode)
        missing = episode.kind == EpisodeKind.MISSING
        significance = (
            Significance.CRITICAL
            if risk is not None and risk.is_high
            else Significance.SIGNIFICANT
            if missing
            else Significance.ROUTINE
        )
        what = "Reported missing" if missing else "Reported away from placement"
        yield AutoEntry(
            occurred_at=episode.last_seen_at,
            kind="episode",
            label=f"{what}: last seen" + (f", police risk grade {risk.label}" if risk else ""),
            organisation_id=episode.reported_by_organisation_id,
            significance=significance,
            url=url,
        )
        if episode.returned_at is not None:
            yield AutoEntry(
                occurred_at=episode.returned_at,
                kind="episode",
                label="Returned or found" if missing else "Back at the placement",
                organisation_id=episode.reported_by_organisation_id,
                significance=Significance.ROUTINE,
                url=url,
            )


def interview_entries(*, access: ChildAccess, user: User) -> Iterable[AutoEntry]:
    if not POLICY[Action.VIEW_INTERVIEW].get(user.role, set()) & access.involvements:
        return
    interviews = {
        i.pk: i for e in episode_rows_for_child(access=access) for i in e.interviews.all()
    }
    for interview in interviews.values():
        url = reverse("interview_detail", args=[interview.id])
        source = interview.interviewer_organisation_id or interview.service_id
        if interview.status == InterviewStatus.COMPLETED and interview.completed_at:
            yield AutoEntry(
                occurred_at=interview.completed_at,
                kind="interview",
                label="Return home interview held",
                organisation_id=source,
                significance=Significance.ROUTINE,
                url=url,
            )
        elif interview.status == InterviewStatus.DECLINED and interview.declined_at:
            yield AutoEntry(
                occurred_at=interview.declined_at,
                kind="interview",
                label="Return home interview declined",
                organisation_id=source,
                significance=Significance.SIGNIFICANT,
                url=url,
            )
        elif interview.offered_at:
            yield AutoEntry(
                occurred_at=interview.offered_at,
                kind="interview",
                label="Return home interview offered",
                organisation_id=source,
                significance=Significance.ROUTINE,
                url=url,
            )


# The sources the chronology reads itself, by kind, with the label its filter shows.
OWN_SOURCES = {
    "placement": ("Placements", placement_entries),
    "notice": ("Notices", notice_entries),
    "episode": ("Missing and away episodes", episode_entries),
    "interview": ("Return home interviews", interview_entries),
}
