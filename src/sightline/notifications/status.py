"""How a notice stands for its recipient, on the inbox and on compliance tables.

One vocabulary of statuses, so that the inbox, the notice page and the placement compliance
report (``sightline.placements.compliance``) tag the same notice the same way.
"""

from __future__ import annotations

import datetime as dt
import enum

from sightline.notifications.models import Notice


class Status(enum.StrEnum):
    NEW = "New"
    ACKNOWLEDGED = "Acknowledged"
    OVERDUE = "Overdue"
    NOT_SENT = "Not sent"
    NOT_REQUIRED = "Not required"
    NONE_RECEIVED = "None received"
    LEARNED_LATE = "Learned late"
    IN_TIME = "In time"
    # Sent notices only: a delivery failed for good (a GOV.UK Notify receipt, a refused
    # address) and has not been sent again; the sender's duty contact has been told.
    UNDELIVERED = "Could not be delivered"


def notice_status(notice: Notice, *, now: dt.datetime) -> Status:
    """New (awaiting acknowledgement, not yet due), Acknowledged, or Overdue; on the sender's
    list, Could not be delivered (``undelivered``, annotated by ``notices_undelivered``)."""
    if notice.acknowledged_at is not None:
        return Status.ACKNOWLEDGED
    if getattr(notice, "undelivered", False):
        return Status.UNDELIVERED
    if notice.ack_due_at < now:
        return Status.OVERDUE
    return Status.NEW


def sent_on_time(notice: Notice) -> bool:
    """Reached the recipient's inbox (it is created there) by its due time."""
    return notice.created_at <= notice.due_at


def acknowledged_on_time(notice: Notice) -> bool:
    return notice.acknowledged_at is not None and notice.acknowledged_at <= notice.ack_due_at
