"""Which notices a placement owes, and to whom (the rules; the notice engine delivers them).

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
"""

from __future__ import annotations

from sightline.notifications.deadlines import placement_notice_due, without_delay_due
from sightline.notifications.models import Notice, NoticeKind
from sightline.notifications.selectors import receives_placement_notices
from sightline.notifications.services import (
    notice_create,
    organisation_for_council,
    organisation_for_police_force,
)
from sightline.organisations.models import Organisation, User
from sightline.placements.models import Placement


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
    child = placement.child
    sender = organisation_for_council(council=child.placing_council)
    due_at = placement_notice_due(
        start_date=placement.start_date, is_emergency=placement.is_emergency
    )
    return [
        notice_create(
            kind=NoticeKind.PLACEMENT,
            child=child,
            placement=placement,
            recipient=recipient,
            sender=sender,
            due_at=due_at,
            actor=actor,
        )
        for recipient in _host_recipients(placement)
    ]


def notices_for_admission(*, placement: Placement, actor: User | None) -> list[Notice]:
    """The home's reg 41 notice of an admission to the host council, in or out of area."""
    notice = notice_create(
        kind=NoticeKind.ADMISSION,
        child=placement.child,
        placement=placement,
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
    child = placement.child
    sender = organisation_for_council(council=child.placing_council)
    due_at = without_delay_due(event_date=placement.end_date)
    told = Organisation.objects.filter(
        notices_received__placement=placement, notices_received__kind=NoticeKind.PLACEMENT
    ).distinct()
    recipients = list(told) or _host_recipients(placement)
    return [
        notice_create(
            kind=NoticeKind.DISCHARGE,
            child=child,
            placement=placement,
            recipient=recipient,
            sender=sender,
            due_at=due_at,
            actor=actor,
        )
        for recipient in recipients
    ]
