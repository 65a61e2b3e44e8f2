"""The home's and the placing council's actions on a current placement: recording the child's
admission (the home's reg 41 notice to the host council) and ending the placement.

The placement is reached only through ``access_placement`` (``declare``), so the look is
recorded and a user who may not act on it gets the same "not found" as for a placement that
does not exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse

from sightline.access.policy import Action, Involvement, may
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import today
from sightline.notifications.models import Notice
from sightline.organisations.models import User
from sightline.placements.access import PlacementAccess
from sightline.placements.models import Placement
from sightline.placements.notices import (
    PlacementNoticeKind,
    notices_for_admission,
    placement_notices,
)
from sightline.placements.selectors import placements_current

logger = logging.getLogger(__name__)


def _is_current(placement: Placement, on: dt.date) -> bool:
    return placement.start_date <= on and (placement.end_date is None or placement.end_date > on)


def can_record_admission(*, user: User, placement: Placement, on: dt.date | None = None) -> bool:
    """A home manager or staff of the provider running the setting, while the placement runs."""
    org = user.organisation
    return bool(
        may(user, Action.ADMIT)
        and org is not None
        and placement.setting.provider_id == org.id
        and _is_current(placement, on or today())
    )


def placement_for_admission(*, user: User, access: PlacementAccess) -> Placement:
    """The placement a home user is recording an admission for (``access_placement``, with
    ``VIEW``): only the provider of the current setting, in a role that admits."""
    placement = access.placement
    if Involvement.PROVIDER not in access.involvements or not can_record_admission(
        user=user, placement=placement
    ):
        raise NotFoundOrNotAllowed()
    return placement


def admission_notice(*, placement: Placement) -> Notice | None:
    """The home's admission notice for a placement, if it has been recorded."""
    return (
        placement_notices(placement=placement)
        .filter(kind=PlacementNoticeKind.ADMISSION)
        .select_related("recipient")
        .first()
    )


def admission_record(*, actor: User, placement: Placement) -> list[Notice]:
    """The home records that the child was admitted: its reg 41 admission notice to the host
    council, written with the record of who did it, in one transaction. Recording the same
    admission again returns the notice already sent."""
    if not can_record_admission(user=actor, placement=placement):
        raise NotFoundOrNotAllowed()
    with transaction.atomic():
        notices = notices_for_admission(placement=placement, actor=actor)
        audit_append(
            actor=actor,
            verb=AuditVerb.ADMISSION_RECORDED,
            obj=placement,
            child=placement.child_id,
            payload={"notices": len(notices)},
        )
    logger.info(
        "admission recorded placement=%s notices=%s actor=%s",
        placement.id,
        ",".join(str(n.id) for n in notices),
        actor.id,
    )
    return notices


def placement_for_ending(*, access: PlacementAccess) -> Placement:
    """A current placement the placing council's user may end (``access_placement``, with
    ``RECORD_PLACEMENT``)."""
    placement = access.placement
    if Involvement.PLACING_COUNCIL not in access.involvements or placement.end_date is not None:
        raise NotFoundOrNotAllowed()
    return placement


@dataclass(frozen=True)
class PlacementActions:
    """What the user can do to the child's current placement from the child's page."""

    placement: Placement | None = None
    record_admission_url: str | None = None
    admission: Notice | None = None
    end_placement_url: str | None = None


def placement_actions(
    *,
    user: User,
    child: Child,
    involvements: frozenset[Involvement],
    history: list[Placement] | None = None,
) -> PlacementActions:
    """Call only after ``access_child``: ``involvements`` is what it found. ``history``: the
    child's placements newest first (``placement_history``), when the page has read them
    already; the current one is then found among them, by the rule of ``placements_current``,
    instead of asking the database again."""
    if history is None:
        current = (
            placements_current()
            .filter(child=child)
            .select_related("setting")
            .order_by("-start_date")
            .first()
        )
    else:
        on = today()
        current = next((p for p in history if p.child_id == child.pk and _is_current(p, on)), None)
    if current is None:
        return PlacementActions()
    admission_url = None
    admission = None
    if Involvement.PROVIDER in involvements and can_record_admission(user=user, placement=current):
        admission = admission_notice(placement=current)
        admission_url = reverse("placement_admission", args=[current.id])
    end_url = None
    if (
        Involvement.PLACING_COUNCIL in involvements
        and current.end_date is None
        and may(user, Action.RECORD_PLACEMENT)
    ):
        end_url = reverse("placement_end", args=[current.id])
    return PlacementActions(
        placement=current,
        record_admission_url=admission_url,
        admission=admission,
        end_placement_url=end_url,
    )
