"""The access function for one placement: the placement with its child, through the child's
access policy (``access_loaded_child``). Absent and not allowed raise the same
``NotFoundOrNotAllowed``. Registered as the ``"placement"`` kind in ``PlacementsConfig``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sightline.access.policy import Action, ChildAccess, access_loaded_child
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.organisations.models import User
from sightline.placements.models import Placement


@dataclass(frozen=True, kw_only=True)
class PlacementAccess(ChildAccess):
    placement: Placement


def access_placement(
    user: User, placement_id: Any, *, action: Action, purpose: str, record: bool = True
) -> PlacementAccess:
    try:
        placement = (
            Placement.objects.select_related(
                "child", "setting", "host_council", "host_police_force"
            )
            .filter(pk=uuid.UUID(str(placement_id)))
            .first()
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    if placement is None:
        raise NotFoundOrNotAllowed()
    access = access_loaded_child(
        user, placement.child, action=action, purpose=purpose, record=record
    )
    return PlacementAccess(
        child=access.child,
        involvements=access.involvements,
        grant=access.grant,
        placement=placement,
    )
