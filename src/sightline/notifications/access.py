"""The access function for one notice.

A notice is seen only by its sender and recipient organisations; anyone else gets the same
``NotFoundOrNotAllowed`` as for a notice that does not exist. What it says about the child
(first name and initial, the home's name and postcode, the area, the placing council) follows
the involvement, as the child's record does (``Action.VIEW_NOTICE``): a role the policy
denies every child (an analyst, an administrator), or an organisation no longer involved with
the child, sees that the notice exists (kind, dates, sender and recipient, status) and no
more. Showing the child's details is a look at the child, recorded through the same path as
``access_child``.

Acknowledging (``Action.ACKNOWLEDGE_NOTICE``) is for the recipient organisation's roles that
``ORGANISATION_POLICY`` allows, whether or not they may see the child.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sightline.access.models import AccessGrant
from sightline.access.policy import (
    Action,
    Involvement,
    access_loaded_child,
    may,
    may_see_notice_details_without_record,
)
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.notifications.models import Notice
from sightline.organisations.models import User


@dataclass(frozen=True)
class NoticeAccess:
    notice: Notice
    # The notice's child, where the user may read the child's details; None otherwise (and
    # for a notice about no child).
    child: Child | None
    involvements: frozenset[Involvement] = frozenset()
    grant: AccessGrant | None = None
    # For a notice about a child this deployment holds no record of (from another Sightline):
    # whether the user's role may read the details it carries.
    details_without_record: bool = False

    @property
    def shows_child(self) -> bool:
        """Whether the notice's child details may be shown: a notice naming no child has none
        to hide; one from another Sightline shows them to roles that may read a notice's
        child (``may_see_notice_details_without_record``)."""
        if self.notice.child_id is None:
            return not self.notice.child_name or self.details_without_record
        return self.child is not None


def access_notice(
    user: User,
    notice_id: Any,
    *,
    action: Action = Action.VIEW_NOTICE,
    purpose: str,
    record: bool = True,
) -> NoticeAccess:
    """One notice for a member of its sender or recipient organisation.

    ``action`` is ``VIEW_NOTICE`` to read it, or ``ACKNOWLEDGE_NOTICE`` to acknowledge it (the
    recipient organisation, in a role that may). The child's details are checked against
    ``VIEW_NOTICE`` either way; a look that shows them is recorded unless ``record`` is False.
    """
    if action not in (Action.VIEW_NOTICE, Action.ACKNOWLEDGE_NOTICE):
        raise ValueError(f"A notice is read or acknowledged, not {action!r}.")
    try:
        notice = (
            Notice.objects.select_related("recipient", "sender", "child", "acknowledged_by")
            .filter(pk=uuid.UUID(str(notice_id)))
            .first()
        )
    except (ValueError, TypeError, AttributeError) as exc:  # a malformed id
        raise NotFoundOrNotAllowed() from exc
    org_id = user.organisation_id if user.is_active else None
    if notice is None or org_id is None or org_id not in (notice.recipient_id, notice.sender_id):
        raise NotFoundOrNotAllowed()
    if action == Action.ACKNOWLEDGE_NOTICE and (
        org_id != notice.recipient_id or not may(user, Action.ACKNOWLEDGE_NOTICE)
    ):
        raise NotFoundOrNotAllowed()
    if notice.child is None:
        return NoticeAccess(
            notice=notice,
            child=None,
            details_without_record=may_see_notice_details_without_record(user),
        )
    try:
        access = access_loaded_child(
            user, notice.child, action=Action.VIEW_NOTICE, purpose=purpose, record=record
        )
    except NotFoundOrNotAllowed:
        return NoticeAccess(notice=notice, child=None)
    return NoticeAccess(
        notice=notice, child=access.child, involvements=access.involvements, grant=access.grant
    )
