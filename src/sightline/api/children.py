"""``GET /children`` and ``GET /children/{child_id}``.

The list holds the children the key's organisation is involved with now (``children_visible_to``);
one child's record goes through ``access_child``, which records the look (who, when, why).
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator

from sightline.access.policy import Action, ChildAccess, Rule, declare
from sightline.api.access import declare_operation
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, ErrorsOut
from sightline.api.schemas import CouncilOut, Paged, PlacementSummaryOut
from sightline.api.selectors import (
    child_contacts_for_api,
    child_placements_for_api,
    children_for_api,
)
from sightline.children.models import Child
from sightline.missing.contacts import ContactLine

router = Router(tags=["Children"])


class ChildSummaryOut(Schema):
    id: uuid.UUID
    child_ref: str = Field(description="The placing council's 903 CHILD id.")
    first_name: str
    last_name: str
    placing_council: CouncilOut
    current_placement: PlacementSummaryOut | None

    @staticmethod
    def resolve_current_placement(obj: Any) -> Any:
        current = getattr(obj, "current_placements", None)
        return current[0] if current else None


class ContactOut(Schema):
    role: str = Field(
        description="social_worker, team_manager, home_manager, out_of_hours, police_spoc "
        "or return_interviews."
    )
    label: str
    recorded: bool = Field(description="False: not kept yet; ``missing`` says why.")
    name: str | None
    phone: str | None
    email: str | None
    kept_by: str | None = Field(description="The organisation that keeps this contact.")
    last_confirmed_at: dt.datetime | None
    missing: str = Field(description="Why it is not recorded and who can add it, if not.")


class ChildOut(Schema):
    id: uuid.UUID
    child_ref: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    ethnicity: str
    placing_council: CouncilOut
    involvements: list[str] = Field(description="Why your organisation may see this child.")
    placements: list[PlacementSummaryOut] = Field(description="Newest first.")
    contacts: list[ContactOut] = Field(
        description="Who to call about the child: the record's contacts (issue 14)."
    )


class ChildQuery(Schema):
    purpose: str = Field(
        "Read through the API",
        min_length=1,
        max_length=200,
        description="Why you are opening the record: kept in the access log (DPA 2018 s.62).",
    )

    @field_validator("purpose")
    @classmethod
    def _printable(cls, value: str) -> str:
        """A purpose is kept in the access log: control characters (a NUL, which PostgreSQL
        cannot store in text, among them) are refused, naming the field."""
        if any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in value):
            raise ValueError("Enter the purpose without control characters")
        return value


@router.get(
    "/children",
    response={200: list[ChildSummaryOut], **READ_ERRORS},
    summary="List the children your organisation is involved with",
)
@declare(Rule.SIGNED_IN)
@paginate(Paged, children=lambda child: child.pk)
def list_children(request: HttpRequest) -> QuerySet[Child]:
    """Children your organisation is involved with today: as placing council, host council or
    police force of the current placement, or provider of the current setting."""
    return children_for_api(user=acting_user(request))


@router.get(
    "/children/{child_id}",
    response={200: ChildOut, 404: ErrorsOut, **READ_ERRORS},
    summary="One child's record",
)
@declare_operation(Action.VIEW, kind="child", purpose="Read through the API")
def get_child(
    request: HttpRequest, access: ChildAccess, query: Query[ChildQuery]
) -> dict[str, Any]:
    """The child's record and placements. Every read is recorded in the access log with your
    key, the time and the ``purpose``. A child your organisation is not involved with answers
    404, exactly as a child that does not exist."""
    child = access.child
    placements = child_placements_for_api(access=access)
    contacts = child_contacts_for_api(
        user=acting_user(request), access=access, placements=placements
    )
    return {
        "id": child.id,
        "child_ref": child.child_ref,
        "first_name": child.first_name,
        "last_name": child.last_name,
        "date_of_birth": child.date_of_birth,
        "sex": child.sex,
        "ethnicity": child.ethnicity,
        "placing_council": child.placing_council,
        "involvements": sorted(str(i) for i in access.involvements),
        "placements": placements,
        "contacts": [_contact(line) for line in contacts],
    }


def _contact(line: ContactLine) -> dict[str, Any]:
    contact = line.contact
    return {
        "role": line.role,
        "label": line.label,
        "recorded": contact is not None,
        "name": contact.name if contact else None,
        "phone": contact.phone if contact else None,
        "email": (contact.email or None) if contact else None,
        "kept_by": contact.organisation.name if contact else None,
        "last_confirmed_at": contact.last_confirmed_at if contact else None,
        "missing": line.missing,
    }
