"""Reads of organisations."""

from __future__ import annotations

from sightline.geography.models import Council
from sightline.organisations.models import Organisation, OrganisationKind


def council_display_name(*, council: Council) -> str:
    """The name Sightline uses for a council: its organisation's, or "<area> Council" when the
    council has not joined yet (notices name the placing council this way)."""
    named = Organisation.objects.filter(kind=OrganisationKind.COUNCIL, council=council)
    return named.values_list("name", flat=True).first() or f"{council.name} Council"
