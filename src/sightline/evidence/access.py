"""Who may see the evidence dashboards, and for which areas.

The dashboards show aggregate, suppressed statistics and no child-level data. Analysts see
England and any area. People in a council see their own council (as placing council and as
host). People in a police force see their force area. Nobody else sees the dashboards.
"""

from __future__ import annotations

from sightline.access.policy import Action, may
from sightline.evidence.areas import ENGLAND, Area, AreaKind
from sightline.evidence.frames import Extract
from sightline.organisations.models import OrganisationKind, User


def can_view(user: User) -> bool:
    return bool(user.is_authenticated and may(user, Action.VIEW_EVIDENCE))


def own_area(user: User, extract: Extract) -> Area | None:
    """The one area a council or police user is limited to; None for analysts (any area)."""
    if may(user, Action.VIEW_EVIDENCE_ANY_AREA):
        return None
    org = user.organisation
    if org is None:
        return None
    if org.kind == OrganisationKind.COUNCIL and org.council_id:
        hit = extract.councils.filter(council=org.council_id)
        name = hit["council_name"][0] if hit.height else org.name
        return Area(AreaKind.COUNCIL, org.council_id, name)
    if org.kind == OrganisationKind.POLICE and org.police_force_id:
        hit = extract.forces.filter(police_force=org.police_force_id)
        name = hit["police_force_name"][0] if hit.height else org.name
        return Area(AreaKind.POLICE_FORCE, org.police_force_id, name)
    return None


def default_area(user: User, extract: Extract) -> Area:
    return own_area(user, extract) or ENGLAND
