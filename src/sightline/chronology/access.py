"""The access function for one chronology entry (ADR 17): the entry, through its child's
access policy. A missing entry and one the user may not reach raise the same
``NotFoundOrNotAllowed``. Registered as the ``chronology_entry`` kind in
``ChronologyConfig.ready`` for ``declare`` and ``declare_operation``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sightline.access.policy import Action, ChildAccess, access_loaded_child
from sightline.chronology.models import ChronologyEntry
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.organisations.models import User


@dataclass(frozen=True, kw_only=True)
class EntryAccess(ChildAccess):
    entry: ChronologyEntry


def access_chronology_entry(
    user: User,
    entry_id: Any,
    *,
    action: Action = Action.VIEW_CHRONOLOGY,
    purpose: str,
    record: bool = True,
) -> EntryAccess:
    try:
        entry = (
            ChronologyEntry.objects.select_related("child", "organisation", "author")
            .prefetch_related("visible_to")
            .filter(pk=uuid.UUID(str(entry_id)))
            .first()
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    if entry is None:
        raise NotFoundOrNotAllowed()
    access = access_loaded_child(user, entry.child, action=action, purpose=purpose, record=record)
    return EntryAccess(
        child=access.child,
        involvements=access.involvements,
        grant=access.grant,
        user_id=access.user_id,
        action=access.action,
        entry=entry,
    )
