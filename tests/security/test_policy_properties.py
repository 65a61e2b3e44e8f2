"""Hypothesis: random placements, moves, endings, missing episodes and the passing of time,
all through the real services. After every step, for every user of every organisation, the
children the policy lists (``children_visible_to``) and the involvements it finds
(``involvements``) equal what the involvement definitions give when worked out here, in
Python, from the rows themselves:

* placing council: the council that placed the child, always;
* host council, host police force, provider: those of a placement current today
  (started on or before today, not ended on or before today);
* a grant's involvement: a grant to the user's organisation (or to the user) active now.

A user sees a child exactly when one of those involvements lets the user's role view it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sightline.access.models import AccessGrant
from sightline.access.policy import (
    GRANT_INVOLVEMENT,
    POLICY,
    Action,
    Involvement,
    children_visible_to,
    involvements,
)
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now, today
from sightline.missing.models import Episode
from sightline.missing.services import episode_close, episode_report
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.models import Placement, Setting
from sightline.placements.services import placement_end, placement_record
from tests import factories
from tests.conftest import seal_shared_world

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
COUNCILS = ["210", "356", "352"]  # Southwark, Stockport, Manchester: each places a child
FORCES = ["E23000001", "E23000005", "E23000032"]  # Metropolitan, Greater Manchester, Kent
# Homes: Stockport and Manchester (both Greater Manchester Police), Southwark (Met), Kent.
HOMES = [("SK4 2AB", 0), ("M1 1AE", 1), ("SE1 2QH", 0), ("CT1 2EH", 1)]  # (postcode, provider)
ROLES = {
    OrganisationKind.COUNCIL: [Role.SOCIAL_WORKER, Role.MISSING_COORDINATOR, Role.ANALYST],
    OrganisationKind.POLICE: [Role.POLICE_MISSING_OFFICER, Role.ANALYST],
    OrganisationKind.PROVIDER: [Role.HOME_STAFF, Role.ADMINISTRATOR],
}


@dataclass
class Pool:
    children: list[Child]
    homes: list[Setting]
    users: list[User]
    placers: dict[str, User]  # council code -> a social worker of the placing council


@pytest.fixture(scope="module")
def pool(django_db_setup: None, django_db_blocker: Any) -> Iterator[Pool]:
    with django_db_blocker.unblock(), transaction.atomic():
        from sightline.geography.models import PoliceForce
        from sightline.geography.services import reference_data_load
        from sightline.missing.models import RiskGrade, RiskGradeList
        from sightline.missing.reference import risk_grade_lists_load

        if not PoliceForce.objects.exists():
            reference_data_load()
        if not RiskGradeList.objects.exists():
            risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
        with time_machine.travel(START - dt.timedelta(days=7), tick=False):
            orgs: list[Organisation] = [factories.council_org(c) for c in COUNCILS]
            orgs += [factories.police_org(f) for f in FORCES]
            providers = [factories.provider_org(f"Property Homes {n} Ltd") for n in (1, 2)]
            orgs += providers
            users = [factories.user(org, role) for org in orgs for role in ROLES[org.kind]]
            placers = {
                code: next(
                    u for u in users if u.organisation == orgs[n] and u.role == Role.SOCIAL_WORKER
                )
                for n, code in enumerate(COUNCILS)
            }
            homes = [factories.setting(providers[p], postcode=pc) for pc, p in HOMES]
            children = [
                child_create(
                    placing_council=factories.council(code),
                    child_ref=f"PR{n:04d}",
                    first_name="Sam",
                    last_name=f"Propertyson{n}",
                    date_of_birth=dt.date(2011, 4, 9),
                    sex="F",
                )
                for n, code in enumerate(COUNCILS)
            ]
            for n, child in enumerate(children):  # each starts placed, in homes n = 0, 1, 2
                factories.placement(
                    child,
                    homes[n],
                    start=today(),
                    home_postcode="SE1 2QH",
                    actor=placers[COUNCILS[n]],
                )
        seal_shared_world()
        yield Pool(children=children, homes=homes, users=users, placers=placers)
        transaction.set_rollback(True)


# --- What the definitions give, worked out from the rows ------------------------------------


def expected_involvements(user: User, child: Child) -> set[Involvement]:
    org = user.organisation
    if org is None or not user.is_active:
        return set()
    found: set[Involvement] = set()
    on, at = today(), now()
    if org.kind == OrganisationKind.COUNCIL and child.placing_council_id == org.council_id:
        found.add(Involvement.PLACING_COUNCIL)
    for p in Placement.objects.filter(child=child).select_related("setting"):
        if not (p.start_date <= on and (p.end_date is None or p.end_date > on)):
            continue
        if org.kind == OrganisationKind.COUNCIL and p.host_council_id == org.council_id:
            found.add(Involvement.HOST_COUNCIL)
        if org.kind == OrganisationKind.POLICE and p.host_police_force_id == org.police_force_id:
            found.add(Involvement.HOST_POLICE)
        if org.kind == OrganisationKind.PROVIDER and p.setting.provider_id == org.id:
            found.add(Involvement.PROVIDER)
    for g in AccessGrant.objects.filter(child=child, organisation=org):
        active = g.starts_at <= at and (g.ends_at is None or g.ends_at > at)
        if active and g.user_id in (None, user.id):
            found.add(GRANT_INVOLVEMENT[g.reason])
    return found


def expected_visible(user: User, children: list[Child]) -> set[Child]:
    may = POLICY[Action.VIEW].get(user.role, set())
    return {c for c in children if expected_involvements(user, c) & may}


# --- Steps through the real services ---------------------------------------------------------

child_index = st.integers(min_value=0, max_value=len(COUNCILS) - 1)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("place"), child_index, st.integers(0, len(HOMES) - 1)),
        st.tuples(st.just("end"), child_index, st.just(0)),
        st.tuples(st.just("missing"), child_index, st.just(0)),
        st.tuples(st.just("return"), child_index, st.just(0)),
        st.tuples(st.just("wait"), st.just(0), st.sampled_from([2, 26, 80, 24 * 8])),
    ),
    min_size=1,
    max_size=8,
)


def _current(child: Child) -> Placement | None:
    on = today()
    return (
        Placement.objects.filter(child=child, start_date__lte=on, end_date__isnull=True)
        .order_by("-start_date")
        .first()
    )


def _apply(step: tuple[str, int, int], pool: Pool, traveller: Any) -> None:
    what, n, arg = step
    if what == "wait":
        traveller.shift(dt.timedelta(hours=arg))
        return
    child = pool.children[n]
    placer = pool.placers[COUNCILS[n]]
    if what == "place":
        placement_record(
            actor=placer,
            child=child,
            setting=pool.homes[arg],
            start_date=today(),
            place_type="K2",
            place_provider="PR4",
            home_postcode="SE1 2QH",
        )
    elif what == "end":
        current = _current(child)
        if current is not None:
            placement_end(actor=placer, placement=current, end_date=today())
    elif what == "missing":
        episode_report(
            actor=placer,
            child=child,
            kind="missing",
            last_seen_at=now() - dt.timedelta(minutes=30),
            last_seen_place="The high street",
            reported_to_police=True,
        )
    elif what == "return":
        episode = Episode.objects.filter(child=child, returned_at__isnull=True).first()
        if episode is not None:
            episode_close(
                actor=placer,
                episode=episode,
                returned_at=now(),
                place="Came back to the home",
                found_by="self",
            )


@given(steps=steps)
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_visible_children_always_equal_the_children_a_user_is_involved_with(
    pool: Pool, steps: list[tuple[str, int, int]]
) -> None:
    with transaction.atomic(), time_machine.travel(START, tick=False) as traveller:
        for step in steps:
            try:
                with transaction.atomic():
                    _apply(step, pool, traveller)
                event(f"{step[0]}: done")
            except (ValidationError, NotFoundOrNotAllowed):
                event(f"{step[0]}: refused")  # as a whole (e.g. a second open episode)
            for user in pool.users:
                visible = set(children_visible_to(user))
                assert visible == expected_visible(user, pool.children), (step, user.role)
                for child in pool.children:
                    assert involvements(user, child) == expected_involvements(user, child), (
                        step,
                        user.role,
                    )
        transaction.set_rollback(True)
