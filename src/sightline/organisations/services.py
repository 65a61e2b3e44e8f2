"""Writes for organisations: the organisation behind a council or a police force.

Every council and force is in the reference geography, so a domain that owes one of them
something (a notice, a task) can always name a recipient: the organisation is created the
first time it is needed and waits, with its inbox, until the council or force joins.
"""

from __future__ import annotations

import logging

from django.db.models import Q, QuerySet

from sightline.core.prepared import prepared
from sightline.geography.models import Council, PoliceForce
from sightline.organisations.models import Organisation, OrganisationKind

logger = logging.getLogger(__name__)


def organisation_for_council(*, council: Council) -> Organisation:
    """The organisation of a council's children's services, created if Sightline has none yet.

    Every council is in the reference geography, so a notice always has a recipient: the
    notice waits in its inbox (and is counted as unacknowledged) until the council joins.
    """
    org, created = Organisation.objects.get_or_create(
        kind=OrganisationKind.COUNCIL,
        council=council,
        defaults={"name": f"{council.name} Council"},
    )
    if created:
        logger.info("organisation id=%s created for council %s", org.id, council.ons_code)
    return org


def organisations_for_councils(*, councils: list[Council]) -> dict[str, Organisation]:
    """``organisation_for_council`` for several councils in one query (the placing and the
    host council of an alert), by council code. Created as there when missing."""
    wanted = {council.pk: council for council in councils}
    found: dict[str, list[Organisation]] = {}
    for org in Organisation.objects.filter(kind=OrganisationKind.COUNCIL, council__in=wanted):
        if org.council_id is not None:
            found.setdefault(org.council_id, []).append(org)
    return {
        code: orgs[0] if len(orgs) == 1 else organisation_for_council(council=council)
        for code, council in wanted.items()
        for orgs in [found.get(code, [])]
    }


def _for_area(*, councils: tuple[str, ...], force: str) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        Q(kind=OrganisationKind.COUNCIL, council__in=councils)
        | Q(kind=OrganisationKind.POLICE, police_force=force)
    )


def organisations_for_area(
    *, councils: list[Council], police_force: PoliceForce
) -> tuple[dict[str, Organisation], Organisation]:
    """``organisations_for_councils`` and ``organisation_for_police_force`` in one query (the
    councils and the police force a missing report alerts, issue 13): the councils'
    organisations by council code, and the force's. Created as there when missing."""
    wanted = {council.pk: council for council in councils}
    found: dict[str, list[Organisation]] = {}
    forces: list[Organisation] = []
    for org in prepared(
        "organisations.for_area",
        _for_area,
        text=("councils", "force"),
        councils=tuple(wanted),
        force=police_force.pk,
    ):
        if org.kind == OrganisationKind.POLICE:
            forces.append(org)
        elif org.council_id is not None:
            found.setdefault(org.council_id, []).append(org)
    by_council = {
        code: orgs[0] if len(orgs) == 1 else organisation_for_council(council=council)
        for code, council in wanted.items()
        for orgs in [found.get(code, [])]
    }
    police = (
        forces[0] if len(forces) == 1 else organisation_for_police_force(police_force=police_force)
    )
    return by_council, police


def organisation_for_police_force(*, police_force: PoliceForce) -> Organisation:
    """The organisation of a police force, created if Sightline has none yet."""
    name = police_force.name
    if not name.endswith(("Police", "Constabulary", "Service")):
        name = f"{name} Police"
    org, created = Organisation.objects.get_or_create(
        kind=OrganisationKind.POLICE, police_force=police_force, defaults={"name": name}
    )
    if created:
        logger.info("organisation id=%s created for force %s", org.id, police_force.code)
    return org
