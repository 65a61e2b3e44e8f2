"""The one access policy.

An organisation sees a child only while it is involved with the child:

* the placing (responsible) council, always;
* the host council and the host police force of the child's current placement;
* the provider that runs the setting of the current placement.

Involvement is derived from placements, never typed in. Every view and API operation
declares its rule with :func:`declare`; a test walks the URL configuration and fails on
any view that has none. Not found and not allowed raise the same error.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Q, QuerySet

from sightline.access.models import AccessRecord
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now, today
from sightline.organisations.models import OrganisationKind, Role, User


class Involvement(enum.StrEnum):
    PLACING_COUNCIL = "placing council"
    HOST_COUNCIL = "host council of the current placement"
    HOST_POLICE = "police force for the area of the current placement"
    PROVIDER = "provider of the current setting"


class Action(enum.StrEnum):
    VIEW = "view"
    RECORD_PLACEMENT = "record placement"


# Which involvements allow which actions, and for which roles.
# role -> action -> involvements that allow it
_COUNCIL_CASE_ROLES = {
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.NOMINATED_OFFICER,
    Role.MISSING_COORDINATOR,
}
POLICY: dict[Action, dict[str, set[Involvement]]] = {
    Action.VIEW: {
        **{
            role: set(Involvement) - {Involvement.HOST_POLICE, Involvement.PROVIDER}
            for role in _COUNCIL_CASE_ROLES
        },
        Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE},
        Role.HOME_MANAGER: {Involvement.PROVIDER},
        Role.HOME_STAFF: {Involvement.PROVIDER},
    },
    Action.RECORD_PLACEMENT: {
        Role.SOCIAL_WORKER: {Involvement.PLACING_COUNCIL},
        Role.TEAM_MANAGER: {Involvement.PLACING_COUNCIL},
        Role.NOMINATED_OFFICER: {Involvement.PLACING_COUNCIL},
    },
}

# Roles that may record a placement for a new child of their own council.
PLACING_ROLES = set(POLICY[Action.RECORD_PLACEMENT])


def _current_placement_q(on: dt.date) -> Q:
    return Q(placements__start_date__lte=on) & (
        Q(placements__end_date__isnull=True) | Q(placements__end_date__gt=on)
    )


def involvement_filter(user: User, *, on: dt.date | None = None) -> Q | None:
    """A filter on Child for the children the user's organisation is involved with, or None."""
    org = user.organisation
    if org is None or not user.is_active:
        return None
    on = on or today()
    if org.kind == OrganisationKind.COUNCIL and org.council_id:
        return Q(placing_council_id=org.council_id) | (
            _current_placement_q(on) & Q(placements__host_council_id=org.council_id)
        )
    if org.kind == OrganisationKind.POLICE and org.police_force_id:
        return _current_placement_q(on) & Q(placements__host_police_force_id=org.police_force_id)
    if org.kind == OrganisationKind.PROVIDER:
        return _current_placement_q(on) & Q(placements__setting__provider_id=org.id)
    return None


def involvements(user: User, child: Child, *, on: dt.date | None = None) -> set[Involvement]:
    """How the user's organisation is involved with the child today."""
    org = user.organisation
    found: set[Involvement] = set()
    if org is None or not user.is_active:
        return found
    on = on or today()
    if org.kind == OrganisationKind.COUNCIL and child.placing_council_id == org.council_id:
        found.add(Involvement.PLACING_COUNCIL)
    current = (
        child.placements.filter(start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=on))
        .select_related("setting")
    )
    for placement in current:
        if org.kind == OrganisationKind.COUNCIL and placement.host_council_id == org.council_id:
            found.add(Involvement.HOST_COUNCIL)
        if (
            org.kind == OrganisationKind.POLICE
            and placement.host_police_force_id == org.police_force_id
        ):
            found.add(Involvement.HOST_POLICE)
        if org.kind == OrganisationKind.PROVIDER and placement.setting.provider_id == org.id:
            found.add(Involvement.PROVIDER)
    return found


def allowed_involvements(user: User, child: Child, action: Action) -> set[Involvement]:
    permitted = POLICY[action].get(user.role, set())
    return involvements(user, child) & permitted


def children_visible_to(user: User) -> QuerySet[Child]:
    """Every child the user may see (list pages). Reading a list is not a look at one record."""
    q = involvement_filter(user)
    if q is None or not POLICY[Action.VIEW].get(user.role):
        return Child.objects.none()
    return Child.objects.filter(q).distinct()


@dataclass(frozen=True)
class ChildAccess:
    child: Child
    involvements: frozenset[Involvement]


def access_child(user: User, child_id: Any, *, action: Action, purpose: str) -> ChildAccess:
    """The only way to one child's record: checks the policy and writes an access record.

    Raises NotFoundOrNotAllowed whether the child does not exist or the user may not see it.
    """
    try:
        child = Child.objects.select_related("placing_council").get(pk=child_id)
    except (Child.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    except Exception as exc:  # a malformed UUID raises ValidationError from the field
        if exc.__class__.__name__ == "ValidationError":
            raise NotFoundOrNotAllowed() from exc
        raise
    allowed = allowed_involvements(user, child, action)
    if not allowed:
        raise NotFoundOrNotAllowed()
    with transaction.atomic():
        AccessRecord.objects.create(
            user=user,
            organisation=user.organisation,
            child=child,
            action=str(action),
            purpose=purpose,
            involvement="; ".join(sorted(str(i) for i in allowed)),
            at=now(),
        )
    return ChildAccess(child=child, involvements=frozenset(allowed))


# --- Declaring the rule of each view -------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


class Rule(enum.StrEnum):
    PUBLIC = "public"  # no sign-in: health check, sign-in page, static help
    SIGNED_IN = "signed in"  # any signed-in user; shows no child data, or only lists filtered
    CHILD = "child"  # one child's record: goes through access_child


def declare(rule: Rule, *, action: Action | None = None) -> Callable[[F], F]:
    """Mark a view with its access rule. Every routed view must carry one (tests check)."""
    if rule is Rule.CHILD and action is None:
        raise ValueError("A child view must name its action.")

    def mark(view: F) -> F:
        view.sightline_access = (rule, action)  # type: ignore[attr-defined]
        return view

    return mark
