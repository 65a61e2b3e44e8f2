"""The authorisation matrix's world: one child, and one user (and one API key) for every
kind of organisation × role it may hold × involvement with the child.

    Southwark (210) places Morgan Matrixson in Beacon House, a home run by Matrix Homes Ltd
    in Stockport (356), SK4 2AB: Stockport is the host council and Greater Manchester Police
    the force of the area. Southwark's return home interviews are held by Matrix Return
    Interviews (a provider), which holds the child's interview through the grant its
    assignment opens. Morgan went missing once (returned, interview outstanding) and is
    missing again now.

Each organisation is involved with the child in exactly one way (or not at all): a council,
police force, provider, health body or school holding a time-boxed grant is involved through
that grant only. ``build`` checks this with the policy's own ``involvements`` before any test
runs, so a world that drifts from its description fails loudly.

Everything goes through the project's services: ``child_create``, ``placement_record``,
``episode_report``, ``episode_close``, ``safety_profile_update``, ``interview_service_set``,
``grant_create``, ``grant_end``, ``api_key_create``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.files.base import ContentFile

from sightline.access.models import AccessGrant
from sightline.access.policy import (
    GRANT_INVOLVEMENT,
    POLICY,
    Action,
    Involvement,
    grant_create,
    grant_end,
    involvements,
)
from sightline.api.services import api_key_create, key_roles
from sightline.casework.models import CaseTask, StrategyMeeting
from sightline.casework.services import (
    ActionInput,
    AttendeeInput,
    case_task_set,
    strategy_meeting_record,
)
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.chronology.models import ChronologyEntry
from sightline.chronology.services import chronology_entry_add
from sightline.core.timeutil import now
from sightline.exploitation.models import PanelReferral
from sightline.exploitation.services import IndicatorInput, screening_record
from sightline.missing.models import Episode, ReturnInterview, RiskGrade, Task
from sightline.missing.services import (
    episode_close,
    episode_report,
    interview_service_set,
    risk_grade_list_in_force,
    safety_profile_update,
)
from sightline.organisations.models import (
    ROLES_BY_KIND,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from sightline.placements.models import Placement, Setting
from tests import factories

GMP = "E23000005"  # Greater Manchester Police: the force of the home's area
MET = "E23000001"
KENT_POLICE = "E23000032"

# The ways an organisation of each kind can be involved with a child (None: not at all).
# Grants (``GRANT_INVOLVEMENT``: one involvement per reason) can be made to any organisation;
# the standing involvements follow from its kind.
_GRANT_REASON: dict[Involvement, str] = {inv: reason for reason, inv in GRANT_INVOLVEMENT.items()}
_GRANTS: list[Involvement | None] = [*_GRANT_REASON, None]
KIND_INVOLVEMENTS: dict[str, list[Involvement | None]] = {
    OrganisationKind.COUNCIL: [Involvement.PLACING_COUNCIL, Involvement.HOST_COUNCIL, *_GRANTS],
    OrganisationKind.POLICE: [Involvement.HOST_POLICE, *_GRANTS],
    OrganisationKind.PROVIDER: [Involvement.PROVIDER, *_GRANTS],
    OrganisationKind.HEALTH: list(_GRANTS),
    OrganisationKind.SCHOOL: list(_GRANTS),
}
# Councils and police forces involved with nobody, for the grant holders: Manchester, Leeds,
# Birmingham, Coventry; the Metropolitan Police, West Yorkshire, West Midlands, Merseyside.
_SPARE_COUNCILS = ["352", "383", "330", "331"]
_SPARE_FORCES = [MET, "E23000010", "E23000014", "E23000004"]
# A surname and date of birth that appear nowhere else in the suite.
SURNAME = "Matrixson"
DATE_OF_BIRTH = dt.date(2010, 8, 14)
# The smallest file the photo check accepts as a PNG.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass(frozen=True)
class Subject:
    """A kind of organisation, a role it may hold, and how it is involved with the child."""

    kind: str
    role: str
    involvement: Involvement | None

    @property
    def id(self) -> str:
        how = self.involvement.name.lower() if self.involvement else "not_involved"
        return f"{self.kind}-{self.role}-{how}"

    def may(self, action: Action) -> bool:
        """What POLICY declares: the involvement allows the action for the role."""
        return self.involvement is not None and self.involvement in POLICY[action].get(
            self.role, set()
        )


SUBJECTS: list[Subject] = [
    Subject(kind, role, involvement)
    for kind in sorted(KIND_INVOLVEMENTS)
    for role in sorted(ROLES_BY_KIND.get(kind, set()))
    for involvement in KIND_INVOLVEMENTS[kind]
]


@dataclass
class World:
    child: Child
    placement: Placement
    setting: Setting
    open_episode: Episode
    closed_episode: Episode
    interview: ReturnInterview
    task: Task
    placing: Organisation
    orgs: dict[tuple[str, Involvement | None], Organisation]
    users: dict[Subject, User] = field(default_factory=dict)
    keys: dict[Subject, str] = field(default_factory=dict)
    # Issue 18: the placing council's MACE panel referral (a moderate screening).
    referral: PanelReferral | None = None
    # chronology (issue 17): an entry the police of the area wrote, marked for the placing
    # council only.
    entry: ChronologyEntry | None = None
    # casework (issue 17 part 2): a task the placing council owns, and a strategy meeting.
    case_task: CaseTask | None = None
    meeting: StrategyMeeting | None = None

    def org(self, subject: Subject) -> Organisation:
        return self.orgs[(subject.kind, subject.involvement)]


def _org(kind: str, name: str) -> Organisation:
    org, _ = Organisation.objects.get_or_create(kind=kind, name=name)
    return org


def _organisations() -> dict[tuple[str, Involvement | None], Organisation]:
    C, P, V = OrganisationKind.COUNCIL, OrganisationKind.POLICE, OrganisationKind.PROVIDER
    orgs = {
        (C, Involvement.PLACING_COUNCIL): factories.council_org("210"),  # Southwark
        (C, Involvement.HOST_COUNCIL): factories.council_org("356"),  # Stockport
        (C, None): factories.council_org("886"),  # Kent
        (P, Involvement.HOST_POLICE): factories.police_org(GMP),
        (P, None): factories.police_org(KENT_POLICE),
        (V, Involvement.PROVIDER): factories.provider_org("Matrix Homes Ltd"),
        (V, Involvement.INTERVIEW_GRANT): factories.provider_org("Matrix Return Interviews"),
        (V, None): factories.provider_org("Matrix Elsewhere Homes Ltd"),
    }
    grants = [inv for inv in _GRANTS if inv is not None]
    assert len(grants) <= len(_SPARE_COUNCILS), "More kinds of grant than spare councils"
    for n, involvement in enumerate(grants):
        label = involvement.name.title().replace("_", " ")
        orgs[(C, involvement)] = factories.council_org(_SPARE_COUNCILS[n])
        orgs[(P, involvement)] = factories.police_org(_SPARE_FORCES[n])
        orgs.setdefault((V, involvement), factories.provider_org(f"Matrix {label} Ltd"))
    for kind in (OrganisationKind.HEALTH, OrganisationKind.SCHOOL):
        for involvement in _GRANTS:
            label = involvement.name.title().replace("_", " ") if involvement else "Uninvolved"
            orgs[(kind, involvement)] = _org(kind, f"Matrix {kind} {label}")
    return orgs


def build() -> World:
    orgs = _organisations()
    placing = orgs[(OrganisationKind.COUNCIL, Involvement.PLACING_COUNCIL)]
    provider = orgs[(OrganisationKind.PROVIDER, Involvement.PROVIDER)]
    interviews = orgs[(OrganisationKind.PROVIDER, Involvement.INTERVIEW_GRANT)]
    setting = factories.setting(provider, postcode="SK4 2AB", name="Beacon House")
    child = child_create(
        placing_council=factories.council("210"),
        child_ref=f"MX{next(factories._seq):05d}",
        first_name="Morgan",
        last_name=SURNAME,
        date_of_birth=DATE_OF_BIRTH,
        sex="M",
    )
    at = now()
    placement = factories.placement(
        child, setting, start=at.date() - dt.timedelta(days=60), home_postcode="SE1 2QH"
    )
    manager = factories.user(placing, Role.TEAM_MANAGER)
    interview_service_set(actor=manager, council=factories.council("210"), service=interviews)
    home = factories.user(provider, Role.HOME_MANAGER)
    safety_profile_update(
        actor=home,
        child=child,
        description="Tall, short dark hair",
        photo=ContentFile(PNG, name="photo.png"),
        photo_taken_on=at.date() - dt.timedelta(days=10),
    )
    closed = episode_report(
        actor=home,
        child=child,
        kind="missing",
        last_seen_at=at - dt.timedelta(days=2),
        last_seen_place="The bus station",
        reported_to_police=True,
    )
    closed = episode_close(
        actor=home,
        episode=closed,
        returned_at=at - dt.timedelta(days=1),
        where_postcode="SK4 2AB",  # drawn on the map of where children were found
        found_by="self",
    )
    interview = ReturnInterview.objects.get(child=child)
    assert interview.service_id == interviews.pk
    open_episode = episode_report(
        actor=home,
        child=child,
        kind="missing",
        last_seen_at=at - dt.timedelta(hours=3),
        last_seen_place="The park",
        reported_to_police=True,
        # High risk: the placing council's high-risk review task (the matrix's one task).
        risk_grade=RiskGrade.objects.filter(
            list=risk_grade_list_in_force(on=at.date()), is_high=True
        ).first(),
        risk_grade_supplied_by="Greater Manchester Police",
    )
    # The police of the area hold the grants the two reports opened; end them so that the
    # force is involved through its area only (the grant subjects hold their own grants).
    police = orgs[(OrganisationKind.POLICE, Involvement.HOST_POLICE)]
    for grant in AccessGrant.objects.filter(organisation=police, child=child):
        grant_end(actor=None, grant=grant, ends_at=at - dt.timedelta(seconds=1))
    # chronology (issue 17): police intelligence shared with the placing council only.
    entry = chronology_entry_add(
        actor=factories.user(police, Role.POLICE_MISSING_OFFICER),
        child=child,
        entry_type="intelligence_summary",
        significance="significant",
        occurred_at=at - dt.timedelta(hours=2),
        text="Seen getting into a grey car with an older man near the station",
        restricted=True,
        visible_to=[placing],
    )
    world = World(
        child=child,
        placement=placement,
        setting=setting,
        open_episode=open_episode,
        closed_episode=closed,
        interview=interview,
        task=Task.objects.get(child=child),
        placing=placing,
        orgs=orgs,
        entry=entry,
    )
    # Screened at moderate by the placing council: referred to its panel and the host's.
    screening_record(
        actor=manager,
        child=child,
        indicators=[IndicatorInput("criminal.drugs_cash", "current", "Police intelligence")],
        danger_statement="Adults may be using the child to carry drugs.",
        safety_goal="The child is home every night.",
        learning_disability=False,
    )
    world.referral = PanelReferral.objects.get(child=child, panel=placing)
    for subject in SUBJECTS:
        org = world.org(subject)
        user = factories.user(org, subject.role)
        world.users[subject] = user
        users = [user]
        # Administrator keys manage webhook subscriptions only: test_webhooks_matrix.py.
        if subject.role in key_roles(kind=subject.kind) and subject.role != Role.ADMINISTRATOR:
            key, world.keys[subject] = api_key_create(
                organisation=org, role=subject.role, name=subject.id[:100], actor=None
            )
            users.append(key.user)
        reason = _GRANT_REASON.get(subject.involvement) if subject.involvement else None
        for holder in users:
            if reason is not None and org != interviews:  # the interview service holds its own
                # Each grant names its user (the key's service user for the API), as
                # emergency access does; the policy treats grants to an organisation and to
                # one of its users alike.
                grant_create(
                    actor=None,
                    organisation=org,
                    user=holder,
                    child=child,
                    reason=reason,
                    starts_at=at - dt.timedelta(hours=1),
                    ends_at=None,
                    about_id=None,
                    purpose="Authorisation matrix",
                )
            found = involvements(holder, child)
            expected = {subject.involvement} if subject.involvement else set()
            assert found == expected, f"{subject.id}: involved as {found}, not {expected}"
    _casework(world, manager)
    return world


def _casework(world: World, manager: User) -> None:
    """The placing council's social worker owns a task; the council held a strategy meeting
    whose one action is that social worker's too. The meeting's action is overdue (set a
    fortnight ago, due yesterday: moved back here, as a service never sets a past due date),
    so that the overdue worklist names the child."""
    owner = world.users[
        Subject(OrganisationKind.COUNCIL, Role.SOCIAL_WORKER, Involvement.PLACING_COUNCIL)
    ]
    due = now().date() + dt.timedelta(days=7)
    world.case_task = case_task_set(
        actor=manager,
        child=world.child,
        kind="visit",
        title="Visit Morgan at Beacon House",
        organisation=world.placing,
        owner=owner,
        due_date=due,
    )
    world.meeting = strategy_meeting_record(
        actor=manager,
        child=world.child,
        held_at=now() - dt.timedelta(hours=2),
        decisions="A referral to the exploitation panel.",
        attendees=[AttendeeInput(organisation=world.placing, person=owner)],
        actions=[
            ActionInput(
                kind="referral",
                title="Refer to the exploitation panel",
                organisation=world.placing,
                owner=owner,
                due_date=due,
            )
        ],
    )
    CaseTask.objects.filter(meeting=world.meeting).update(
        due_date=now().date() - dt.timedelta(days=1)
    )
