"""Output pieces shared by several routers. Each router keeps its own input and output
schemas next to its operations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator, ConfigDict

from sightline.audit.lists import audit_list_read
from sightline.organisations.models import User


class BodyIn(Schema):
    """A request body. A field the operation does not know is an error that names it, so a
    misspelt optional field (``found_postcode`` for ``where_postcode``) is never dropped
    silently; the schema says so (``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid")


def choice(values: Iterable[str]) -> Any:
    """A string restricted to the given values: an ``enum`` in the schema. (Under a
    ``TYPE_CHECKING`` guard the same names are plain ``str`` for mypy.)"""
    return Literal[tuple(values)]


EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
D = TypeVar("D", dt.date, dt.datetime)


def _within_years(value: D) -> D:
    # Far dates are never meant, and the year 1 or 9999 overflow time-zone arithmetic.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return value


# A date, or a time with its time zone, in a plausible range.
Day = Annotated[dt.date, AfterValidator(_within_years)]
Moment = Annotated[dt.datetime, AfterValidator(_within_years)]

MAX_PAGE = 500
MAX_OFFSET = 1_000_000


class CouncilOut(Schema):
    ons_code: str
    dfe_code: str
    name: str


class PoliceForceOut(Schema):
    code: str
    name: str


def as_float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


class PlacementSummaryOut(Schema):
    id: uuid.UUID
    setting_id: uuid.UUID
    setting_name: str
    setting_postcode: str
    start_date: dt.date
    end_date: dt.date | None
    place_type: str
    host_council: CouncilOut
    host_police_force: PoliceForceOut
    distance_miles: float | None

    @staticmethod
    def resolve_setting_name(obj: object) -> str:
        return obj.setting.name  # type: ignore[attr-defined]

    @staticmethod
    def resolve_setting_postcode(obj: object) -> str:
        return obj.setting.postcode  # type: ignore[attr-defined]

    @staticmethod
    def resolve_distance_miles(obj: object) -> float | None:
        return as_float(obj.distance_miles)  # type: ignore[attr-defined]


class Paged(LimitOffsetPagination):
    """``?limit=&offset=``; answers ``{"items": [...], "count": N}``. Bounded, so that no
    offset can overflow the database's integers.

    Every page served is a list read on the audit: ``@paginate(Paged, children=...)`` says
    which child each item is about (``children=None`` for a list that names no child), and the
    page the request actually served is recorded as one ``children listed`` event naming those
    children (none for an empty page). ``children`` has no default, so a new list operation
    cannot leave the question unanswered."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE, description="How many to return.")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many to skip.")

    def __init__(self, *, children: Callable[[Any], Any] | None, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_PAGE, **kwargs)
        self.children = children

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        result = super().paginate_queryset(queryset, pagination, request, **params)
        items = result[self.items_attribute] = list(result[self.items_attribute])
        actor = getattr(request, "auth", None)
        if self.children is not None and items and isinstance(actor, User):
            limit = min(pagination.limit, self.max_limit)
            match = request.resolver_match
            audit_list_read(
                actor=actor,
                where=match.view_name if match else request.path,
                child_ids=[self.children(item) for item in items],
                page=pagination.offset // limit + 1,
                offset=pagination.offset,
                limit=limit,
                purpose="Read through the API (a list)",
            )
        return result
