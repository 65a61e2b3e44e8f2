"""Writes for the reference geography: loading police forces, councils and districts.

The rows come from the CSV files in ``geography/data/`` (see ``docs/geography.md`` for where
they come from). Migration 0002 and ``sightline geography load`` both call
``reference_data_load``, so a database built from migrations and one reloaded by hand hold
the same rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import transaction

__all__ = ["ReferenceDataSummary", "reference_data_load", "reference_data_unload"]

_DATA = resources.files("sightline.geography") / "data"


@dataclass
class ReferenceDataSummary:
    """How many rows of each table a load created and how many it found already there."""

    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [
            f"{self.created[table] + self.existing[table]} {table} ({self.created[table]} new)"
            for table in self.created
        ]
        return "Loaded " + ", ".join(parts) + "."


def reference_data_load(*, apps: Apps | None = None) -> ReferenceDataSummary:
    """Create or update every police force, council and district from the shipped CSVs.

    Idempotent: running it again changes nothing unless the files changed. ``apps`` is the
    migration's historical app registry; without it the current models are used. Only the
    fields the given model has are written, so that migration 0002 keeps working after later
    migrations add fields. No acting user: this is reference data, not a person's change.
    """
    registry = apps or global_apps
    police_force = registry.get_model("geography", "PoliceForce")
    council = registry.get_model("geography", "Council")
    district = registry.get_model("geography", "District")
    summary = ReferenceDataSummary()
    with transaction.atomic():
        _upsert(
            police_force,
            "code",
            _rows("police_forces.csv"),
            summary,
            "police forces",
        )
        _upsert(
            council,
            "ons_code",
            (
                _renamed(row, police_force_code="police_force_id")
                | {"is_current": row["is_current"] == "true"}
                for row in _rows("councils.csv")
            ),
            summary,
            "councils",
        )
        _upsert(
            district,
            "code",
            (
                _renamed(row, council_ons_code="council_id", police_force_code="police_force_id")
                for row in _rows("districts.csv")
            ),
            summary,
            "districts",
        )
    return summary


def reference_data_unload(*, apps: Apps | None = None) -> None:
    """Delete the rows the shipped CSVs name, children first (migration 0002's reverse).

    Fails, leaving everything in place, if any council or force is still referred to: the
    foreign keys to them are PROTECT, and reference data in use should not vanish.
    """
    registry = apps or global_apps
    with transaction.atomic():
        registry.get_model("geography", "District").objects.filter(
            code__in=[row["code"] for row in _rows("districts.csv")]
        ).delete()
        registry.get_model("geography", "Council").objects.filter(
            ons_code__in=[row["ons_code"] for row in _rows("councils.csv")]
        ).delete()
        registry.get_model("geography", "PoliceForce").objects.filter(
            code__in=[row["code"] for row in _rows("police_forces.csv")]
        ).delete()


def _rows(name: str) -> Iterator[dict[str, str]]:
    yield from csv.DictReader((_DATA / name).read_text(encoding="utf-8").splitlines())


def _renamed(row: dict[str, str], **names: str) -> dict[str, Any]:
    """The CSV row with columns renamed to model attribute names (``council_id``)."""
    return {names.get(column, column): value for column, value in row.items()}


def _upsert(
    model: Any,
    key: str,
    rows: Iterator[dict[str, Any]],
    summary: ReferenceDataSummary,
    table: str,
) -> None:
    known = {f.attname for f in model._meta.concrete_fields}
    created = existing = 0
    for row in rows:
        defaults = {name: value for name, value in row.items() if name in known and name != key}
        _, was_created = model.objects.update_or_create(**{key: row[key]}, defaults=defaults)
        if was_created:
            created += 1
        else:
            existing += 1
    summary.created[table] = created
    summary.existing[table] = existing
