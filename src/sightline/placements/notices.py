"""Which notices a placement owes, to whom, by when and saying what (the rules; the outbox
delivers them and knows nothing of placements).

Call these from the placement services inside the same transaction as the change, so that a
placement is never recorded without its notices, nor a notice without its placement:

* an out-of-area placement: a placement notice from the placing council to the host council
  (reg 13(4): before the start, or within 5 working days of an emergency placement) and to the
  host police force (a local protocol, not statute: on unless the force switched it off);
* an admission to a setting: the home's notice to the host council (reg 41, without delay);
* an out-of-area placement ending: discharge notices to the same recipients as the
  placement notice.

Recipient organisations that Sightline does not have yet are created from the reference
geography (every council and force is in it), so no notice is ever addressed to nobody.

The emergency access alert (break-glass) is composed here too: ``access`` sits below the
outbox and cannot send a notice, so it calls the alert registered at start-up
(``PlacementsConfig.ready``), and the alert says where the child is placed (ADR 0009).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import models
from django.urls import reverse

from sightline.access.breakglass import break_glass_reviewer_councils
from sightline.core.calendar import LONDON, add_working_days, end_of_day, start_of_day
from sightline.notifications import conf
from sightline.notifications.content import child_display_name
from sightline.notifications.models import Notice
from sightline.notifications.selectors import receives_placement_notices
from sightline.notifications.services import NoticeContent, notice_create
from sightline.notifications.urgency import Urgency
from sightline.organisations.models import Organisation, User
from sightline.organisations.selectors import council_display_name
from sightline.organisations.services import (
    organisation_for_council,
    organisation_for_police_force,
)
from sightline.placements.models import Placement

if TYPE_CHECKING:
    from sightline.access.models import AccessGrant

SUBJECT_TYPE = "placements.placement"
EMERGENCY_PLACEMENT_WORKING_DAYS = 5  # Care Planning Regulations 2010, reg 13(4)


class PlacementNoticeKind(models.TextChoices):
    PLACEMENT = "placement", "Placement notice"
    ADMISSION = "admission", "Admission notice"
    DISCHARGE = "discharge", "Discharge notice"


# Break-glass alerts concern a child's record, not a placement; the kind is the alert's own.
BREAK_GLASS_KIND = "break-glass"
BREAK_GLASS_LABEL = "Emergency access alert"
GRANT_SUBJECT_TYPE = "access.grant"

# Placement, admission and discharge notices have deadlines in working days: the outbox's
# standard schedule (``notifications.urgency``, ADR 22). Registered in ``apps.py``.
DELIVERY_URGENCY: dict[str, Urgency] = {
    PlacementNoticeKind.PLACEMENT: Urgency.STANDARD,
    PlacementNoticeKind.ADMISSION: Urgency.STANDARD,
    PlacementNoticeKind.DISCHARGE: Urgency.STANDARD,
    BREAK_GLASS_KIND: Urgency.STANDARD,
}

_DATE_LABEL = {
    PlacementNoticeKind.PLACEMENT: "Placed from",
    PlacementNoticeKind.ADMISSION: "Admitted on",
    PlacementNoticeKind.DISCHARGE: "Left on",
}


# --- Deadlines -------------------------------------------------------------------------------


def placement_notice_due(*, start_date: dt.date, is_emergency: bool) -> dt.datetime:
    """Reg 13(4): before the placement starts, or within 5 working days after an emergency one."""
    if is_emergency:
        return end_of_day(add_working_days(start_date, EMERGENCY_PLACEMENT_WORKING_DAYS))
    return start_of_day(start_date)


def without_delay_due(*, event_date: dt.date) -> dt.datetime:
    """Admission and discharge notices (reg 41 "without delay"): by the end of the next working
    day after the event (``SIGHTLINE_WITHOUT_DELAY_WORKING_DAYS``)."""
    return end_of_day(add_working_days(event_date, conf.without_delay_working_days()))


# --- Content ---------------------------------------------------------------------------------


def placement_notice_key(*, placement_id: object, kind: str, recipient_id: object) -> str:
    """One notice per placement, kind and recipient (the data migration keys old rows so)."""
    return f"{SUBJECT_TYPE}:{placement_id}:{kind}:{recipient_id}"


def _subject_line(kind: str, *, area: str, council: str) -> str:
    if kind == PlacementNoticeKind.PLACEMENT:
        return f"Placement notice: a child placed in {area} by {council}"
    if kind == PlacementNoticeKind.ADMISSION:
        return f"Admission notice: a child placed by {council} admitted to a home in {area}"
    return f"Discharge notice: a child placed in {area} by {council} has left the placement"


def placement_notice_content(*, placement: Placement, kind: str) -> NoticeContent:
    """The minimum to act: who (first name and initial), where, from when, placed by whom."""
    kind = PlacementNoticeKind(kind)
    child = placement.child
    area = placement.host_council.name
    council = council_display_name(council=child.placing_council)
    effective = (
        placement.end_date
        if kind == PlacementNoticeKind.DISCHARGE and placement.end_date
        else placement.start_date
    )
    return NoticeContent(
        kind_label=kind.label,
        subject_line=_subject_line(kind, area=area, council=council),
        date_label=_DATE_LABEL[kind],
        effective_date=effective,
        child_name=child_display_name(first_name=child.first_name, last_name=child.last_name),
        setting_name=placement.setting.name,
        setting_postcode=placement.setting.postcode,
        area_name=area,
        placing_council_name=council,
        sender_name=placement.setting.name,
    )


def _notice(
    *,
    placement: Placement,
    kind: str,
    recipient: Organisation,
    sender: Organisation | None,
    due_at: dt.datetime,
    actor: User | None,
) -> Notice:
    return notice_create(
        kind=kind,
        subject_type=SUBJECT_TYPE,
        subject_id=placement.id,
        idempotency_key=placement_notice_key(
            placement_id=placement.id, kind=kind, recipient_id=recipient.id
        ),
        child=placement.child,
        recipient=recipient,
        sender=sender,
        due_at=due_at,
        actor=actor,
        content=placement_notice_content(placement=placement, kind=kind),
    )


def placement_notices(*, placement: Placement) -> models.QuerySet[Notice]:
    """Every notice about a placement, newest first: the ones it owed (placement, admission,
    discharge) and the escalations of those (an escalation has its late notice's subject)."""
    return Notice.objects.filter(subject_type=SUBJECT_TYPE, subject_id=placement.id)


def _host_recipients(placement: Placement) -> list[Organisation]:
    recipients = [organisation_for_council(council=placement.host_council)]
    police = organisation_for_police_force(police_force=placement.host_police_force)
    if receives_placement_notices(organisation=police):
        recipients.append(police)
    return recipients


def notices_for_placement_recorded(*, placement: Placement, actor: User | None) -> list[Notice]:
    """Placement notices for a newly recorded placement; none for one inside the placing
    council's own area."""
    if not placement.out_of_area:
        return []
    sender = organisation_for_council(council=placement.child.placing_council)
    due_at = placement_notice_due(
        start_date=placement.start_date, is_emergency=placement.is_emergency
    )
    return [
        _notice(
            placement=placement,
            kind=PlacementNoticeKind.PLACEMENT,
            recipient=recipient,
            sender=sender,
            due_at=due_at,
            actor=actor,
        )
        for recipient in _host_recipients(placement)
    ]


def notices_for_admission(*, placement: Placement, actor: User | None) -> list[Notice]:
    """The home's reg 41 notice of an admission to the host council, in or out of area."""
    notice = _notice(
        placement=placement,
        kind=PlacementNoticeKind.ADMISSION,
        recipient=organisation_for_council(council=placement.host_council),
        sender=placement.setting.provider,
        due_at=without_delay_due(event_date=placement.start_date),
        actor=actor,
    )
    return [notice]


def notices_for_placement_ended(*, placement: Placement, actor: User | None) -> list[Notice]:
    """Discharge notices when an out-of-area placement ends (``placement.end_date`` set), to
    whoever received its placement notice (to the host council and force when it had none)."""
    if not placement.out_of_area or placement.end_date is None:
        return []
    sender = organisation_for_council(council=placement.child.placing_council)
    due_at = without_delay_due(event_date=placement.end_date)
    told = Organisation.objects.filter(
        notices_received__subject_type=SUBJECT_TYPE,
        notices_received__subject_id=placement.id,
        notices_received__kind=PlacementNoticeKind.PLACEMENT,
    ).distinct()
    recipients = list(told) or _host_recipients(placement)
    return [
        _notice(
            placement=placement,
            kind=PlacementNoticeKind.DISCHARGE,
            recipient=recipient,
            sender=sender,
            due_at=due_at,
            actor=actor,
        )
        for recipient in recipients
    ]


# --- Emergency access (break-glass) alerts ---------------------------------------------------


def break_glass_alert_key(*, grant_id: object, recipient_id: object) -> str:
    return f"{GRANT_SUBJECT_TYPE}:{grant_id}:{recipient_id}"


def notices_for_break_glass(*, grant: AccessGrant, user: User) -> list[Notice]:
    """Emergency access alerts, one per use and recipient.

    The reviewers (the placing council, or the independent host council when the placing
    council used it) are involved with the child: their alert names the child and where the
    child was placed when the glass was broken. The user's own organisation was refused the
    child, so its alert says only who used emergency access, when, and links to the review
    page: no child's name, no home, no postcode, no placing council and not the reason, which
    may name the child. It keeps its ``child`` (the outbox needs it for escalation and the
    access policy), so a partner system's webhook carries the child's opaque Sightline id,
    which opens nothing without involvement (ADR 0015).
    """
    child = grant.child
    assert user.organisation is not None  # checked by break_glass_open
    own = user.organisation
    reviewers = [
        organisation_for_council(council=council)
        for council in break_glass_reviewer_councils(grant=grant)
    ]
    opened_on = grant.starts_at.astimezone(LONDON).date()
    current = (
        Placement.objects.filter(child=child, start_date__lte=opened_on, end_date__isnull=True)
        .select_related("setting", "host_council")
        .order_by("-start_date")
        .first()
    )
    council = council_display_name(council=child.placing_council)
    review_path = reverse("emergency_access_review", args=[grant.id])
    who = user.get_full_name() or user.get_username()
    involved = NoticeContent(
        kind_label=BREAK_GLASS_LABEL,
        subject_line=(
            f"Emergency access: {own.name} opened the record of a child placed "
            f"by {council}, with a written justification"
        ),
        date_label="Opened on",
        effective_date=opened_on,
        child_name=child_display_name(first_name=child.first_name, last_name=child.last_name),
        setting_name=current.setting.name if current else "",
        setting_postcode=current.setting.postcode if current else "",
        area_name=current.host_council.name if current else "",
        placing_council_name=council,
        subject_path=review_path,
        subject_link_text="Review this use of emergency access",
    )
    colleagues = NoticeContent(
        kind_label=BREAK_GLASS_LABEL,
        subject_line=f"Emergency access: {who} of {own.name} used emergency access",
        date_label="Used on",
        effective_date=opened_on,
        subject_path=review_path,
        subject_link_text="See this use of emergency access",
    )
    sends = [(org, involved) for org in reviewers]
    if own not in reviewers:
        sends.append((own, colleagues))
    return [
        notice_create(
            kind=BREAK_GLASS_KIND,
            subject_type=GRANT_SUBJECT_TYPE,
            subject_id=grant.id,
            idempotency_key=break_glass_alert_key(grant_id=grant.id, recipient_id=recipient.id),
            child=child,
            recipient=recipient,
            sender=own,
            due_at=grant.starts_at,
            actor=user,
            content=content,
        )
        for recipient, content in sends
    ]
