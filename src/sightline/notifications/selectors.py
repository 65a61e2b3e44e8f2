"""Reads of the notice engine: inboxes, one notice for a user, the child's notice history and
the outbox counts behind ``sightline notices status``."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, QuerySet

from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.notifications.models import (
    Delivery,
    Notice,
    NoticeEvent,
    NoticePolicy,
)
from sightline.organisations.models import Organisation, OrganisationKind, User


def receives_placement_notices(*, organisation: Organisation) -> bool:
    """Councils always do; a police force does unless it has switched them off."""
    if organisation.kind != OrganisationKind.POLICE:
        return True
    policy = NoticePolicy.objects.filter(organisation=organisation).first()
    return policy.receives_placement_notices if policy is not None else True


def notices_received(*, organisation: Organisation) -> QuerySet[Notice]:
    """The organisation's inbox, newest first."""
    return Notice.objects.filter(recipient=organisation).select_related("child")


def notices_sent(*, organisation: Organisation) -> QuerySet[Notice]:
    return Notice.objects.filter(sender=organisation).select_related("recipient")


def notice_for_user(*, user: User, notice_id: Any) -> Notice:
    """One notice, for a member of its recipient or sender organisation.

    Not found and not allowed raise the same ``NotFoundOrNotAllowed``. Showing the notice is
    not a look at the child's record: the child's record itself goes through ``access_child``.
    """
    try:
        pk = uuid.UUID(str(notice_id))
        notice = Notice.objects.select_related("recipient", "sender").get(pk=pk)
    except (ValueError, Notice.DoesNotExist) as exc:
        raise NotFoundOrNotAllowed() from exc
    org_id = user.organisation_id if user.is_active else None
    if org_id is None or org_id not in (notice.recipient_id, notice.sender_id):
        raise NotFoundOrNotAllowed()
    return notice


def notice_events_for_child(*, child: Child) -> QuerySet[NoticeEvent]:
    """Every notice event about a child, oldest first: for the child's timeline."""
    return (
        NoticeEvent.objects.filter(notice__child=child)
        .select_related("notice", "delivery")
        .order_by("at", "created_at")
    )


def delivery_status_counts() -> list[dict[str, Any]]:
    """How many deliveries are in each status, per channel."""
    rows = (
        Delivery.objects.values("channel", "status")
        .annotate(count=Count("id"))
        .order_by("channel", "status")
    )
    return [dict(row) for row in rows]
