"""Tasks the missing services set (strategy discussions): completing one."""

from __future__ import annotations

import logging

from django.db import transaction

from sightline.access.policy import Action, require_write
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.missing.models import (
    Task,
    TaskStatus,
)
from sightline.missing.services._common import _log_on_commit
from sightline.organisations.models import User

logger = logging.getLogger(__name__)


# --- Tasks ---------------------------------------------------------------------------------


def task_complete(
    *, actor: User, task: Task, outcome: str = "", status: str = TaskStatus.DONE
) -> Task:
    """Close a task (done or cancelled), by a user of the organisation it is assigned to."""
    final = TaskStatus(status)
    if final == TaskStatus.OPEN:
        raise ValidationError("Choose done or cancelled.", field="status")
    if not actor.is_active or actor.organisation_id != task.assignee_id:
        raise NotFoundOrNotAllowed()
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.OPEN:
            raise ValidationError("The task is already closed.", field="status")
        permit = require_write(actor, locked.child, action=Action.CLOSE_TASK)
        locked.status = final
        locked.outcome = outcome.strip()
        locked.completed_at = current_time()
        locked.completed_by = actor
        locked.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.TASK_CLOSED,
            obj=locked,
            child=locked.child_id,
            payload={"task_kind": str(locked.kind), "status": str(final)},
            involvement=permit.involvement,
            grant=permit.grant,
        )
    _log_on_commit("task id=%s %s actor=%s", task.id, final, actor.id)
    return locked
