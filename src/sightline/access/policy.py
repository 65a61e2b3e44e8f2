"""The one access policy.

An organisation sees a child only while it is involved with the child:

* the placing (responsible) council, always;
* the host council and the host police force of the child's current placement;
* the provider that runs the setting of the current placement;
* an organisation holding an active time-boxed grant (``AccessGrant``): the police of the
  area while the child is missing and for a while after, an interviewing service while a
  return home interview is due;
* one user who broke the glass: opened the record in an emergency with a written
  justification, for 4 hours (``breakglass.py``), alerted and reviewed.

Every look (``access_child``) and every grant feeds the hash-chained audit
(``sightline.audit``). ``require`` only decides: each writing service appends its own event,
with its verb, record and payload, inside its own transaction.

Involvement is derived from placements and grants, never typed in. Every view and API
operation declares its rule with :func:`declare`; a test walks the URL configuration and fails
on any view that has none. Not found and not allowed raise the same error.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from sightline.access.declaring import Rule as Rule
from sightline.access.declaring import declare as declare
from sightline.access.models import AccessGrant, AccessRecord, GrantReason
from sightline.audit.canonical import timestamp
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.inserts import insert_rows
from sightline.core.prepared import prepared
from sightline.core.timeutil import now, today
from sightline.organisations.models import ROLES_BY_KIND, Organisation, OrganisationKind, Role, User

logger = logging.getLogger(__name__)


class Involvement(enum.StrEnum):
    PLACING_COUNCIL = "placing council"
    HOST_COUNCIL = "host council of the current placement"
    HOST_POLICE = "police force for the area of the current placement"
    PROVIDER = "provider of the current setting"
    MISSING_GRANT = "police of the area during a missing episode (time-boxed grant)"
    INTERVIEW_GRANT = "interviewing service for a return home interview (time-boxed grant)"
    BREAK_GLASS = "emergency access with a written justification (break-glass, 4 hours)"


# The involvement each reason of grant gives while the grant is active.
GRANT_INVOLVEMENT: dict[str, Involvement] = {
    GrantReason.MISSING_EPISODE: Involvement.MISSING_GRANT,
    GrantReason.RETURN_INTERVIEW: Involvement.INTERVIEW_GRANT,
    GrantReason.BREAK_GLASS: Involvement.BREAK_GLASS,
}


class Action(enum.StrEnum):
    VIEW = "view"
    RECORD_PLACEMENT = "record placement"
    VIEW_SAFETY_PROFILE = "view safety profile"
    EDIT_SAFETY_PROFILE = "edit safety profile"
    RECORD_EPISODE = "record missing episode"
    RECORD_INTERVIEW = "record return interview"
    ADD_INTERVIEW_INFORMATION = "add interview information"
    VIEW_AUDIT = "view audit"
    CLOSE_TASK = "close task"
    VIEW_INTERVIEW = "view return interview"
    VIEW_EPISODE = "view missing episode"
    VIEW_TASK = "view task"
    VIEW_NOTICE = "view a notice's child details"
    # family: the child's voice, plan and parents and carers (issue 17, parts 3 and 4)
    # (at most 30 characters: an access record keeps the action)
    VIEW_FAMILY = "view voice, plan and family"
    RECORD_CHILD_VOICE = "record the child's words"
    RECORD_PLAN = "record the child's plan"
    MANAGE_PARENTS = "keep parents and invite them"
    RECORD_PARENT_SHARING = "record sharing with a parent"
    # Organisation-level actions (``ORGANISATION_POLICY``): not about one child.
    ACKNOWLEDGE_NOTICE = "acknowledge notice"
    ADMIT = "record admission"
    CONFIGURE_MISSING_SETTINGS = "configure missing settings"
    CONFIGURE_NOTICE_SETTINGS = "configure notice settings"
    RECEIVE_ESCALATION = "receive escalation"
    RECEIVE_CHILD_ESCALATION = "receive escalation about a child placed"
    REVIEW_EMERGENCY_ACCESS = "review emergency access"
    # --- exploitation (issue 18 part 1): screenings, the MACE panel, the NRM ---
    VIEW_SCREENING = "view exploitation screening"
    RECORD_SCREENING = "record exploitation screening"
    MANAGE_REFERRAL = "act on a panel referral"
    RECORD_NRM = "record NRM referral"
    VIEW_PANEL_QUEUE = "view exploitation panel"
    NRM_FIRST_RESPONDER = "refer as NRM First Responder"
    # issue 18 part 3: proceeding with a placement despite a matching check's warning
    APPROVE_PLACEMENT_OVERRIDE = "approve placement override"
    # --- exploitation (issue 18 part 2): the register of concern and links ---
    VIEW_CONCERN_LINKS = "view concerns and links"
    LINK_CONCERN = "link a concern to the child"
    VIEW_CONCERNS = "view the register of concern"
    RECORD_CONCERN = "record a concern"
    RECORD_PERSON_OF_CONCERN = "record a person of concern"
    SHARE_PERSON_OF_CONCERN = "share a person of concern"
    VIEW_COMPLIANCE = "view compliance"
    VIEW_EVIDENCE = "view evidence"
    VIEW_EVIDENCE_ANY_AREA = "view evidence for any area"
    MANAGE_PEOPLE = "manage people"
    MANAGE_WEBHOOKS = "manage webhook subscriptions"
    VIEW_ORGANISATION_AUDIT = "view organisation audit"
    MANAGE_CONTACTS = "keep contacts"
    # chronology (issue 17): the child's one chronology and its entries.
    VIEW_CHRONOLOGY = "view chronology"
    ADD_CHRONOLOGY_ENTRY = "add chronology entry"
    # casework (issue 17 part 2): the child's tasks and strategy meetings.
    VIEW_CASE_TASK = "view the child's tasks"
    SET_CASE_TASK = "set a task for the child"
    UPDATE_CASE_TASK = "update a task's status"
    VIEW_MEETING = "view strategy meeting"
    RECORD_MEETING = "record strategy meeting"
    VIEW_OVERDUE_TASKS = "view overdue tasks for the council's children"


# Which involvements allow which actions, and for which roles.
# action -> role -> involvements that allow it
_COUNCIL_CASE_ROLES = {
    Role.SOCIAL_WORKER,
    Role.TEAM_MANAGER,
    Role.NOMINATED_OFFICER,
    Role.MISSING_COORDINATOR,
}
_HOME_ROLES = {Role.HOME_MANAGER, Role.HOME_STAFF}
# Senior officers: they read a child's audit and review uses of emergency access.
SENIOR_ROLES = {Role.TEAM_MANAGER, Role.NOMINATED_OFFICER, Role.ADMINISTRATOR}
POLICY: dict[Action, dict[str, set[Involvement]]] = {
    Action.VIEW: {
        **{
            role: {
                Involvement.PLACING_COUNCIL,
                Involvement.HOST_COUNCIL,
                Involvement.INTERVIEW_GRANT,
                Involvement.BREAK_GLASS,
            }
            for role in _COUNCIL_CASE_ROLES
        },
        Role.POLICE_MISSING_OFFICER: {
            Involvement.HOST_POLICE,
            Involvement.MISSING_GRANT,
            Involvement.BREAK_GLASS,
        },
        **{
            role: {Involvement.PROVIDER, Involvement.INTERVIEW_GRANT, Involvement.BREAK_GLASS}
            for role in _HOME_ROLES
        },
    },
    Action.RECORD_PLACEMENT: {
        Role.SOCIAL_WORKER: {Involvement.PLACING_COUNCIL},
        Role.TEAM_MANAGER: {Involvement.PLACING_COUNCIL},
        Role.NOMINATED_OFFICER: {Involvement.PLACING_COUNCIL},
    },
    # The Philomena Protocol profile: kept by the home, seen by the placing council, and by
    # the police only through a grant made when the child is reported missing.
    # Emergency access (break-glass) opens the child's record, never the profile: the police
    # receive the profile through a missing episode, as the protocol says.
    Action.VIEW_SAFETY_PROFILE: {
        **{role: {Involvement.PLACING_COUNCIL} for role in _COUNCIL_CASE_ROLES},
        Role.POLICE_MISSING_OFFICER: {Involvement.MISSING_GRANT},
        **{role: {Involvement.PROVIDER} for role in _HOME_ROLES},
    },
    Action.EDIT_SAFETY_PROFILE: {role: {Involvement.PROVIDER} for role in _HOME_ROLES},
    # Report, update and close a missing or away episode: the home first; the placing
    # council, the host council's missing coordinator and the police may also record.
    Action.RECORD_EPISODE: {
        **{role: {Involvement.PROVIDER} for role in _HOME_ROLES},
        Role.SOCIAL_WORKER: {Involvement.PLACING_COUNCIL},
        Role.TEAM_MANAGER: {Involvement.PLACING_COUNCIL},
        Role.NOMINATED_OFFICER: {Involvement.PLACING_COUNCIL},
        Role.MISSING_COORDINATOR: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL},
        Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE, Involvement.MISSING_GRANT},
    },
    # Offer, arrange and write up a return home interview. The services also check that the
    # user belongs to the interviewing service or the placing council.
    Action.RECORD_INTERVIEW: {
        **{
            role: {
                Involvement.PLACING_COUNCIL,
                Involvement.HOST_COUNCIL,
                Involvement.INTERVIEW_GRANT,
            }
            for role in _COUNCIL_CASE_ROLES
        },
        **{role: {Involvement.INTERVIEW_GRANT} for role in _HOME_ROLES},
    },
    # Carers and the agencies add what they know, even when the child declines the interview.
    Action.ADD_INTERVIEW_INFORMATION: {
        **{
            role: {
                Involvement.PLACING_COUNCIL,
                Involvement.HOST_COUNCIL,
                Involvement.INTERVIEW_GRANT,
            }
            for role in _COUNCIL_CASE_ROLES
        },
        Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE, Involvement.MISSING_GRANT},
        **{role: {Involvement.PROVIDER, Involvement.INTERVIEW_GRANT} for role in _HOME_ROLES},
    },
    # Who viewed or changed the record (subject access, s.62 DPA 2018): senior officers of
    # the placing council.
    Action.VIEW_AUDIT: {role: {Involvement.PLACING_COUNCIL} for role in SENIOR_ROLES},
    # Close a task set by the triggers (strategy discussion, high risk, exploitation
    # screening, interview overdue): tasks go to the placing council.
    Action.CLOSE_TASK: {role: {Involvement.PLACING_COUNCIL} for role in _COUNCIL_CASE_ROLES},
}

# A return home interview's findings (disclosures, the child's own words, who and where):
# whoever may view the child, but never through emergency access, which opens the record
# (page, timeline, placements, missing episodes) and not what the child told an interviewer.
POLICY[Action.VIEW_INTERVIEW] = {
    role: allowed - {Involvement.BREAK_GLASS} for role, allowed in POLICY[Action.VIEW].items()
}

# A missing episode is part of the child's record: whoever may view the child.
POLICY[Action.VIEW_EPISODE] = {role: set(allowed) for role, allowed in POLICY[Action.VIEW].items()}
# A task goes to the placing council (the triggers assign it there), to be acted on and closed.
POLICY[Action.VIEW_TASK] = {
    role: set(allowed) for role, allowed in POLICY[Action.CLOSE_TASK].items()
}
# A notice names the child and where the child lives. Its sender and recipient always see that
# it exists (kind, dates, who, status); the child's details follow the involvement, as the
# child's record does: a role that may not see the child, or an organisation no longer
# involved, does not read them.
POLICY[Action.VIEW_NOTICE] = {role: set(allowed) for role, allowed in POLICY[Action.VIEW].items()}

# --- chronology (issue 17) ---------------------------------------------------------------
# The child's one chronology: whoever may view the child reads it (entries marked for named
# organisations show the others only that they exist and whom to ask:
# ``chronology_text_visible``). Every involved agency adds entries, never through emergency
# access, which opens the record to read and not to write in it.
POLICY[Action.VIEW_CHRONOLOGY] = {
    role: set(allowed) for role, allowed in POLICY[Action.VIEW].items()
}
POLICY[Action.ADD_CHRONOLOGY_ENTRY] = {
    role: allowed - {Involvement.BREAK_GLASS} for role, allowed in POLICY[Action.VIEW].items()
}


def chronology_text_visible(
    user: User, *, source_organisation_id: Any, restricted: bool, audience_ids: Any
) -> bool:
    """Whether the user reads the text of a chronology entry the user may see exists: every
    entry's, unless its source agency marked it for named organisations only; then the source
    agency's people and the named organisations' people only (issue 17)."""
    if not restricted:
        return True
    org_id = getattr(user, "organisation_id", None)
    if org_id is None or not user.is_active:
        return False
    return str(org_id) == str(source_organisation_id) or str(org_id) in {
        str(i) for i in audience_ids
    }


# --- end of chronology ------------------------------------------------------------------
# --- family (issue 17, parts 3 and 4) ------------------------------------------------------
# What the child said, the plan and the family: read and added to by those who hear the child
# day to day: the placing and host councils' case workers and the home. Not the police, and
# never through emergency access (like a return interview's findings, it is not what an
# emergency needs).
POLICY[Action.VIEW_FAMILY] = {
    **{
        role: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL}
        for role in _COUNCIL_CASE_ROLES
    },
    **{role: {Involvement.PROVIDER} for role in _HOME_ROLES},
}
POLICY[Action.RECORD_CHILD_VOICE] = {
    role: set(allowed) for role, allowed in POLICY[Action.VIEW_FAMILY].items()
}
# The plan, the parents' records and their invitations to the parent's view: the placing
# council's social work (the council holds the plan and the relationship with the family).
POLICY[Action.RECORD_PLAN] = {
    role: {Involvement.PLACING_COUNCIL}
    for role in (Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.NOMINATED_OFFICER)
}
POLICY[Action.MANAGE_PARENTS] = {
    role: set(allowed) for role, allowed in POLICY[Action.RECORD_PLAN].items()
}
# What was shared with a parent: the placing council's case workers and the home's staff,
# who both talk to parents.
POLICY[Action.RECORD_PARENT_SHARING] = {
    **{role: {Involvement.PLACING_COUNCIL} for role in _COUNCIL_CASE_ROLES},
    **{role: {Involvement.PROVIDER} for role in _HOME_ROLES},
}
# --- end of family --------------------------------------------------------------------------

# --- casework (issue 17 part 2): tasks and strategy meetings -------------------------------
# Any agency involved with the child sees who is doing what for it (its tasks), as it sees the
# record. Setting a task, changing its status (the service narrows this to the owning
# organisation) and reading a meeting's minutes need a standing involvement or a grant: an
# emergency look opens the record, it does not hand out or read the agencies' work.
POLICY[Action.VIEW_CASE_TASK] = {
    role: set(allowed) for role, allowed in POLICY[Action.VIEW].items()
}
POLICY[Action.SET_CASE_TASK] = {
    role: allowed - {Involvement.BREAK_GLASS} for role, allowed in POLICY[Action.VIEW].items()
}
POLICY[Action.UPDATE_CASE_TASK] = {
    role: set(allowed) for role, allowed in POLICY[Action.SET_CASE_TASK].items()
}
POLICY[Action.VIEW_MEETING] = {
    role: allowed - {Involvement.BREAK_GLASS} for role, allowed in POLICY[Action.VIEW].items()
}
# A strategy meeting is convened by a council (placing or host) or the police of the area.
POLICY[Action.RECORD_MEETING] = {
    **{
        role: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL}
        for role in _COUNCIL_CASE_ROLES
    },
    Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE, Involvement.MISSING_GRANT},
}
# --- end casework --------------------------------------------------------------------------

# --- exploitation (issue 18 part 1) ------------------------------------------------------
# An exploitation screening names indicators, sources and a danger statement: the placing
# council and the host council's case roles, the police of the area (and during a missing
# episode), and the home that looks after the child. Never through emergency access or an
# interview grant: both open the record for another purpose.
POLICY[Action.VIEW_SCREENING] = {
    **{
        role: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL}
        for role in _COUNCIL_CASE_ROLES
    },
    Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE, Involvement.MISSING_GRANT},
    **{role: {Involvement.PROVIDER} for role in _HOME_ROLES},
}
# Screening is a professional's judgement: the councils' case roles and the police of the
# area. The home contributes what it knows through return interviews and their information.
POLICY[Action.RECORD_SCREENING] = {
    **{
        role: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL}
        for role in _COUNCIL_CASE_ROLES
    },
    Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE},
}
# The MACE panel sits in the placing and the host council: the senior officers and the
# missing coordinator who list a case for the meeting and record its outcome.
_PANEL_ROLES = frozenset({Role.TEAM_MANAGER, Role.NOMINATED_OFFICER, Role.MISSING_COORDINATOR})
POLICY[Action.MANAGE_REFERRAL] = {
    role: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL} for role in _PANEL_ROLES
}
# National Referral Mechanism: only First Responder organisations refer (Modern Slavery Act
# 2015 s.52 duty; police forces and local authorities are First Responders, children's homes
# are not). The councils' case roles and the police of the area; never a home.
POLICY[Action.RECORD_NRM] = {
    **{
        role: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL}
        for role in _COUNCIL_CASE_ROLES
    },
    Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE, Involvement.MISSING_GRANT},
}
# Safer placement decisions (issue 18 part 3, ADR 51): proceeding with a placement despite a
# matching check's warning needs a named approver, a senior officer of the placing council
# who places children (team manager, nominated officer); the service also refuses the person
# recording the decision.
POLICY[Action.APPROVE_PLACEMENT_OVERRIDE] = {
    role: {Involvement.PLACING_COUNCIL}
    for role in POLICY[Action.RECORD_PLACEMENT]
    if role in SENIOR_ROLES
}
# --- exploitation (issue 18 part 2): people, places, vehicles and phones of concern ---------
# Which concerns were named with a child, and the children linked to it: the agencies that
# safeguard the child from exploitation (the placing and host councils' case roles, the police
# of the area and during a missing episode). Not the home (it tells what it knows through
# interviews and their information), never through emergency access or an interview grant.
POLICY[Action.VIEW_CONCERN_LINKS] = {
    **{
        role: {Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL}
        for role in _COUNCIL_CASE_ROLES
    },
    Role.POLICE_MISSING_OFFICER: {Involvement.HOST_POLICE, Involvement.MISSING_GRANT},
}
POLICY[Action.LINK_CONCERN] = {
    role: set(allowed) for role, allowed in POLICY[Action.VIEW_CONCERN_LINKS].items()
}
# --- end exploitation ----------------------------------------------------------------------

# Actions for which a placement that has not started yet already involves its host council,
# host police force and provider: a placement notice comes before the child does (reg 13(4)),
# and its recipients must be able to read whom it is about. Once the placement ends they are
# no longer involved, and the notice shows only that it existed.
PLANNED_PLACEMENTS_INVOLVE = frozenset({Action.VIEW_NOTICE})

# Roles that may break the glass: every role that may view a child at all.
BREAK_GLASS_ROLES = frozenset(
    role for role, allowed in POLICY[Action.VIEW].items() if Involvement.BREAK_GLASS in allowed
)

# Roles that may record a placement for a new child of their own council.
PLACING_ROLES = set(POLICY[Action.RECORD_PLACEMENT])

# Rules about the user's organisation rather than an involvement with one child:
# action -> kind of organisation -> roles that may. A kind or role not named may not.
_EVERY_ROLE = frozenset(Role.values)
_CASE_ROLES = frozenset({*_COUNCIL_CASE_ROLES, Role.POLICE_MISSING_OFFICER, Role.ADMINISTRATOR})
_CONTACT_MANAGERS: dict[str, frozenset[str]] = {
    OrganisationKind.COUNCIL: frozenset({Role.TEAM_MANAGER}),
    OrganisationKind.PROVIDER: frozenset({Role.HOME_MANAGER}),
}
ORGANISATION_POLICY: dict[Action, dict[str, frozenset[str]]] = {
    # Acknowledge a notice addressed to the user's organisation: anyone who acts on cases.
    Action.ACKNOWLEDGE_NOTICE: {kind: _CASE_ROLES for kind in OrganisationKind.values},
    # Record a child's admission for the home (reg 41 puts the duty on the registered person).
    Action.ADMIT: {OrganisationKind.PROVIDER: frozenset(_HOME_ROLES)},
    # Record placements for the council's own children (a new child, too).
    Action.RECORD_PLACEMENT: {
        OrganisationKind.COUNCIL: frozenset(
            role
            for role, allowed in POLICY[Action.RECORD_PLACEMENT].items()
            if Involvement.PLACING_COUNCIL in allowed
        )
    },
    # Missing-from-care settings: a council's trigger rules and interview service, a police
    # force's away alerts.
    Action.CONFIGURE_MISSING_SETTINGS: {
        OrganisationKind.COUNCIL: frozenset({Role.TEAM_MANAGER, Role.ADMINISTRATOR}),
        OrganisationKind.POLICE: frozenset({Role.ADMINISTRATOR}),
    },
    # The urgent lane's settings: the acknowledgement target and the named duty contact.
    Action.CONFIGURE_NOTICE_SETTINGS: {
        OrganisationKind.COUNCIL: frozenset({Role.TEAM_MANAGER, Role.ADMINISTRATOR}),
        OrganisationKind.POLICE: frozenset({Role.ADMINISTRATOR}),
        OrganisationKind.PROVIDER: frozenset({Role.HOME_MANAGER, Role.ADMINISTRATOR}),
    },
    # Who an organisation's escalations are e-mailed to. Police forces have no manager role in
    # Sightline yet, so their Sightline administrators receive them.
    Action.RECEIVE_ESCALATION: {
        OrganisationKind.COUNCIL: frozenset({Role.TEAM_MANAGER}),
        OrganisationKind.POLICE: frozenset({Role.ADMINISTRATOR}),
        OrganisationKind.PROVIDER: frozenset({Role.HOME_MANAGER}),
    },
    # A placing council is also told when a notice about its child is not acknowledged: its
    # nominated officers.
    Action.RECEIVE_CHILD_ESCALATION: {
        OrganisationKind.COUNCIL: frozenset({Role.NOMINATED_OFFICER})
    },
    # Review uses of emergency access (break-glass): senior officers.
    Action.REVIEW_EMERGENCY_ACCESS: {
        kind: frozenset(SENIOR_ROLES) for kind in OrganisationKind.values
    },
    # Compliance tables are kept for councils and police forces, for everyone in them.
    Action.VIEW_COMPLIANCE: {
        OrganisationKind.COUNCIL: _EVERY_ROLE,
        OrganisationKind.POLICE: _EVERY_ROLE,
    },
    # Evidence dashboards (aggregate, suppressed, no child-level data): everyone in a council
    # or police force, for their own area; analysts of any organisation, for any area.
    Action.VIEW_EVIDENCE: {
        kind: _EVERY_ROLE
        if kind in (OrganisationKind.COUNCIL, OrganisationKind.POLICE)
        else frozenset({Role.ANALYST})
        for kind in OrganisationKind.values
    },
    Action.VIEW_EVIDENCE_ANY_AREA: {
        kind: frozenset({Role.ANALYST}) for kind in OrganisationKind.values
    },
    # Add people to the organisation, change their roles (within the roles the organisation's
    # kind holds), deactivate them, reset their second factor: its administrators, for their
    # own organisation only and never for themselves (``accounts.people``).
    Action.MANAGE_PEOPLE: {
        kind: frozenset({Role.ADMINISTRATOR}) for kind in OrganisationKind.values
    },
    # The organisation's webhook subscriptions for its partner systems (URL, kinds, secret,
    # replay of a failed delivery): its administrators.
    Action.MANAGE_WEBHOOKS: {
        kind: frozenset({Role.ADMINISTRATOR}) for kind in OrganisationKind.values
    },
    # Who in the organisation did what (its own rows of the audit): its administrators.
    Action.VIEW_ORGANISATION_AUDIT: {
        kind: frozenset({Role.ADMINISTRATOR}) for kind in OrganisationKind.values
    },
    # --- exploitation (issue 18 part 1) ---
    # The MACE panel's queue: a council's panel roles, for referrals to their own council.
    Action.VIEW_PANEL_QUEUE: {OrganisationKind.COUNCIL: _PANEL_ROLES},
    # Who may refer to the NRM as a First Responder: councils and police forces, never a
    # provider (the service checks this as well as the child-level ``RECORD_NRM``).
    Action.NRM_FIRST_RESPONDER: {
        OrganisationKind.COUNCIL: frozenset(_COUNCIL_CASE_ROLES),
        OrganisationKind.POLICE: frozenset({Role.POLICE_MISSING_OFFICER}),
    },
    # Issue 18 part 2: the register of concern. Places, vehicles and phone numbers: the
    # councils' case roles and the police's missing officers (the MACE partners) read and add
    # to it. A person of concern (an alleged offender) is recorded by the police only, owned by
    # the force that recorded it, and shared with another organisation by the owner's recorded
    # decision (``concern_visible``); its missing officers decide.
    Action.VIEW_CONCERNS: {
        OrganisationKind.COUNCIL: frozenset(_COUNCIL_CASE_ROLES),
        OrganisationKind.POLICE: frozenset({Role.POLICE_MISSING_OFFICER}),
    },
    Action.RECORD_CONCERN: {
        OrganisationKind.COUNCIL: frozenset(_COUNCIL_CASE_ROLES),
        OrganisationKind.POLICE: frozenset({Role.POLICE_MISSING_OFFICER}),
    },
    Action.RECORD_PERSON_OF_CONCERN: {
        OrganisationKind.POLICE: frozenset({Role.POLICE_MISSING_OFFICER}),
    },
    Action.SHARE_PERSON_OF_CONCERN: {
        OrganisationKind.POLICE: frozenset({Role.POLICE_MISSING_OFFICER}),
    },
    # --- end exploitation ---
    # casework (issue 17 part 2): a placing council's team managers see every overdue task
    # for the council's children, whichever agency owns it.
    Action.VIEW_OVERDUE_TASKS: {OrganisationKind.COUNCIL: frozenset({Role.TEAM_MANAGER})},
    # The contacts children's records show (issue 14): an organisation's own numbers and its
    # homes' managers. Its administrators, and the managers who answer for them and read the
    # records: a council's team managers, a provider's home managers.
    Action.MANAGE_CONTACTS: {
        kind: frozenset({Role.ADMINISTRATOR}) | _CONTACT_MANAGERS.get(kind, frozenset())
        for kind in OrganisationKind.values
    },
}


def roles_that_may(action: Action, *, kind: str) -> frozenset[str]:
    """The roles of an organisation of this kind that may take an organisation-level action
    (to find the people, e.g. who an escalation goes to)."""
    return ORGANISATION_POLICY[action].get(kind, frozenset())


def roles_that_see_children(*, kind: str) -> list[str]:
    """The roles of an organisation of this kind that the child-level policy shows any child
    (for telling everyone else who in their organisation does see them)."""
    return [
        role
        for role in Role.values
        if POLICY[Action.VIEW].get(role) and role in ROLES_BY_KIND.get(kind, set())
    ]


def organisation_may(organisation: Organisation | None, action: Action) -> bool:
    """Whether anyone at all in the organisation may take an organisation-level action."""
    return organisation is not None and bool(roles_that_may(action, kind=organisation.kind))


def may(user: User, action: Action) -> bool:
    """Whether the user's role in their organisation allows an organisation-level action.

    Callers still check what is theirs to check (the notice is addressed to the user's
    organisation, the council is the user's own); roles are compared here only.
    """
    org = getattr(user, "organisation", None)
    return bool(
        user.is_active and org is not None and user.role in roles_that_may(action, kind=org.kind)
    )


_Row = TypeVar("_Row", bound=Model)


def record_or_not_found(queryset: QuerySet[_Row], ident: Any) -> _Row:
    """The one row of ``queryset`` with this id; ``NotFoundOrNotAllowed`` for a malformed id
    or none, the same answer a record the user may not see gets (the access functions per
    kind of record start here)."""
    try:
        found = queryset.filter(pk=uuid.UUID(str(ident))).first()
    except (ValueError, TypeError, AttributeError) as exc:  # a malformed id
        raise NotFoundOrNotAllowed() from exc
    if found is None:
        raise NotFoundOrNotAllowed()
    return found


# --- exploitation (issue 18 part 2): who sees one concern ----------------------------------

# The kinds of concern only their owner and the organisations it shared them with see.
OWNED_CONCERN_KINDS = frozenset({"person"})


def concern_visible(user: User, *, kind: str, owner_id: Any, shared_with_ids: Any) -> bool:
    """Whether the user may see one concern of the register: anyone the register is open to
    (``VIEW_CONCERNS``) for a place, a vehicle or a phone; for a person of concern, only the
    owner's people and the people of an organisation a sharing decision names (ended
    decisions are not passed in)."""
    if not may(user, Action.VIEW_CONCERNS):
        return False
    if kind not in OWNED_CONCERN_KINDS:
        return True
    org = str(user.organisation_id)
    return org == str(owner_id) or org in {str(i) for i in shared_with_ids}


def concern_shareable_by(user: User, *, kind: str, owner_id: Any) -> bool:
    """Whether the user decides who else sees a person of concern: the owner's missing
    officers."""
    return (
        kind in OWNED_CONCERN_KINDS
        and str(user.organisation_id) == str(owner_id)
        and may(user, Action.SHARE_PERSON_OF_CONCERN)
    )


def may_record_concern(user: User, *, kind: str) -> bool:
    """A person of concern: the police only; a place, vehicle or phone: the register's
    partners."""
    if kind in OWNED_CONCERN_KINDS:
        return may(user, Action.RECORD_PERSON_OF_CONCERN)
    return may(user, Action.RECORD_CONCERN)


def may_see_linked_child(user: User, child: Child) -> bool:
    """Purpose-bound sharing: whether a link to another child may show that child's details
    (name, id, home) to the user: only when the user may view that child anyway. Everyone
    else sees "linked to a child placed by another council: contact the panel"."""
    return bool(allowed_involvements(user, child, Action.VIEW))


# --- end exploitation ------------------------------------------------------------------------


def may_see_notice_details_without_record(user: User | None) -> bool:
    """Whether the user may read the child details a notice carries when this deployment
    holds no record of the child (a notice from another Sightline, ADR 37): only roles that
    may read a notice's child at all (``VIEW_NOTICE`` through some involvement). Analysts,
    administrators and administrator API keys see that the notice exists and no more."""
    return bool(user is not None and user.is_active and POLICY[Action.VIEW_NOTICE].get(user.role))


def is_platform_operator(user: User | None) -> bool:
    """Whether the user runs the platform rather than working for an organisation: an active
    superuser with no organisation and no role (ADR 23). Only a platform operator sees across
    organisations (every organisation's people and audit, the Django admin where it is
    routed); a superuser never belongs to an organisation (a database constraint), so no
    organisation's administrator can become one."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_superuser
        and user.organisation_id is None
        and not user.role
    )


def may_for_organisation(user: User | None, action: Action, organisation_id: Any) -> bool:
    """Whether the user may take an organisation-level action for this organisation: a
    platform operator for any organisation; anyone else for their own only, when their role
    allows it (``may``)."""
    if user is None or organisation_id is None:
        return False
    if is_platform_operator(user):
        return True
    return bool(str(user.organisation_id) == str(organisation_id) and may(user, action))


def _current_placement_q(on: dt.date, *, planned: bool = False) -> Q:
    not_ended = Q(placements__end_date__isnull=True) | Q(placements__end_date__gt=on)
    return not_ended if planned else Q(placements__start_date__lte=on) & not_ended


def _active_grant_q(at: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__lte": at}) & (
        Q(**{f"{prefix}ends_at__isnull": True}) | Q(**{f"{prefix}ends_at__gt": at})
    )


def _grant_reasons(role: str, action: Action) -> list[str]:
    """The reasons of grant whose involvement lets this role take this action."""
    permitted = POLICY[action].get(role, set())
    return [reason for reason, inv in GRANT_INVOLVEMENT.items() if inv in permitted]


def involvement_filter(
    user: User,
    *,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
    action: Action = Action.VIEW,
) -> Q | None:
    """A filter on Child for the children with which the user's organisation is involved in a
    way that lets the user's role take the action (view the child, see its safety profile...),
    or None. Standing involvements and grants count alike: only those ``POLICY`` names for the
    role and action.
    """
    org = user.organisation
    if org is None or not user.is_active:
        return None
    on = on or today()
    at = at or now()
    permitted = POLICY[action].get(user.role, set())
    placed = _current_placement_q(on, planned=action in PLANNED_PLACEMENTS_INVOLVE)
    standing: list[Q] = []
    if org.kind == OrganisationKind.COUNCIL and org.council_id:
        if Involvement.PLACING_COUNCIL in permitted:
            standing.append(Q(placing_council_id=org.council_id))
        if Involvement.HOST_COUNCIL in permitted:
            standing.append(placed & Q(placements__host_council_id=org.council_id))
    elif org.kind == OrganisationKind.POLICE and org.police_force_id:
        if Involvement.HOST_POLICE in permitted:
            standing.append(placed & Q(placements__host_police_force_id=org.police_force_id))
    elif org.kind == OrganisationKind.PROVIDER and Involvement.PROVIDER in permitted:
        standing.append(placed & Q(placements__setting__provider_id=org.id))
    found: Q | None = None
    for q in standing:
        found = q if found is None else found | q
    reasons = _grant_reasons(user.role, action)
    if reasons:
        granted = Q(
            pk__in=AccessGrant.objects.filter(
                _active_grant_q(at),
                Q(user__isnull=True) | Q(user=user),
                organisation=org,
                reason__in=reasons,
            ).values("child_id")
        )
        found = granted if found is None else found | granted
    return found


def grants_active(
    user: User, child: Child, *, at: dt.datetime | None = None
) -> QuerySet[AccessGrant]:
    """The grants through which the user's organisation (or the user) is involved now."""
    org = user.organisation
    if org is None or not user.is_active:
        return AccessGrant.objects.none()
    return AccessGrant.objects.filter(
        _active_grant_q(at or now()),
        Q(user__isnull=True) | Q(user=user),
        organisation=org,
        child=child,
    ).order_by("starts_at", "created_at")


def _involvement_flags(
    user: User,
    org: Organisation,
    *,
    on: dt.date,
    at: dt.datetime,
    planned: bool,
) -> dict[str, tuple[Involvement, Exists]]:
    """For each way the organisation can be involved with a child other than as its placing
    council (a field of the child itself), an ``Exists`` on the child's current placements or
    the organisation's active grants (``OuterRef("pk")`` is the child): the involvements are
    read in the same statement as the child, or in one statement for a child already loaded."""
    return _flags(
        kind=str(org.kind),
        organisation_id=org.pk,
        council_id=org.council_id,
        police_force_id=org.police_force_id,
        user_id=user.pk,
        on=on,
        at=at,
        planned=planned,
    )


def _flags(
    *,
    kind: str,
    organisation_id: Any,
    council_id: Any,
    police_force_id: Any,
    user_id: Any,
    on: dt.date,
    at: dt.datetime,
    planned: bool,
) -> dict[str, tuple[Involvement, Exists]]:
    """``_involvement_flags`` from the organisation's and user's values alone, so that the
    check's read can be prepared once per kind of organisation (``core.prepared``)."""
    # ``placements`` sits above ``access`` (ADR 6): its model is reached through the relation.
    placements = Child._meta.get_field("placements").related_model._default_manager.filter(
        Q(end_date__isnull=True) | Q(end_date__gt=on), child_id=OuterRef("pk")
    )
    if not planned:
        placements = placements.filter(start_date__lte=on)
    flags: dict[str, tuple[Involvement, Exists]] = {}
    if kind == OrganisationKind.COUNCIL:
        flags["involved_host_council"] = (
            Involvement.HOST_COUNCIL,
            Exists(placements.filter(host_council_id=council_id)),
        )
    elif kind == OrganisationKind.POLICE:
        flags["involved_host_police"] = (
            Involvement.HOST_POLICE,
            Exists(placements.filter(host_police_force_id=police_force_id)),
        )
    elif kind == OrganisationKind.PROVIDER:
        flags["involved_provider"] = (
            Involvement.PROVIDER,
            Exists(placements.filter(setting__provider_id=organisation_id)),
        )
    grants = AccessGrant.objects.filter(
        _active_grant_q(at),
        Q(user__isnull=True) | Q(user_id=user_id),
        organisation_id=organisation_id,
    ).filter(child_id=OuterRef("pk"))
    for index, (reason, involvement) in enumerate(GRANT_INVOLVEMENT.items()):
        flags[f"involved_grant_{index}"] = (involvement, Exists(grants.filter(reason=reason)))
    return flags


def _flag_involvements(kind: str) -> dict[str, tuple[Involvement, None]]:
    """The names ``_flags`` gives its flags for this kind of organisation, and what each means,
    without building them."""
    flags: dict[str, tuple[Involvement, None]] = {}
    if kind == OrganisationKind.COUNCIL:
        flags["involved_host_council"] = (Involvement.HOST_COUNCIL, None)
    elif kind == OrganisationKind.POLICE:
        flags["involved_host_police"] = (Involvement.HOST_POLICE, None)
    elif kind == OrganisationKind.PROVIDER:
        flags["involved_provider"] = (Involvement.PROVIDER, None)
    for index, involvement in enumerate(GRANT_INVOLVEMENT.values()):
        flags[f"involved_grant_{index}"] = (involvement, None)
    return flags


def _child_with_flags(*, child_id: uuid.UUID, **values: Any) -> QuerySet[Child]:
    """The child with its involvement flags (the build ``_load_child_involved`` prepares)."""
    flags = _flags(**values)
    return (
        Child.objects.select_related("placing_council")
        .annotate(**{name: exists for name, (_, exists) in flags.items()})
        .filter(pk=child_id)
    )


def _found(
    user: User, child: Child, flags: dict[str, tuple[Involvement, Any]], values: dict[str, Any]
) -> set[Involvement]:
    found: set[Involvement] = set()
    org = user.organisation
    council = org is not None and org.kind == OrganisationKind.COUNCIL
    if council and org is not None and child.placing_council_id == org.council_id:
        found.add(Involvement.PLACING_COUNCIL)
    found.update(involvement for name, (involvement, _) in flags.items() if values.get(name))
    return found


def involvements(
    user: User,
    child: Child,
    *,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
    planned: bool = False,
) -> set[Involvement]:
    """How the user's organisation is involved with the child today (grants: at ``at``).
    ``planned``: a placement that has not started yet involves its host agencies and provider
    too (``PLANNED_PLACEMENTS_INVOLVE``). One query: the current placements and the active
    grants as ``EXISTS`` (``_involvement_flags``)."""
    org = user.organisation
    if org is None or not user.is_active:
        return set()
    flags = _involvement_flags(user, org, on=on or today(), at=at or now(), planned=planned)
    values = (
        Child.objects.filter(pk=child.pk)
        .annotate(**{name: exists for name, (_, exists) in flags.items()})
        .values(*flags)
        .first()
    )
    return _found(user, child, flags, values or {})


def _load_child_involved(
    user: User, child_id: Any, *, action: Action
) -> tuple[Child, set[Involvement]]:
    """The child and how the user's organisation is involved with it, in one query (what
    ``_load_child`` and then ``_involved`` read in three)."""
    org = user.organisation
    if org is None or not user.is_active:
        return _load_child(child_id), set()
    try:
        key = child_id if isinstance(child_id, uuid.UUID) else uuid.UUID(str(child_id))
    except (ValueError, TypeError, AttributeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    values: dict[str, Any] = {
        "kind": str(org.kind),
        "organisation_id": org.pk,
        "council_id": org.council_id,
        "police_force_id": org.police_force_id,
        "user_id": user.pk,
        "on": today(),
        "at": now(),
        "planned": action in PLANNED_PLACEMENTS_INVOLVE,
    }
    # Its SQL built once per kind of organisation and process (issue 13: building it cost
    # several times what running it did); the values are this request's.
    rows = prepared("access.child_involved", _child_with_flags, child_id=key, **values)
    if not rows:
        raise NotFoundOrNotAllowed()
    child = rows[0]
    flags = _flag_involvements(str(org.kind))
    found = {name: getattr(child, name) for name in flags}
    return child, _found(user, child, flags, found)


def allowed_involvements(user: User, child: Child, action: Action) -> set[Involvement]:
    return _allowed(user, action, _involved(user, child, action))


def _involved(user: User, child: Child, action: Action) -> set[Involvement]:
    return involvements(user, child, planned=action in PLANNED_PLACEMENTS_INVOLVE)


def _allowed(user: User, action: Action, found: set[Involvement]) -> set[Involvement]:
    return found & POLICY[action].get(user.role, set())


def children_visible_to(user: User, *, action: Action = Action.VIEW) -> QuerySet[Child]:
    """Every child the user may see (list pages), or take the action on (``VIEW_NOTICE``: whose
    details the user's notices may show). Reading a list is not a look at one record."""
    q = involvement_filter(user, action=action)
    if q is None or not POLICY[action].get(user.role):
        return Child.objects.none()
    return Child.objects.filter(q).distinct()


@dataclass(frozen=True)
class ChildAccess:
    child: Child
    involvements: frozenset[Involvement]
    grant: AccessGrant | None = None
    # Who was checked, for which action: lets a service that writes take the check its view
    # made a moment earlier in the same request (``require_write(checked=...)``).
    user_id: Any = None
    action: Action | None = None
    # Every involvement found today, before the action's filter (``involvements``), when the
    # check counted started placements only: what ``involvements_of`` gives the page.
    found: frozenset[Involvement] | None = None

    @property
    def involvement(self) -> str:
        """Why the organisation was allowed, as the audit records it."""
        return "; ".join(sorted(str(i) for i in self.involvements))


def _load_child(child_id: Any, *, annotations: dict[str, Any] | None = None) -> Child:
    try:
        return (
            Child.objects.select_related("placing_council")
            .annotate(**(annotations or {}))
            .get(pk=child_id)
        )
    except (Child.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrNotAllowed() from exc
    except Exception as exc:  # a malformed UUID raises ValidationError from the field
        if exc.__class__.__name__ == "ValidationError":
            raise NotFoundOrNotAllowed() from exc
        raise


def _grant_used(user: User, child: Child, allowed: set[Involvement]) -> AccessGrant | None:
    """The grant a look went through: only when no standing involvement allowed it."""
    if not allowed or any(i not in GRANT_INVOLVEMENT.values() for i in allowed):
        return None
    reasons = [r for r, inv in GRANT_INVOLVEMENT.items() if inv in allowed]
    return grants_active(user, child).filter(reason__in=reasons).first()


def access_child(
    user: User, child_id: Any, *, action: Action, purpose: str, record: bool = True
) -> ChildAccess:
    """The only way to one child's record: checks the policy and writes an access record.

    Raises NotFoundOrNotAllowed whether the child does not exist or the user may not see it.
    A look allowed only through a time-boxed grant names the grant in its access record.

    ``record=False`` is for a request that writes (a form's POST, an API write): the service
    it calls appends the one event that says who changed what and why, so a missing report
    is one event on the chain, not a look and then a change.
    """
    child, found = _load_child_involved(user, child_id, action=action)
    return _checked(user, child, found, action=action, purpose=purpose, record=record)


def access_loaded_child(
    user: User, child: Child, *, action: Action, purpose: str, record: bool = True
) -> ChildAccess:
    """``access_child`` for a child a kind's access function has already loaded (the child
    of an episode, an interview, a task). The same check, the same access record and audit
    event, the same ``NotFoundOrNotAllowed``."""
    return _checked(
        user, child, _involved(user, child, action), action=action, purpose=purpose, record=record
    )


def _checked(
    user: User,
    child: Child,
    found: set[Involvement],
    *,
    action: Action,
    purpose: str,
    record: bool,
) -> ChildAccess:
    allowed = _allowed(user, action, found)
    if not allowed:
        raise NotFoundOrNotAllowed()
    grant = _grant_used(user, child, allowed)
    if record:
        _record_look(user, child, action=action, purpose=purpose, allowed=allowed, grant=grant)
    return ChildAccess(
        child=child,
        involvements=frozenset(allowed),
        grant=grant,
        user_id=user.pk,
        action=action,
        found=None if action in PLANNED_PLACEMENTS_INVOLVE else frozenset(found),
    )


def involvements_of(user: User, access: ChildAccess) -> set[Involvement]:
    """``involvements(user, access.child)``, taken from the check that made ``access`` when it
    was this user's (a page that shows what else the user may do saves the second look-up)."""
    if access.found is not None and access.user_id is not None and access.user_id == user.pk:
        return set(access.found)
    return involvements(user, access.child)


def _record_look(
    user: User,
    child: Child,
    *,
    action: Action,
    purpose: str,
    allowed: set[Involvement],
    grant: AccessGrant | None,
) -> None:
    """One look at a child's data: an access record and its audit event, together."""
    involvement = "; ".join(sorted(str(i) for i in allowed))
    with transaction.atomic():
        look = AccessRecord.objects.create(
            user=user,
            organisation=user.organisation,
            child=child,
            action=str(action),
            purpose=purpose,
            involvement=involvement,
            grant=grant,
            at=now(),
        )
        audit_append(
            actor=user,
            verb=AuditVerb.CHILD_VIEWED,
            obj=look,
            child=child,
            payload={"action": str(action)},
            purpose=purpose,
            involvement=involvement,
            grant=grant,
            at=look.at,
        )


def access_child_resolve(
    user: User, ident: Any, *, action: Action, purpose: str, record: bool = True
) -> ChildAccess:
    """``access_child`` as the ``"child"`` kind's access function (``declare``)."""
    return access_child(user, ident, action=action, purpose=purpose, record=record)


def require_write(
    user: User | None, child: Child, *, action: Action, checked: ChildAccess | None = None
) -> ChildAccess:
    """Check that the user may take an action on the child, for a service that writes, and
    say why: the involvements and the grant the write goes through.

    It decides and records nothing: the service appends its own audit event (its verb, the
    record it wrote, what changed, and ``involvement`` and ``grant`` from here) inside the
    transaction that writes the change, so a change that fails leaves no audit row.

    ``checked``: the access the request's view or API operation resolved for this user, child
    and action (``access_child``), taken as it is instead of working the involvements out a
    second time (three queries); any other access is ignored and the check made afresh.

    Raises NotFoundOrNotAllowed, the same answer as for a child that does not exist.
    """
    if user is None:
        raise NotFoundOrNotAllowed()
    if (
        checked is not None
        and checked.child is child
        and checked.action == action
        and checked.user_id is not None
        and checked.user_id == user.pk
        and checked.involvements
    ):
        return checked
    allowed = allowed_involvements(user, child, action)
    if not allowed:
        raise NotFoundOrNotAllowed()
    return ChildAccess(
        child=child,
        involvements=frozenset(allowed),
        grant=_grant_used(user, child, allowed),
        user_id=user.pk,
        action=action,
    )


def require(user: User | None, child: Child, *, action: Action) -> frozenset[Involvement]:
    """The involvements that allow the user an action on the child (``require_write``
    without the grant), or NotFoundOrNotAllowed. Records nothing."""
    return require_write(user, child, action=action).involvements


# --- Time-boxed grants ---------------------------------------------------------------------


def _grants_about(
    *, organisation_id: Any, child_id: Any, reason: str, about_id: uuid.UUID
) -> QuerySet[AccessGrant]:
    return AccessGrant.objects.filter(
        organisation_id=organisation_id, child_id=child_id, reason=reason, about_id=about_id
    ).order_by("pk")[:1]


def grant_create(
    *,
    actor: User | None,
    organisation: Organisation,
    child: Child,
    reason: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None,
    about_id: uuid.UUID | None,
    purpose: str,
    user: User | None = None,
    justification: str = "",
    audited: bool = True,
) -> AccessGrant:
    """Involve an organisation with a child for a while. Idempotent per organisation, child,
    reason and record (``about_id``): a second call returns the first grant.

    The creation is recorded as an access record (action ``grant``) naming the grant, when a
    user made it, and as an audit event, unless the calling service's own event names the
    grant (``audited=False``: a missing report is one event, grant included).
    """
    reason = GrantReason(reason)
    if ends_at is not None and ends_at < starts_at:
        raise ValidationError("A grant must end after it starts.", field="ends_at")
    # No savepoint of its own inside a caller's transaction (a missing report): nothing here
    # is caught and carried on from, so an error undoes the caller's whole write (issue 13).
    with transaction.atomic(savepoint=False):
        if about_id is not None:
            existing = prepared(
                "access.grant_about",
                _grants_about,
                organisation_id=organisation.pk,
                child_id=child.pk,
                reason=str(reason),
                about_id=about_id,
            )
            if existing:
                existing[0].organisation = organisation
                return existing[0]
        # The grant and its access record written as ``create`` would, without the ORM's
        # per-statement compiling (issue 13: a grant with every missing report).
        grant = AccessGrant(
            organisation=organisation,
            user=user,
            child=child,
            reason=reason,
            about_id=about_id,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor,
            justification=justification,
        )
        insert_rows([grant])
        involvement = f"granted to organisation {organisation.id}: {reason.label}"[:200]
        if actor is not None:
            insert_rows(
                [
                    AccessRecord(
                        user=actor,
                        organisation=actor.organisation,
                        child=child,
                        action="grant",
                        purpose=purpose[:200],
                        involvement=involvement,
                        grant=grant,
                        at=now(),
                    )
                ]
            )
        if audited:
            verb: AuditVerb
            payload: dict[str, Any]
            # The grant's times are in the chain: its scheduled expiry is this event's ends_at.
            times = {"starts_at": timestamp(starts_at), "ends_at": timestamp(ends_at)}
            if reason == GrantReason.BREAK_GLASS and starts_at and ends_at:
                verb, payload = (
                    AuditVerb.EMERGENCY_ACCESS_GRANTED,
                    {"hours": round((ends_at - starts_at).total_seconds() / 3600), **times},
                )
            else:
                verb, payload = (
                    AuditVerb.ACCESS_GRANTED,
                    {"reason": str(reason), "organisation_id": str(organisation.id), **times},
                )
            audit_append(
                actor=actor,
                verb=verb,
                obj=grant,
                child=child,
                payload=payload,
                organisation=actor.organisation if actor else organisation,
                purpose=purpose,
                involvement=involvement,
                grant=grant,
            )
    logger.info(
        "access grant id=%s child=%s organisation=%s reason=%s actor=%s",
        grant.id,
        child.id,
        organisation.id,
        reason,
        actor.id if actor else None,
    )
    return grant


def grant_end(*, actor: User | None, grant: AccessGrant, ends_at: dt.datetime) -> AccessGrant:
    """Set when an open grant ends (never later than an end already set: a grant only ever
    gets shorter)."""
    with transaction.atomic():
        locked = AccessGrant.objects.select_for_update().get(pk=grant.pk)
        ends_at = max(ends_at, locked.starts_at)
        if locked.ends_at is None or ends_at < locked.ends_at:
            previous = locked.ends_at
            locked.ends_at = ends_at
            locked.ended_by = actor
            locked.save(update_fields=["ends_at", "ended_by", "updated_at"])
            audit_append(
                actor=actor,
                verb=AuditVerb.ACCESS_GRANT_ENDED,
                obj=locked,
                child=locked.child_id,
                payload={
                    "reason": str(locked.reason),
                    "ends_at": timestamp(ends_at),
                    "previous_ends_at": timestamp(previous),
                },
                organisation=actor.organisation if actor else locked.organisation,
                purpose=f"Grant ends at {ends_at.isoformat()}",
                grant=locked,
            )
    logger.info("access grant id=%s ends_at set actor=%s", grant.id, actor.id if actor else None)
    grant.refresh_from_db()
    return grant
