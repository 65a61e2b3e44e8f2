"""Reads of the notice engine: inboxes (with whether each notice may show its child), the
child's notice history and the outbox counts behind ``sightline notices status``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from sightline.access.policy import (
    Action,
    children_visible_to,
    may_see_notice_details_without_record,
)
from sightline.children.models import Child
from sightline.notifications.models import (
    RECEIPT_FAILURES,
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


def notices_undelivered(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    """The notices, each annotated ``undelivered``: a delivery failed for good and was not
    sent again (the status "Could not be delivered" on the sender's list)."""
    failed = Delivery.objects.filter(
        notice=OuterRef("pk"), status__in=RECEIPT_FAILURES, retried_by__isnull=True
    )
    return notices.annotate(undelivered=Exists(failed))


def notices_with_child_shown(notices: QuerySet[Notice], *, user: User) -> QuerySet[Notice]:
    """The notices, each annotated ``child_shown``: whether the user may read its child's
    details (``Action.VIEW_NOTICE``, as ``access_notice`` decides for one notice). A role the
    policy denies every child, or an organisation no longer involved, sees that a notice
    exists and no more."""
    visible = children_visible_to(user, action=Action.VIEW_NOTICE).values("pk")
    # A notice about a child this deployment holds no record of (from another Sightline)
    # carries the child's details: only roles that may read a notice's child see them.
    unrecorded = Q(child__isnull=True, child_name="")
    if may_see_notice_details_without_record(user):
        unrecorded = Q(child__isnull=True)
    return notices.annotate(
        child_shown=ExpressionWrapper(
            unrecorded | Q(child_id__in=visible), output_field=BooleanField()
        )
    )


def urgent_waiting(*, organisation: Organisation) -> QuerySet[Notice]:
    """The urgent lane: urgent alerts to the organisation not yet acknowledged, oldest first
    (the partial index ``notice_urgent_waiting``)."""
    return Notice.objects.filter(
        recipient=organisation, acknowledged_at__isnull=True, urgent_ack_due_at__isnull=False
    ).order_by("created_at", "id")


@dataclass(frozen=True)
class Waiting:
    """How many notices to the organisation wait for acknowledgement, and how many of them
    are urgent: the inbox's count and the banner's, in one query."""

    notices: int
    urgent: int


def notices_waiting(*, organisation: Organisation) -> QuerySet[Notice]:
    """Notices to the organisation not yet acknowledged (the inbox's count)."""
    return Notice.objects.filter(recipient=organisation, acknowledged_at__isnull=True)


def urgent_oldest(*, organisation: Organisation) -> Notice | None:
    """The oldest urgent alert waiting (the partial index ``notice_urgent_waiting``), with
    only what the banner shows."""
    return (
        urgent_waiting(organisation=organisation)
        .only("id", "reference", "subject_line", "created_at", "recipient_id")
        .first()
    )


def notice_events_for_child(*, child: Child) -> QuerySet[NoticeEvent]:
    """Every notice event about a child, oldest first: for the child's timeline."""
    return (
        NoticeEvent.objects.filter(notice__child=child)
        .select_related("notice", "delivery")
        .order_by("at", "created_at")
    )


def notices_for_child(*, child: Child) -> QuerySet[Notice]:
    """Every notice about a child, oldest first, with its sender and recipient: for the
    child's chronology (issue 17), which shows that each was sent, by whom, to whom."""
    return (
        Notice.objects.filter(child=child)
        .select_related("sender", "recipient")
        .order_by("created_at", "pk")
    )


def delivery_status_counts() -> list[dict[str, Any]]:
    """How many deliveries are in each status, per channel."""
    rows = (
        Delivery.objects.values("channel", "status")
        .annotate(count=Count("id"))
        .order_by("channel", "status")
    )
    return [dict(row) for row in rows]
