"""Police risk grades: the list in force on a day, and checking a grade with who gave it."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import QuerySet, Subquery

from sightline.core.errors import ValidationError
from sightline.core.prepared import prepared
from sightline.missing.models import (
    RiskGrade,
    RiskGradeList,
)

logger = logging.getLogger(__name__)


# --- Risk grades ---------------------------------------------------------------------------


def risk_grade_list_in_force(*, on: dt.date) -> RiskGradeList:
    found = RiskGradeList.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if found is None:
        raise ValidationError("No police risk-grade list is in force.", field="risk_grade")
    return found


def _grade_in_force(*, on: dt.date, code: str) -> QuerySet[RiskGrade]:
    """The grade with this code in the list in force on the day (``.first()``'s order)."""
    in_force = (
        RiskGradeList.objects.filter(effective_from__lte=on)
        .order_by("-effective_from")
        .values("pk")[:1]
    )
    grades = RiskGrade.objects.filter(list=Subquery(in_force), code=code).select_related("list")
    return (grades if grades.ordered else grades.order_by("pk"))[:1]


def _risk_grade(
    value: RiskGrade | str | None,
    *,
    on: dt.date,
    supplied_by: str,
    supplied_by_field: str = "risk_grade_supplied_by",
    record: str | None = None,
) -> RiskGrade | None:
    """A grade object, or a code looked up in the list in force on the day.

    A grade is a police judgement that others act on, so it is refused without who gave it
    (APP: record the source of every risk fact) whichever door it comes through: the form,
    the API or a command."""
    if value is None or value == "":
        return None
    if isinstance(value, RiskGrade):
        grade = value
    else:
        # The grade and its list in one query (the list in force as a subquery); the list is
        # read on its own only to say why a code was refused.
        # Its SQL built once per process (ADR 53); the day and the code are its values.
        rows = prepared(
            "missing.risk_grade", _grade_in_force, text=("code",), on=on, code=value.strip()
        )
        found = rows[0] if rows else None
        if found is None:
            grade_list = risk_grade_list_in_force(on=on)
            codes = ", ".join(grade_list.grades.values_list("code", flat=True))
            raise ValidationError(
                f"Choose a risk grade from the {grade_list.version} list: {codes}.",
                field="risk_grade",
            )
        grade = found
    if not supplied_by.strip():
        raise ValidationError(
            "Enter who gave the risk grade.", field=supplied_by_field, record=record
        )
    return grade
