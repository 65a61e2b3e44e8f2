"""The organisation-level rules (``ORGANISATION_POLICY``, ``may``) hold the role tables that
used to sit beside their callers; these are those tables as they were, so that moving them
into ``access`` let in and turned away exactly the same people.

Every kind of organisation × every role (held by the kind or not), active and not.
"""

from __future__ import annotations

import pytest

from sightline.access.policy import (
    ORGANISATION_POLICY,
    Action,
    may,
    organisation_may,
    roles_that_may,
)
from sightline.organisations.models import Organisation, OrganisationKind, Role, User

K = OrganisationKind
EVERY_KIND = set(K.values)
EVERY_ROLE = set(Role.values)

# The tables as they stood before ADR 14: action -> kind -> roles allowed.
BEFORE: dict[Action, dict[str, set[str]]] = {
    # notifications.services.ACKNOWLEDGING_ROLES (any kind: the recipient organisation's)
    Action.ACKNOWLEDGE_NOTICE: {
        kind: {
            Role.SOCIAL_WORKER,
            Role.TEAM_MANAGER,
            Role.NOMINATED_OFFICER,
            Role.MISSING_COORDINATOR,
            Role.POLICE_MISSING_OFFICER,
            Role.ADMINISTRATOR,
        }
        for kind in EVERY_KIND
    },
    # placements.admissions.ADMITTING_ROLES, for a provider
    Action.ADMIT: {K.PROVIDER: {Role.HOME_MANAGER, Role.HOME_STAFF}},
    # placements.selectors.user_can_record_placement: a council's PLACING_ROLES
    Action.RECORD_PLACEMENT: {
        K.COUNCIL: {Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.NOMINATED_OFFICER}
    },
    # missing.services._CONFIG_ROLES, missing.views.SETTINGS_COUNCIL_ROLES and the police
    # force's administrator
    Action.CONFIGURE_MISSING_SETTINGS: {
        K.COUNCIL: {Role.TEAM_MANAGER, Role.ADMINISTRATOR},
        K.POLICE: {Role.ADMINISTRATOR},
    },
    # New with issue 14: the urgent lane's target and duty contact.
    Action.CONFIGURE_NOTICE_SETTINGS: {
        K.COUNCIL: {Role.TEAM_MANAGER, Role.ADMINISTRATOR},
        K.POLICE: {Role.ADMINISTRATOR},
        K.PROVIDER: {Role.HOME_MANAGER, Role.ADMINISTRATOR},
    },
    # notifications.escalation.MANAGER_ROLES
    Action.RECEIVE_ESCALATION: {
        K.COUNCIL: {Role.TEAM_MANAGER},
        K.POLICE: {Role.ADMINISTRATOR},
        K.PROVIDER: {Role.HOME_MANAGER},
    },
    # notifications.escalation: the placing council's nominated officers
    Action.RECEIVE_CHILD_ESCALATION: {K.COUNCIL: {Role.NOMINATED_OFFICER}},
    # access.policy.SENIOR_ROLES, as break-glass review used it (any kind)
    Action.REVIEW_EMERGENCY_ACCESS: {
        kind: {Role.TEAM_MANAGER, Role.NOMINATED_OFFICER, Role.ADMINISTRATOR} for kind in EVERY_KIND
    },
    # placements.compliance.has_compliance_view: councils and police forces
    Action.VIEW_COMPLIANCE: {K.COUNCIL: EVERY_ROLE, K.POLICE: EVERY_ROLE},
    # evidence.access.can_view: analysts anywhere, anyone in a council or police force
    Action.VIEW_EVIDENCE: {
        kind: EVERY_ROLE if kind in (K.COUNCIL, K.POLICE) else {Role.ANALYST} for kind in EVERY_KIND
    },
    # evidence.access.own_area / evidence.navigation: analysts, any area
    Action.VIEW_EVIDENCE_ANY_AREA: {kind: {Role.ANALYST} for kind in EVERY_KIND},
    # New with issue 12 part 2 (no table before): an organisation's administrators manage its
    # people and read its audit.
    Action.MANAGE_PEOPLE: {kind: {Role.ADMINISTRATOR} for kind in EVERY_KIND},
    Action.VIEW_ORGANISATION_AUDIT: {kind: {Role.ADMINISTRATOR} for kind in EVERY_KIND},
    # New with issue 15: an organisation's webhook subscriptions.
    Action.MANAGE_WEBHOOKS: {kind: {Role.ADMINISTRATOR} for kind in EVERY_KIND},
    # New with issue 14: the contacts children's records show.
    Action.MANAGE_CONTACTS: {
        K.COUNCIL: {Role.ADMINISTRATOR, Role.TEAM_MANAGER},
        K.POLICE: {Role.ADMINISTRATOR},
        K.PROVIDER: {Role.ADMINISTRATOR, Role.HOME_MANAGER},
        K.HEALTH: {Role.ADMINISTRATOR},
        K.SCHOOL: {Role.ADMINISTRATOR},
    },
    # New with issue 18: the MACE panel's queue (a council's case managers and coordinators),
    # and the NRM's First Responders (councils and police forces, never a home).
    Action.VIEW_PANEL_QUEUE: {
        K.COUNCIL: {Role.TEAM_MANAGER, Role.NOMINATED_OFFICER, Role.MISSING_COORDINATOR}
    },
    Action.NRM_FIRST_RESPONDER: {
        K.COUNCIL: {
            Role.SOCIAL_WORKER,
            Role.TEAM_MANAGER,
            Role.NOMINATED_OFFICER,
            Role.MISSING_COORDINATOR,
        },
        K.POLICE: {Role.POLICE_MISSING_OFFICER},
    },
    # New with issue 18 part 2: the register of concern. The MACE partners (a council's case
    # roles, the police's missing officers) read and add places, vehicles and phones; only the
    # police record a person of concern and decide whom it is shared with.
    Action.VIEW_CONCERNS: {
        K.COUNCIL: {
            Role.SOCIAL_WORKER,
            Role.TEAM_MANAGER,
            Role.NOMINATED_OFFICER,
            Role.MISSING_COORDINATOR,
        },
        K.POLICE: {Role.POLICE_MISSING_OFFICER},
    },
    Action.RECORD_CONCERN: {
        K.COUNCIL: {
            Role.SOCIAL_WORKER,
            Role.TEAM_MANAGER,
            Role.NOMINATED_OFFICER,
            Role.MISSING_COORDINATOR,
        },
        K.POLICE: {Role.POLICE_MISSING_OFFICER},
    },
    Action.RECORD_PERSON_OF_CONCERN: {K.POLICE: {Role.POLICE_MISSING_OFFICER}},
    Action.SHARE_PERSON_OF_CONCERN: {K.POLICE: {Role.POLICE_MISSING_OFFICER}},
    # New with issue 17: a placing council's team managers see every overdue task.
    Action.VIEW_OVERDUE_TASKS: {K.COUNCIL: {Role.TEAM_MANAGER}},
}


def _user(kind: str, role: str, *, active: bool = True) -> User:
    return User(organisation=Organisation(kind=kind, name="Somewhere"), role=role, is_active=active)


def test_the_table_is_the_one_the_callers_had() -> None:
    assert set(ORGANISATION_POLICY) == set(BEFORE)
    for action, by_kind in BEFORE.items():
        for kind in EVERY_KIND:
            assert roles_that_may(action, kind=kind) == by_kind.get(kind, set()), (action, kind)


@pytest.mark.parametrize("action", list(BEFORE), ids=[a.name.lower() for a in BEFORE])
def test_may_lets_in_exactly_the_roles_the_table_names(action: Action) -> None:
    for kind in EVERY_KIND:
        for role in EVERY_ROLE:
            allowed = role in BEFORE[action].get(kind, set())
            assert may(_user(kind, role), action) is allowed, (kind, role)
            assert may(_user(kind, role, active=False), action) is False, (kind, role)
        assert organisation_may(Organisation(kind=kind), action) is bool(BEFORE[action].get(kind))


def test_no_organisation_may_nothing() -> None:
    nobody = User(role=Role.ANALYST, is_active=True)
    assert not any(may(nobody, action) for action in ORGANISATION_POLICY)
    assert not any(organisation_may(None, action) for action in ORGANISATION_POLICY)
