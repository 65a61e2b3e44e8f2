"""The access functions for missing episodes, return home interviews and tasks.

Each loads one record by its id, checks the record's child against the access policy for the
action (``access_loaded_child``: the same check, access record and audit event as
``access_child``), and returns the record with its child, the involvements that allowed it
and the grant it went through. A record that does not exist and one the user may not see
raise the same ``NotFoundOrNotAllowed``. Views reach them through ``declare`` (the kinds are
registered in ``MissingConfig.ready``); the API through ``api.access.operation``.

``record=False`` for a request that writes: the service appends the write's own event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sightline.access.policy import (
    Action,
    ChildAccess,
    access_loaded_child,
    record_or_not_found,
)
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.missing.models import Episode, ReturnInterview, Task
from sightline.organisations.models import User


@dataclass(frozen=True, kw_only=True)
class EpisodeAccess(ChildAccess):
    episode: Episode


@dataclass(frozen=True, kw_only=True)
class InterviewAccess(ChildAccess):
    interview: ReturnInterview


@dataclass(frozen=True, kw_only=True)
class TaskAccess(ChildAccess):
    task: Task


def access_episode(
    user: User,
    episode_id: Any,
    *,
    action: Action = Action.VIEW_EPISODE,
    purpose: str,
    record: bool = True,
) -> EpisodeAccess:
    """One missing or away episode, through its child's access policy."""
    episode = record_or_not_found(
        Episode.objects.select_related(
            "child", "setting", "host_council", "host_police_force", "placing_council"
        ),
        episode_id,
    )
    access = access_loaded_child(user, episode.child, action=action, purpose=purpose, record=record)
    return EpisodeAccess(
        child=access.child, involvements=access.involvements, grant=access.grant, episode=episode
    )


def access_interview(
    user: User,
    interview_id: Any,
    *,
    action: Action = Action.VIEW_INTERVIEW,
    purpose: str,
    record: bool = True,
) -> InterviewAccess:
    """One return home interview, through its child's access policy. ``VIEW_INTERVIEW`` is
    never allowed through emergency access: it opens the record, not what the child said."""
    interview = record_or_not_found(
        ReturnInterview.objects.select_related(
            "child", "service", "interviewer", "interviewer_organisation"
        ).prefetch_related("episodes"),
        interview_id,
    )
    access = access_loaded_child(
        user, interview.child, action=action, purpose=purpose, record=record
    )
    return InterviewAccess(
        child=access.child,
        involvements=access.involvements,
        grant=access.grant,
        interview=interview,
    )


def access_task(
    user: User,
    task_id: Any,
    *,
    action: Action = Action.VIEW_TASK,
    purpose: str,
    record: bool = True,
) -> TaskAccess:
    """One task of the user's organisation (a task is its assignee's), through its child's
    access policy: an organisation no longer involved with the child no longer sees it."""
    if not user.is_active or user.organisation_id is None:
        raise NotFoundOrNotAllowed()
    task = record_or_not_found(
        Task.objects.select_related("child", "created_from", "interview", "completed_by").filter(
            assignee_id=user.organisation_id
        ),
        task_id,
    )
    access = access_loaded_child(user, task.child, action=action, purpose=purpose, record=record)
    return TaskAccess(
        child=access.child, involvements=access.involvements, grant=access.grant, task=task
    )
