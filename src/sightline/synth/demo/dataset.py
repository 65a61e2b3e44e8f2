"""The rows a load created, listed in ``DemoDataset``: reading them back, removing them for
another seed, and the fingerprint that says two loads made the same data."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from django.db import models
from django.db.models import ProtectedError, RestrictedError

from sightline.children.models import Child
from sightline.core.errors import SightlineError
from sightline.exploitation.models import Concern
from sightline.missing.models import (
    Episode,
    ReturnInterview,
    SafetyProfileVersion,
    Task,
)
from sightline.organisations.models import Organisation, User
from sightline.placements.models import Placement, Setting
from sightline.synth.models import DemoDataset


class DemoDataInUse(SightlineError):
    """The loaded demo data set cannot be removed to make way for another."""


# Model labels in the order replacing a data set deletes them.
_DELETE_ORDER = (
    "exploitation.concern",
    "missing.task",
    "missing.safetyprofileversion",
    "missing.returninterview",
    "missing.episode",
    "placements.placement",
    "children.child",
    "placements.setting",
    "organisations.user",
    "organisations.organisation",
)

_MODELS: dict[str, type[models.Model]] = {
    "exploitation.concern": Concern,
    "missing.task": Task,
    "missing.safetyprofileversion": SafetyProfileVersion,
    "missing.returninterview": ReturnInterview,
    "missing.episode": Episode,
    "placements.placement": Placement,
    "children.child": Child,
    "placements.setting": Setting,
    "organisations.user": User,
    "organisations.organisation": Organisation,
}


def _remove(dataset: DemoDataset) -> None:
    """Delete the data set's rows and whatever was recorded about them since (notices,
    access records, episodes...): in a demo database those are as synthetic as the children
    they are about. Council and police organisations are never in the data set's records:
    every seed shares them, and they may carry settings made by hand."""
    for label in _DELETE_ORDER:
        pks = dataset.records.get(label, [])
        _delete_with_dependants(_MODELS[label]._default_manager.filter(pk__in=pks))
    dataset.delete()


def _delete_with_dependants(queryset: models.QuerySet[Any], depth: int = 0) -> None:
    """Delete the rows, first deleting rows that a PROTECT or RESTRICT key holds to them."""
    for _ in range(50):
        try:
            queryset.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            blockers = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            if depth >= 10:
                raise DemoDataInUse(
                    "The demo data set cannot be replaced: records about it are nested too "
                    "deeply to remove. Start from an empty database."
                ) from exc
            by_model: dict[type[models.Model], list[Any]] = defaultdict(list)
            for obj in blockers:
                by_model[type(obj)].append(obj.pk)
            for model, pks in by_model.items():
                _delete_with_dependants(model._default_manager.filter(pk__in=pks), depth + 1)
    raise DemoDataInUse("The demo data set cannot be replaced. Start from an empty database.")


def _rows(dataset: DemoDataset, label: str) -> models.QuerySet[Any]:
    return _MODELS[label]._default_manager.filter(pk__in=dataset.records.get(label, []))


def _councils_involved(dataset: DemoDataset) -> set[str]:
    council_ids = {s.council_id for s in _rows(dataset, "placements.setting")}
    return council_ids | {c.placing_council_id for c in _rows(dataset, "children.child")}


def _organisations_involved(dataset: DemoDataset) -> list[Organisation]:
    """The organisations of the councils and forces involved, and the providers."""
    council_ids = _councils_involved(dataset)
    return list(
        Organisation.objects.filter(
            models.Q(council_id__in=council_ids)
            | models.Q(police_force__councils__ons_code__in=council_ids)
            | models.Q(pk__in=[s.provider_id for s in _rows(dataset, "placements.setting")])
        ).distinct()
    )


def _fingerprint(dataset: DemoDataset) -> str:
    """SHA-256 of the data set's content in a canonical order, without ids or timestamps."""
    organisations = sorted(
        (o.kind, o.name, o.council_id or "", o.police_force_id or "", o.email)
        for o in _organisations_involved(dataset)
    )
    users = sorted(
        (
            u.username,
            u.first_name,
            u.last_name,
            u.email,
            u.role,
            u.organisation.name if u.organisation else "",
            u.is_staff,
            u.is_superuser,
        )
        for u in _rows(dataset, "organisations.user").select_related("organisation")
    )
    settings_ = sorted(
        (
            s.name,
            s.urn,
            s.postcode,
            s.sector,
            s.place_type,
            s.registered_places or 0,
            s.provider.name if s.provider else "",
            s.council_id,
            s.police_force_id,
        )
        for s in _rows(dataset, "placements.setting").select_related("provider")
    )
    children = sorted(
        (
            c.placing_council_id,
            c.child_ref,
            c.first_name,
            c.last_name,
            c.date_of_birth.isoformat(),
            c.sex,
            c.ethnicity,
        )
        for c in _rows(dataset, "children.child")
    )
    placements = sorted(
        (
            p.child.child_ref,
            p.setting.name,
            p.start_date.isoformat(),
            p.end_date.isoformat() if p.end_date else "",
            p.place_type,
            p.place_provider,
            p.home_postcode,
            p.is_emergency,
            p.host_council_id,
            p.host_police_force_id,
            str(p.distance_miles),
            p.out_of_area,
            p.recorded_by.username if p.recorded_by else "",
        )
        for p in _rows(dataset, "placements.placement").select_related(
            "child", "setting", "recorded_by"
        )
    )
    episodes = sorted(
        (
            e.child.child_ref,
            e.missing_code,
            e.last_seen_at.isoformat(),
            e.returned_at.isoformat() if e.returned_at else "",
            e.found_by,
            e.found_place,
            e.risk_grade.code if e.risk_grade else "",
            e.reported_by.username,
        )
        for e in _rows(dataset, "missing.episode").select_related(
            "child", "reported_by", "risk_grade"
        )
        # Episodes open now were reported at the moment of loading: their times are not content.
        if e.returned_at is not None
    )
    interviews = sorted(
        (
            i.child.child_ref,
            i.status,
            i.due_at.isoformat(),
            i.offered_at.isoformat() if i.offered_at else "",
        )
        for i in _rows(dataset, "missing.returninterview").select_related("child")
    )
    profiles = sorted(
        (p.child.child_ref, p.description, p.places_frequented, p.known_risks)
        for p in _rows(dataset, "missing.safetyprofileversion").select_related("child")
    )
    concerns = sorted(
        (
            c.kind,
            c.label,
            c.details,
            c.postcode,
            c.registration,
            c.owner.name,
            sorted(s.organisation.name for s in c.shares.all()),
            sorted((link.child.child_ref, link.source) for link in c.links.all()),
        )
        for c in _rows(dataset, "exploitation.concern")
        .select_related("owner")
        .prefetch_related("shares__organisation", "links__child")
    )
    content = {
        "concerns": concerns,
        "profiles": profiles,
        "seed": dataset.seed,
        "reference_date": dataset.reference_date.isoformat(),
        "organisations": organisations,
        "users": users,
        "settings": settings_,
        "children": children,
        "placements": placements,
        "episodes": episodes,
        "interviews": interviews,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
