"""``GET /notices`` (the organisation's inbox) and ``POST /notices/{notice_id}/acknowledge``.

A notice carries only its own minimal content (first name and surname initial, setting, dates,
who to call); opening the child's record is ``GET /children/{id}``, through the access policy.
The child's details follow the involvement (``Action.VIEW_NOTICE``): a key whose role sees no
child, or whose organisation is no longer involved, gets the notice with them null.
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Action, Rule, declare
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import Paged
from sightline.api.selectors import notices_for_api
from sightline.notifications.access import NoticeAccess
from sightline.notifications.models import Notice
from sightline.notifications.services import notice_acknowledge

router = Router(tags=["Notices"])


def _shown(obj: Notice) -> bool:
    """Whether the key may read the notice's child details (``notices_with_child_shown``,
    ``access_notice``); not known means no."""
    return bool(getattr(obj, "child_shown", False))


class NoticeOut(Schema):
    id: uuid.UUID
    reference: str = Field(description="Quote it when you call the sender.")
    kind: str = Field(description="placement, admission or discharge.")
    child_shown: bool = Field(
        description="false: your key may not see this child (your organisation is no longer "
        "involved, or the key's role sees no child's record): the child's details are null."
    )
    child_id: uuid.UUID | None
    child_name: str | None = Field(description="First name and surname initial.")
    setting_name: str | None
    setting_postcode: str | None
    area_name: str | None = Field(description="The host council's area.")
    effective_date: dt.date = Field(description="Placed from, admitted on or left on.")
    placing_council_name: str | None
    sender_name: str
    sender_contact: str
    due_at: dt.datetime
    ack_due_at: dt.datetime
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None

    @staticmethod
    def resolve_child_shown(obj: Notice) -> bool:
        return _shown(obj)

    @staticmethod
    def resolve_child_id(obj: Notice) -> uuid.UUID | None:
        return obj.child_id if _shown(obj) else None

    @staticmethod
    def resolve_child_name(obj: Notice) -> str | None:
        return obj.child_name if _shown(obj) else None

    @staticmethod
    def resolve_setting_name(obj: Notice) -> str | None:
        return obj.setting_name if _shown(obj) else None

    @staticmethod
    def resolve_setting_postcode(obj: Notice) -> str | None:
        return obj.setting_postcode if _shown(obj) else None

    @staticmethod
    def resolve_area_name(obj: Notice) -> str | None:
        return obj.area_name if _shown(obj) else None

    @staticmethod
    def resolve_placing_council_name(obj: Notice) -> str | None:
        return obj.placing_council_name if _shown(obj) else None

    @staticmethod
    def resolve_acknowledged_by(obj: Notice) -> str | None:
        # A user, or the name and role given through the signed link e-mailed to an agency
        # not on Sightline.
        return obj.acknowledged_by_text or None


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
@paginate(Paged, children=lambda notice: notice.child_id if _shown(notice) else None)
def list_notices(request: HttpRequest, filters: Query[NoticeQuery]) -> QuerySet[Notice]:
    """Your organisation's inbox, newest first."""
    return notices_for_api(user=acting_user(request), acknowledged=filters.acknowledged)


@router.post(
    "/notices/{notice_id}/acknowledge",
    response={200: NoticeOut, **WRITE_ERRORS},
    summary="Acknowledge a notice",
)
@declare_operation(
    Action.ACKNOWLEDGE_NOTICE,
    kind="notice",
    rule=Rule.RECORD,
    purpose="Acknowledge a notice about a child",
)
@idempotent
def acknowledge_notice(
    request: HttpRequest, access: NoticeAccess, idempotency_key: IdempotencyKey = None
) -> Any:
    """Say your organisation has the notice. Records who (your key) and when, once: a second
    acknowledgement changes nothing. Only the recipient organisation may acknowledge, with a
    case role; anyone else gets 404, as for a notice that does not exist. The answer shows the
    child's details only where your key may see the child."""
    notice = notice_acknowledge(notice=access.notice, actor=acting_user(request))
    notice.child_shown = access.shows_child  # type: ignore[attr-defined]
    return notice
