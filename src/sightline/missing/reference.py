"""Reference values shipped with Sightline: the police risk-grade lists.

College of Policing Authorised Professional Practice (APP) on missing persons, published in
January 2017 (the "2016" list): a continuum from no apparent risk (formerly "absent") to high
risk. The later list, in which the lowest grade is "very low risk", is in use in many forces;
its effective date here is a default (*unverified*): add a list with the right date where a
force's differs. Grades already recorded keep their list's version, so a new list never
changes an old record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

RISK_GRADE_LISTS: list[dict[str, Any]] = [
    {
        "version": "2016",
        "name": "College of Policing APP, missing persons (2016)",
        "effective_from": dt.date(2016, 1, 1),
        "source": "College of Policing, Authorised Professional Practice: missing persons",
        "grades": [
            ("no_apparent", "No apparent risk", False),
            ("low", "Low risk", False),
            ("medium", "Medium risk", False),
            ("high", "High risk", True),
        ],
    },
    {
        "version": "2021",
        "name": "College of Policing APP, missing persons (very low risk)",
        "effective_from": dt.date(2021, 1, 1),
        "source": "College of Policing APP; effective date unverified",
        "grades": [
            ("very_low", "Very low risk", False),
            ("low", "Low risk", False),
            ("medium", "Medium risk", False),
            ("high", "High risk", True),
        ],
    },
]


def risk_grade_lists_load(*, list_model: Any, grade_model: Any) -> int:
    """Create the shipped lists that are missing (idempotent). Takes the model classes, so a
    data migration can pass its historical models. Returns how many lists it created."""
    created = 0
    for spec in RISK_GRADE_LISTS:
        grade_list, made = list_model.objects.get_or_create(
            version=spec["version"],
            defaults={
                "name": spec["name"],
                "effective_from": spec["effective_from"],
                "source": spec["source"],
            },
        )
        created += int(made)
        for order, (code, label, is_high) in enumerate(spec["grades"]):
            grade_model.objects.get_or_create(
                list=grade_list,
                code=code,
                defaults={"label": label, "order": order, "is_high": is_high},
            )
    return created
