"""Reads for settings and placements."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from sightline.access.policy import POLICY, Action, ChildAccess, children_visible_to, may
from sightline.children.models import Child
from sightline.core.timeutil import today
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.placements.models import Placement, Setting


def placements_current(*, on: dt.date | None = None) -> QuerySet[Placement]:
    """Placements running on a day: started on or before it, not ended by it.

    The same rule as the access policy's involvement: a placement that ends on a day is
    over on that day, and the one starting that day is current.
    """
    on = on or today()
    return Placement.objects.filter(start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=on)
    )


def placement_history(*, access: ChildAccess) -> QuerySet[Placement]:
    """Every placement of the child ``access`` opened, newest first."""
    return (
        Placement.objects.filter(child=access.child)
        .select_related("setting", "host_council", "host_police_force")
        .order_by("-start_date", "-created_at")
    )


def settings_for_choice() -> QuerySet[Setting]:
    """Settings a placing council can choose from. Settings hold no personal data."""
    return Setting.objects.select_related("council").order_by("name", "postcode")


def providers_for_choice() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.PROVIDER).order_by("name")


def user_can_record_placement(*, user: User) -> bool:
    """Whether the user's role lets them record placements for their own council's children."""
    org = getattr(user, "organisation", None)
    return bool(
        user.is_authenticated
        and may(user, Action.RECORD_PLACEMENT)
        and org is not None
        and org.council_id
    )


def children_for_new_placement(*, user: User) -> QuerySet[Child]:
    """Children a placing council user may record a placement for: their own council's."""
    org = user.organisation
    if org is None or not org.council_id:
        return Child.objects.none()
    return children_visible_to(user).filter(placing_council_id=org.council_id)


def override_approvers_for(*, user: User) -> QuerySet[User]:
    """The people of the user's council whose role may approve going ahead with a placement
    despite a matching check's warning (the policy's ``APPROVE_PLACEMENT_OVERRIDE``), for the
    decision page's list. The service checks the chosen one against the child."""
    roles = list(POLICY[Action.APPROVE_PLACEMENT_OVERRIDE])
    if user.organisation_id is None:
        return User.objects.none()
    return User.objects.filter(
        organisation_id=user.organisation_id, role__in=roles, is_active=True
    ).order_by("last_name", "first_name", "username")
