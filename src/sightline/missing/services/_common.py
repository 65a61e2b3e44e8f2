"""Helpers the missing services share: time checks and the record a message names."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction

from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.errors import ValidationError

logger = logging.getLogger(__name__)


# A report may carry a time a little ahead of the server's clock (a phone's clock).
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def _log_on_commit(message: str, *args: Any) -> None:
    transaction.on_commit(lambda: logger.info(message, *args))


def _aware(value: dt.datetime, *, field: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("Give the time with its time zone.", field=field)
    if not 1900 <= value.year <= 2999:
        # Far dates cannot be converted to London time (and are typing mistakes anyway).
        raise ValidationError("Enter a real date and time.", field=field)
    return value


def _london_date(value: dt.datetime) -> dt.date:
    return value.astimezone(LONDON).date()


def _record(child: Child) -> str:
    return f"Child {child.child_ref}"
