"""A small world for missing episodes.

    Southwark (210) places Robin Quillfeather in a Brightwater home in Stockport (356), SK4 2AB:
    out of area, so Stockport Council is the host council and Greater Manchester Police the
    force of the area.

Time is frozen where it matters: the placement starts on Monday 5 January 2026; the tests
report episodes from Monday 2 February 2026 (London = UTC in February).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.missing.models import Episode, RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.missing.services import episode_report
from sightline.organisations.models import Organisation, Role, User
from sightline.placements.models import Placement, Setting
from tests import factories
from tests.notifications.conftest import smtp_server  # noqa: F401  (a fixture)

GMP = "E23000005"  # Greater Manchester Police
MET = "E23000001"  # Metropolitan Police
SURNAME = "Quillfeather"
DATE_OF_BIRTH = dt.date(2011, 3, 17)
DOB_FORMS = ("2011-03-17", "17/03/2011", "17 March 2011", "17 Mar 2011")

PLACED_ON = dt.date(2026, 1, 5)
# Monday 2 February 2026, 10:00 in London (GMT).
MONDAY = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _risk_grades(request: pytest.FixtureRequest) -> None:
    """The lists are loaded by a data migration; a transactional test's flush removes them."""
    if "django_db" not in {m.name for m in request.node.iter_markers()}:
        return
    request.getfixturevalue("db")
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private-media"
    settings.SIGHTLINE_PRIVATE_MEDIA_ROOT = str(root)
    return root


@dataclass
class World:
    child: Child
    placement: Placement
    setting: Setting
    provider: Organisation
    placing: Organisation
    host: Organisation
    police: Organisation
    home_staff: User
    home_manager: User
    social_worker: User
    team_manager: User
    placing_admin: User
    coordinator: User
    officer: User
    other_officer: User
    other_council_worker: User
    other_home_staff: User


def make_child(placing_code: str = "210", ref: str | None = None) -> Child:
    return child_create(
        placing_council=factories.council(placing_code),
        child_ref=ref or f"M{next(factories._seq):05d}",
        first_name="Robin",
        last_name=SURNAME,
        date_of_birth=DATE_OF_BIRTH,
        sex="F",
    )


def make_world() -> World:
    placing = factories.council_org("210")
    placing.email = "children@southwark.example"
    placing.save()
    host = factories.council_org("356")
    host.email = "missing@stockport.example"
    host.save()
    police = factories.police_org(GMP)
    police.email = "mispers@gmp.example"
    police.save()
    provider = factories.provider_org()
    setting = factories.setting(provider, postcode="SK4 2AB", name="Larch House")
    child = make_child()
    placement = factories.placement(child, setting, start=PLACED_ON, home_postcode="SE1 0AA")
    return World(
        child=child,
        placement=placement,
        setting=setting,
        provider=provider,
        placing=placing,
        host=host,
        police=police,
        home_staff=factories.user(provider, Role.HOME_STAFF),
        home_manager=factories.user(provider, Role.HOME_MANAGER),
        social_worker=factories.user(placing, Role.SOCIAL_WORKER),
        team_manager=factories.user(placing, Role.TEAM_MANAGER),
        placing_admin=factories.user(placing, Role.ADMINISTRATOR),
        coordinator=factories.user(host, Role.MISSING_COORDINATOR),
        officer=factories.user(police, Role.POLICE_MISSING_OFFICER),
        other_officer=factories.user(factories.police_org(MET), Role.POLICE_MISSING_OFFICER),
        other_council_worker=factories.user(factories.council_org("352"), Role.SOCIAL_WORKER),
        other_home_staff=factories.user(
            factories.provider_org("Elsewhere Homes Ltd"), Role.HOME_STAFF
        ),
    )


@pytest.fixture
def world(db: None) -> World:
    """Recorded on Friday 2 January 2026, before the placement starts."""
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        return make_world()


@pytest.fixture
def at_monday() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def report(world: World, **overrides: Any) -> Episode:
    """The home reports the child missing, last seen an hour before now."""
    from sightline.core.timeutil import now

    values: dict[str, Any] = {
        "actor": world.home_staff,
        "child": world.child,
        "kind": "missing",
        "last_seen_at": now() - dt.timedelta(hours=1),
        "last_seen_place": "Leaving the home by the back gate",
        "clothing": "Black puffer jacket, grey joggers",
        "circumstances": "Did not return from school",
        "reported_to_police": True,
        "police_reference": "GMP-0202-1234",
        "risk_grade": "medium",
        "risk_grade_supplied_by": "PC 1234, Greater Manchester Police",
    }
    values.update(overrides)
    return episode_report(**values)


def run_worker() -> None:
    call_command("worker", batch=True, verbosity=0)
