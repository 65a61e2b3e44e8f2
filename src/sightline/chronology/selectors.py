"""Reads of a child's one chronology (issue 17): the entries agencies wrote, merged in time
order with what happened automatically (``sources.py`` and the sources higher packages
register, ``registry.py``), as the reader may see them.

A chronology is read whole and cut into pages after the merge: the automatic sources come
from several packages (some above this one, behind a registry), so no single query can page
them, and a child's chronology is a few hundred rows, not thousands (ADR "one chronology").
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from sightline.access.policy import ChildAccess, chronology_text_visible
from sightline.children.models import Child
from sightline.chronology.models import ChronologyEntry, EntryType, Significance
from sightline.chronology.registry import AutoEntry, chronology_sources
from sightline.chronology.sources import OWN_SOURCES
from sightline.core.calendar import LONDON
from sightline.core.timeutil import today
from sightline.organisations.models import Organisation, User
from sightline.placements.models import Contact
from sightline.placements.selectors import placement_history


@dataclass(frozen=True)
class Row:
    """One line of the chronology. ``entry`` is the written entry, None for an automatic
    one. ``text`` is None when the reader may not read it (a restricted entry): the row then
    says only that it exists, when, the source agency and ``ask`` (whom to ask)."""

    occurred_at: dt.datetime
    kind: str  # an EntryType value, or an automatic source's kind ("placement"...)
    kind_label: str
    significance: str
    organisation_id: uuid.UUID | None
    organisation_name: str
    text: str | None
    entry: ChronologyEntry | None = None
    author_name: str = ""
    recorded_at: dt.datetime | None = None
    ask: str = ""
    url: str = ""
    audience: tuple[str, ...] = field(default_factory=tuple)

    @property
    def automatic(self) -> bool:
        return self.entry is None

    @property
    def hidden(self) -> bool:
        return self.text is None

    @property
    def significance_label(self) -> str:
        try:
            return str(Significance(self.significance).label)
        except ValueError:
            return self.significance


@dataclass(frozen=True)
class ChronologyFilter:
    """Which rows to show: any of the agencies, kinds and significances chosen (none chosen:
    all), on London days from ``since`` to ``until``, both included."""

    agencies: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    significances: frozenset[str] = frozenset()
    since: dt.date | None = None
    until: dt.date | None = None

    def keeps(self, row: Row) -> bool:
        day = row.occurred_at.astimezone(LONDON).date()
        return (
            (not self.agencies or str(row.organisation_id) in self.agencies)
            and (not self.kinds or row.kind in self.kinds)
            and (not self.significances or row.significance in self.significances)
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )


def chronology_kinds() -> dict[str, str]:
    """Every kind of row, for the filter: the written types, then the automatic sources."""
    kinds = {str(value): str(label) for value, label in EntryType.choices}
    kinds.update({kind: label for kind, (label, _) in OWN_SOURCES.items()})
    for name in chronology_sources():
        kinds.setdefault(name, name.replace("_", " ").capitalize())
    return kinds


def _entries(child: Child) -> QuerySet[ChronologyEntry]:
    return (
        ChronologyEntry.objects.filter(child=child)
        .select_related("organisation", "author", "supersedes", "superseded_by")
        .prefetch_related("visible_to")
        .order_by("occurred_at", "recorded_at")
    )


def _ask(organisation: Organisation, author: User, contacts: dict[Any, list[Contact]]) -> str:
    """Whom to ask about an entry the reader may not read: its author at the source agency,
    and the agency's own contact (its team inbox, else its first organisation contact)."""
    how = [f"{c.get_role_display()}: {c.phone}" for c in contacts.get(organisation.pk, [])][:1]
    if organisation.email:
        how.insert(0, organisation.email)
    name = author.get_full_name() or author.username
    return f"Ask {name} at {organisation.name}" + (f" ({', '.join(how)})" if how else "")


def _contacts(organisation_ids: Collection[Any]) -> dict[Any, list[Contact]]:
    found: dict[Any, list[Contact]] = {}
    for contact in Contact.objects.filter(
        organisation_id__in=organisation_ids, setting__isnull=True, placement__isnull=True
    ).order_by("role"):
        found.setdefault(contact.organisation_id, []).append(contact)
    return found


def _written_rows(child: Child, user: User) -> list[Row]:
    entries = list(_entries(child))
    hidden = {
        e.pk: e
        for e in entries
        if not chronology_text_visible(
            user,
            source_organisation_id=e.organisation_id,
            restricted=e.restricted,
            audience_ids=[o.pk for o in e.visible_to.all()],
        )
    }
    contacts = _contacts({e.organisation_id for e in hidden.values()})
    labels = dict(EntryType.choices)
    rows = []
    for e in entries:
        shown = e.pk not in hidden
        rows.append(
            Row(
                occurred_at=e.occurred_at,
                kind=e.entry_type,
                kind_label=str(labels.get(e.entry_type, e.entry_type)),
                significance=e.significance,
                organisation_id=e.organisation_id,
                organisation_name=e.organisation.name,
                text=e.text if shown else None,
                entry=e,
                author_name=e.author.get_full_name() or e.author.username,
                recorded_at=e.recorded_at,
                ask="" if shown else _ask(e.organisation, e.author, contacts),
                audience=tuple(sorted(o.name for o in e.visible_to.all())) if shown else (),
            )
        )
    return rows


def _automatic(access: ChildAccess, user: User) -> list[tuple[str, AutoEntry]]:
    found: list[tuple[str, AutoEntry]] = []
    for kind, (_, fetch) in OWN_SOURCES.items():
        found += [(kind, item) for item in fetch(access=access, user=user)]
    for name, registered in chronology_sources().items():
        found += [(name, item) for item in registered(child=access.child, user=user)]
    return found


def chronology_rows(*, access: ChildAccess, user: User) -> list[Row]:
    """The child's whole chronology as the user may see it, oldest first: every written
    entry (restricted ones without their text unless the user's organisation may read it)
    and every automatic one. ``access`` is the check of ``Action.VIEW_CHRONOLOGY`` the
    request made (``declare``)."""
    automatic = _automatic(access, user)
    kinds = chronology_kinds()
    names = dict(
        Organisation.objects.filter(
            pk__in={a.organisation_id for _, a in automatic if a.organisation_id}
        ).values_list("pk", "name")
    )
    rows = _written_rows(access.child, user)
    for source, a in automatic:
        rows.append(
            Row(
                occurred_at=a.occurred_at,
                kind=a.kind if a.kind in kinds else source,
                kind_label=kinds.get(a.kind, kinds.get(source, a.kind)),
                significance=a.significance,
                organisation_id=a.organisation_id,
                organisation_name=names.get(a.organisation_id, "Sightline")
                if a.organisation_id
                else "Sightline",
                text=a.label,
                url=a.url,
            )
        )
    rows.sort(key=lambda r: (r.occurred_at, r.recorded_at or r.occurred_at))
    return rows


def chronology_filtered(rows: Iterable[Row], filters: ChronologyFilter) -> list[Row]:
    return [r for r in rows if filters.keeps(r)]


def chronology_agencies(rows: Iterable[Row]) -> list[tuple[str, str]]:
    """The agencies that appear in a chronology, by name: the filter's choices."""
    found = {str(r.organisation_id): r.organisation_name for r in rows if r.organisation_id}
    return sorted(found.items(), key=lambda item: item[1])


def chronology_audience_choices(*, access: ChildAccess, user: User) -> list[Organisation]:
    """The organisations an entry about this child can be marked for (other than the
    author's own): those involved with the child now through standing involvements: the
    placing council, and the host council, police force and provider of a current
    placement."""
    on = today()
    current = [
        p
        for p in placement_history(access=access).select_related("setting")
        if p.start_date <= on and (p.end_date is None or p.end_date > on)
    ]
    q = Q(council_id=access.child.placing_council_id)
    for p in current:
        q |= Q(council_id=p.host_council_id) | Q(police_force_id=p.host_police_force_id)
        provider = p.setting.provider_id
        if provider is not None:
            q |= Q(pk=provider)
    found = Organisation.objects.filter(q).order_by("name")
    own = user.organisation_id
    return list(found if own is None else found.exclude(pk=own))
