"""The access functions for the child's tasks and strategy meetings (ADR 17).

Each loads one record by its id and checks its child against the access policy for the
action (``access_loaded_child``: the same check, access record and audit event as
``access_child``). A record that does not exist and one the user may not see raise the same
``NotFoundOrNotAllowed``. Registered in ``CaseworkConfig.ready`` for ``declare``.
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
from sightline.casework.models import CaseTask, StrategyMeeting
from sightline.organisations.models import User


@dataclass(frozen=True, kw_only=True)
class CaseTaskAccess(ChildAccess):
    task: CaseTask


@dataclass(frozen=True, kw_only=True)
class MeetingAccess(ChildAccess):
    meeting: StrategyMeeting


def access_case_task(
    user: User,
    case_task_id: Any,
    *,
    action: Action = Action.VIEW_CASE_TASK,
    purpose: str,
    record: bool = True,
) -> CaseTaskAccess:
    """One of the child's tasks, through the child's access policy: every agency involved
    with the child sees it (who is doing what)."""
    task = record_or_not_found(
        CaseTask.objects.select_related(
            "child", "organisation", "owner", "created_by", "closed_by", "meeting"
        ),
        case_task_id,
    )
    access = access_loaded_child(user, task.child, action=action, purpose=purpose, record=record)
    return CaseTaskAccess(
        child=access.child,
        involvements=access.involvements,
        grant=access.grant,
        user_id=access.user_id,
        action=access.action,
        task=task,
    )


def access_meeting(
    user: User,
    meeting_id: Any,
    *,
    action: Action = Action.VIEW_MEETING,
    purpose: str,
    record: bool = True,
) -> MeetingAccess:
    """One strategy meeting, with its minutes, through the child's access policy."""
    meeting = record_or_not_found(
        StrategyMeeting.objects.select_related("child", "convened_by", "recorded_by"),
        meeting_id,
    )
    access = access_loaded_child(user, meeting.child, action=action, purpose=purpose, record=record)
    return MeetingAccess(
        child=access.child,
        involvements=access.involvements,
        grant=access.grant,
        user_id=access.user_id,
        action=access.action,
        meeting=meeting,
    )
