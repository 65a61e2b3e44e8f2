"""``GET /notices`` (the organisation's inbox) and ``POST /notices/{notice_id}/acknowledge``.

A notice carries only its own minimal content (first name and surname initial, setting, dates,
who to call); opening the child's record is ``GET /children/{id}``, through the access policy.
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Rule, declare
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import Paged
from sightline.api.selectors import notices_for_api
from sightline.notifications.models import Notice
from sightline.notifications.selectors import notice_for_user
from sightline.notifications.services import notice_acknowledge

router = Router(tags=["Notices"])


class NoticeOut(Schema):
    id: uuid.UUID
    reference: str = Field(description="Quote it when you call the sender.")
    kind: str = Field(description="placement, admission or discharge.")
    child_id: uuid.UUID
    child_name: str = Field(description="First name and surname initial.")
    setting_name: str
    setting_postcode: str
    area_name: str = Field(description="The host council's area.")
    effective_date: dt.date = Field(description="Placed from, admitted on or left on.")
    placing_council_name: str
    sender_name: str
    sender_contact: str
    due_at: dt.datetime
    ack_due_at: dt.datetime
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None

    @staticmethod
    def resolve_acknowledged_by(obj: Notice) -> str | None:
        user = obj.acknowledged_by
        return (user.get_full_name() or user.username) if user is not None else None


class NoticeQuery(Schema):
    acknowledged: bool | None = Field(
        None, description="true: acknowledged only; false: waiting for acknowledgement only."
    )


@router.get(
    "/notices",
    response={200: list[NoticeOut], **READ_ERRORS},
    summary="List the notices your organisation has received",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=lambda notice: notice.child_id)
def list_notices(request: HttpRequest, filters: Query[NoticeQuery]) -> QuerySet[Notice]:
    """Your organisation's inbox, newest first."""
    return notices_for_api(user=acting_user(request), acknowledged=filters.acknowledged)


@router.post(
    "/notices/{notice_id}/acknowledge",
    response={200: NoticeOut, **WRITE_ERRORS},
    summary="Acknowledge a notice",
)
@declare(Rule.SIGNED_IN)
@idempotent
def acknowledge_notice(
    request: HttpRequest, notice_id: uuid.UUID, idempotency_key: IdempotencyKey = None
) -> Any:
    """Say your organisation has the notice. Records who (your key) and when, once: a second
    acknowledgement changes nothing. Only the recipient organisation may acknowledge, with a
    case role; anyone else gets 404, as for a notice that does not exist."""
    user = acting_user(request)
    return notice_acknowledge(notice=notice_for_user(user=user, notice_id=notice_id), actor=user)
