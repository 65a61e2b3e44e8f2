"""The access function for a parent or carer's record (kind ``parent``, ADR 17).

It loads the parent by id, checks the parent's child against the access policy for the action
(``access_loaded_child``: the same check, access record and audit event as ``access_child``)
and returns the parent with the access. Not there and not yours raise the same
``NotFoundOrNotAllowed``. The child's statements, plan and parents as a whole are reached
through the child (``access_child`` with ``Action.VIEW_FAMILY`` and the family's actions).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sightline.access.policy import Action, ChildAccess, access_loaded_child
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.family.models import Parent
from sightline.organisations.models import User


@dataclass(frozen=True, kw_only=True)
class ParentAccess(ChildAccess):
    parent: Parent


def access_parent(
    user: User,
    parent_id: Any,
    *,
    action: Action = Action.VIEW_FAMILY,
    purpose: str,
    record: bool = True,
) -> ParentAccess:
    """One parent or carer, through their child's access policy."""
    try:
        parent = (
            Parent.objects.select_related("child", "child__placing_council")
            .filter(pk=uuid.UUID(str(parent_id)))
            .first()
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    if parent is None:
        raise NotFoundOrNotAllowed()
    access = access_loaded_child(user, parent.child, action=action, purpose=purpose, record=record)
    return ParentAccess(
        child=access.child,
        involvements=access.involvements,
        grant=access.grant,
        user_id=access.user_id,
        action=access.action,
        parent=parent,
    )
