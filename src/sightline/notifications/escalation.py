"""Escalation: what Sightline does when a notice is late.

Two rules, each applied once per notice (``escalations_run``, called by the worker every
cycle and by ``sightline escalate``):

* **Not acknowledged** by ``ack_due_at`` (by default the end of the 2nd working day): an
  escalation notice to the recipient organisation, e-mailed to its managers, and one to the
  placing council, e-mailed to its nominated officers.
* **Not sent** by ``due_at``: the notice reached the inbox after its deadline (the change it is
  about was recorded late), or a delivery on another channel had not gone by then. An
  escalation notice to the placing council, e-mailed to its team managers.

* **Urgent alert not acknowledged** by ``urgent_ack_due_at`` (the recipient's target, 30
  minutes unless set): an escalation notice to the recipient organisation, e-mailed to its
  named duty contact and texted to the duty phone (``NoticePolicy``); to its managers when it
  has named none. Recorded on the alert's history and on the audit.

Each late notice is locked while it is escalated and the escalation notices are unique per
late notice, reason and recipient (a database constraint), so several workers escalate a
notice once. The late notice gets an ``escalated`` event, which the child's timeline shows.
Escalation notices are never escalated themselves, and a notice late by more than 90 days
(``LOOKBACK``) is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from sightline.access.policy import Action, roles_that_may
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.calendar import LONDON
from sightline.core.timeutil import now as current_time
from sightline.notifications.models import (
    Delivery,
    DeliveryStatus,
    EscalationReason,
    Notice,
    NoticeEvent,
    NoticeEventKind,
    NoticeKind,
    NoticePolicy,
)
from sightline.notifications.services import notice_create
from sightline.organisations.models import Organisation, User
from sightline.organisations.services import organisation_for_council

logger = logging.getLogger(__name__)

# Notices late for longer than this are left alone: escalating them would tell nobody anything
# new (and it keeps each run's queries to recent notices).
LOOKBACK = dt.timedelta(days=90)

# An urgent alert still unacknowledged a day after its target is left to the working-day rule:
# telling a duty officer at once about yesterday's alerts (after an outage, or when the urgent
# rule is first deployed) would bury today's.
URGENT_LOOKBACK = dt.timedelta(days=1)

# How many late notices one run escalates, so that a backlog (an import of old placements,
# say) cannot hold a worker cycle for long; the next cycle carries on.
PER_RUN = 200


def _people(organisation: Organisation, roles: Iterable[str]) -> list[User]:
    return list(
        User.objects.filter(organisation=organisation, role__in=list(roles), is_active=True)
        .exclude(email="")
        .order_by("username")
    )


def _managers(organisation: Organisation) -> list[User]:
    """The people an organisation's escalations are e-mailed to (``access`` says who)."""
    return _people(organisation, roles_that_may(Action.RECEIVE_ESCALATION, kind=organisation.kind))


def _escalated(reason: str) -> Exists:
    return Exists(Notice.objects.filter(escalates=OuterRef("pk"), escalation_reason=reason))


def notices_not_acknowledged_in_time(*, now: dt.datetime) -> QuerySet[Notice]:
    """Notices past their acknowledgement deadline, unacknowledged and not yet escalated.

    Notices their domain marked not to chase (``chase_acknowledgement``, such as "child safe"
    notices, which tell agencies to stand down) are left out: chasing their acknowledgement
    would only be noise.
    """
    return (
        Notice.objects.filter(
            acknowledged_at__isnull=True,
            ack_due_at__lt=now,
            ack_due_at__gte=now - LOOKBACK,
            chase_acknowledgement=True,
        )
        .exclude(kind=NoticeKind.ESCALATION)
        .exclude(_escalated(EscalationReason.NOT_ACKNOWLEDGED))
        .order_by("ack_due_at", "created_at")
    )


def notices_not_sent_in_time(*, now: dt.datetime) -> QuerySet[Notice]:
    """Notices past their due time that did not reach every channel by it, not yet flagged.

    The inbox counts as a channel: its delivery is made when the notice is created, so a
    notice created after its due time (the change was recorded late) is late. A delivery an
    operator retried (``retried_by``) is judged by its retry.
    """
    late_delivery = Delivery.objects.filter(notice=OuterRef("pk"), retried_by__isnull=True).exclude(
        status=DeliveryStatus.DELIVERED, delivered_at__lte=OuterRef("due_at")
    )
    return (
        Notice.objects.filter(due_at__lt=now, due_at__gte=now - LOOKBACK)
        .exclude(kind=NoticeKind.ESCALATION)
        .exclude(_escalated(EscalationReason.NOT_SENT))
        .filter(Exists(late_delivery))
        .order_by("due_at", "created_at")
    )


def urgent_notices_not_acknowledged_in_time(*, now: dt.datetime) -> QuerySet[Notice]:
    """Urgent alerts past their recipient's target, unacknowledged and not yet escalated to
    the duty contact (the partial index ``notice_urgent_unacknowledged``). Alerts their domain
    marked not to chase ("child safe") are left out, as for the working-day rule."""
    return (
        Notice.objects.filter(
            acknowledged_at__isnull=True,
            urgent_ack_due_at__isnull=False,
            urgent_ack_due_at__lt=now,
            urgent_ack_due_at__gte=now - URGENT_LOOKBACK,
            chase_acknowledgement=True,
        )
        .exclude(kind=NoticeKind.ESCALATION)
        .exclude(_escalated(EscalationReason.URGENT_NOT_ACKNOWLEDGED))
        .order_by("urgent_ack_due_at", "created_at")
    )


@dataclass
class _Recipient:
    organisation: Organisation
    people: list[User] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def _duty(recipient: Organisation) -> _Recipient:
    """The recipient's named duty contact and duty phone; its managers if it named nobody."""
    policy = (
        NoticePolicy.objects.filter(organisation=recipient).select_related("duty_contact").first()
    )
    contact = policy.duty_contact if policy is not None else None
    people = [contact] if contact is not None and contact.is_active else _managers(recipient)
    texts = [policy.duty_phone] if policy is not None and policy.duty_phone else []
    return _Recipient(recipient, people, texts)


def _recipients(notice: Notice, reason: str) -> list[_Recipient]:
    """The placing council of the child the notice concerns is told of every late notice;
    a notice about no child escalates to its recipient's managers only. An urgent alert goes
    to its recipient's duty contact, whose job is to act within minutes."""
    if reason == EscalationReason.URGENT_NOT_ACKNOWLEDGED:
        return [_duty(notice.recipient)]
    if notice.child is None:
        recipient = notice.recipient
        return [_Recipient(recipient, _managers(recipient))]
    placing = organisation_for_council(council=notice.child.placing_council)
    if reason == EscalationReason.NOT_SENT:
        return [_Recipient(placing, _managers(placing))]
    recipient = notice.recipient
    found = [_Recipient(recipient, _managers(recipient))]
    officers = _people(placing, roles_that_may(Action.RECEIVE_CHILD_ESCALATION, kind=placing.kind))
    if placing.pk == recipient.pk:
        found[0].people += [p for p in officers if p not in found[0].people]
    else:
        found.append(_Recipient(placing, officers))
    return found


def _event_detail(notice: Notice, reason: str, escalations: list[Notice]) -> str:
    to = ", ".join(e.recipient.name for e in escalations)
    if reason == EscalationReason.URGENT_NOT_ACKNOWLEDGED:
        assert notice.urgent_ack_due_at is not None
        due_at = notice.urgent_ack_due_at.astimezone(LONDON)
        why = f"Not acknowledged by {due_at:%H:%M} on {due_at.day} {due_at:%B %Y}"
    elif reason == EscalationReason.NOT_ACKNOWLEDGED:
        due = notice.ack_due_at.astimezone(LONDON).date()
        why = f"Not acknowledged by {due.day} {due:%B %Y}"
    else:
        due = notice.due_at.astimezone(LONDON).date()
        why = f"Not sent by its due date, {due.day} {due:%B %Y}"
    return f"{why}: escalated to {to}"[:300]


def escalation_key(*, late: Notice, reason: str, recipient: Organisation) -> str:
    """One escalation per late notice, reason and recipient."""
    return f"escalation:{late.id}:{reason}:{recipient.id}"


def notice_escalate(*, notice_id: uuid.UUID | str, reason: str, now: dt.datetime) -> list[Notice]:
    """Escalate one late notice for one reason, once. Returns the escalation notices created
    by this call (none when the notice was escalated meanwhile or is no longer late)."""
    reason = EscalationReason(reason)
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("child__placing_council", "recipient")
            .get(pk=notice_id)
        )
        if notice.kind == NoticeKind.ESCALATION:
            return []
        if notice.escalations.filter(escalation_reason=reason).exists():
            return []
        if reason == EscalationReason.NOT_ACKNOWLEDGED and (
            notice.acknowledged_at is not None or notice.ack_due_at >= now
        ):
            return []
        if reason == EscalationReason.NOT_SENT and notice.due_at >= now:
            return []
        if reason == EscalationReason.URGENT_NOT_ACKNOWLEDGED and (
            notice.acknowledged_at is not None
            or notice.urgent_ack_due_at is None
            or notice.urgent_ack_due_at >= now
        ):
            return []
        escalations = [
            notice_create(
                kind=NoticeKind.ESCALATION,
                # The same subject as the late notice: the escalation is about it too.
                subject_type=notice.subject_type,
                subject_id=notice.subject_id,
                idempotency_key=escalation_key(
                    late=notice, reason=reason, recipient=to.organisation
                ),
                child=notice.child,
                recipient=to.organisation,
                sender=None,
                due_at=now,
                actor=None,
                escalates=notice,
                escalation_reason=reason,
                people=to.people,
                texts=to.texts,
            )
            for to in _recipients(notice, reason)
        ]
        NoticeEvent.objects.create(
            notice=notice,
            event=NoticeEventKind.ESCALATED,
            at=now,
            detail=_event_detail(notice, reason, escalations),
        )
        audit_append(
            actor=None,
            verb=AuditVerb.NOTICE_ESCALATED,
            obj=notice,
            child=notice.child_id,
            organisation=notice.recipient,
            payload={"reason": str(reason), "escalations": len(escalations)},
            at=now,
        )
    logger.info(
        "notice id=%s escalated reason=%s escalations=%s",
        notice.id,
        reason,
        ",".join(str(e.id) for e in escalations),
    )
    return escalations


def escalations_run(*, now: dt.datetime | None = None, limit: int = PER_RUN) -> int:
    """Escalate every late notice not yet escalated (up to ``limit`` late notices).

    Returns how many late notices were escalated, so that a worker knows it did something.
    """
    at = now or current_time()
    done = 0
    for reason, late in (
        # Minutes matter for urgent alerts: their rule runs first.
        (
            EscalationReason.URGENT_NOT_ACKNOWLEDGED,
            urgent_notices_not_acknowledged_in_time(now=at),
        ),
        (EscalationReason.NOT_ACKNOWLEDGED, notices_not_acknowledged_in_time(now=at)),
        (EscalationReason.NOT_SENT, notices_not_sent_in_time(now=at)),
    ):
        for pk in late.values_list("pk", flat=True)[: max(limit - done, 0)]:
            if notice_escalate(notice_id=pk, reason=reason, now=at):
                done += 1
    return done
