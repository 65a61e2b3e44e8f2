"""The record's contacts (``missing.contacts``, on the record page): each from where it is
kept, with when it was last confirmed; a missing one says so and who can add it, with a link
for a reader who may."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from sightline.missing.services import interview_service_set
from sightline.organisations.models import Role
from sightline.placements.contacts import (
    home_manager_set,
    organisation_contact_set,
    placement_contact_set,
)
from sightline.placements.models import ContactRole, Placement
from tests import factories
from tests.web.conftest import GMP, World, signed_in

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 3, 9, 15, tzinfo=dt.UTC)


def _contacts(html: str) -> str:
    start = html.index('id="contacts"')
    return html[start : html.index("</dl>", start)]


def _record(user, world: World) -> str:
    return _contacts(
        signed_in(user).get(reverse("child_detail", args=[world.ada.id])).content.decode()
    )


def _fill(world: World) -> dict[str, object]:
    """Every contact of Ada's record: Manchester places her with Brightwater in Stockport
    (Greater Manchester Police), out of area."""
    manchester = factories.council_org("352")
    placement = Placement.objects.get(child=world.ada)
    council_admin = factories.user(manchester, Role.ADMINISTRATOR)
    manager = factories.user(manchester, Role.TEAM_MANAGER)
    police_admin = factories.user(factories.police_org(GMP), Role.ADMINISTRATOR)
    home_admin = factories.user(world.brightwater, Role.ADMINISTRATOR)
    with time_machine.travel(NOW, tick=False):
        for role, name in (
            (ContactRole.SOCIAL_WORKER, "Sam Jones"),
            (ContactRole.TEAM_MANAGER, "Alex Green"),
        ):
            placement_contact_set(
                actor=manager, placement=placement, role=role, name=name, phone="0161 496 0100"
            )
        home_manager_set(
            actor=home_admin, setting=placement.setting, name="Priya Shah", phone="0161 496 0200"
        )
        for role, name in (
            (ContactRole.OUT_OF_HOURS, "Manchester emergency duty team"),
            (ContactRole.RETURN_INTERVIEWS, "Manchester return interviews"),
        ):
            organisation_contact_set(
                actor=council_admin,
                organisation=manchester,
                role=role,
                name=name,
                phone="0161 496 0300",
                email="edt@example.gov.uk",
            )
        organisation_contact_set(
            actor=police_admin,
            organisation=police_admin.organisation,
            role=ContactRole.POLICE_SPOC,
            name="GMP missing from home team",
            phone="+44 161 496 0400",
        )
    return {"manchester": manchester, "manager": manager, "council_admin": council_admin}


def test_every_contact_shows_with_when_and_by_whom_it_was_confirmed(world: World):
    people = _fill(world)
    html = _record(people["manager"], world)
    for label, name in (
        ("Social worker", "Sam Jones"),
        ("Team manager", "Alex Green"),
        ("Home manager", "Priya Shah"),
        ("Out-of-hours number", "Manchester emergency duty team"),
        ("Police single point of contact", "GMP missing from home team"),
        ("Return home interview service", "Manchester return interviews"),
    ):
        assert label in html and name in html, label
    assert "Not recorded" not in html
    assert 'href="tel:+441614960400"' in html and 'href="mailto:edt@example.gov.uk"' in html
    assert html.count("Last confirmed 3 March 2026 at 9:15am by ") == 6


def test_a_missing_contact_says_so_and_who_can_add_it(world: World):
    manchester = factories.council_org("352")
    police = factories.police_org(GMP)
    html = _record(factories.user(world.brightwater, Role.HOME_STAFF), world)
    assert html.count("Not recorded") == 6
    assert "A home manager or an administrator at Brightwater Care Ltd can add it." in html
    assert "<a " not in html  # home staff may add none of them
    # The placing council's team manager allocates the social worker and team manager.
    placement = Placement.objects.get(child=world.ada)
    html = _record(factories.user(manchester, Role.TEAM_MANAGER), world)
    assert reverse("placement_contact", args=[placement.id, "social_worker"]) in html
    assert "Add the social worker" in html
    # ... and, as the council's managers do, its own out-of-hours number.
    assert reverse("organisation_contact", args=[manchester.id, "out_of_hours"]) in html
    assert "Add the out-of-hours number" in html
    # A social worker allocates too, but does not keep the council's numbers.
    html = _record(factories.user(manchester, Role.SOCIAL_WORKER), world)
    assert "Add the social worker" in html and "Add the out-of-hours number" not in html
    assert "A team manager or an administrator at Manchester" in html
    # The home's manager adds the home's manager; the police are named, not linked.
    html = _record(factories.user(world.brightwater, Role.HOME_MANAGER), world)
    setting = Placement.objects.get(child=world.ada).setting
    assert reverse("home_manager_contact", args=[setting.id]) in html
    assert f"An administrator at {police.name} can add it." in html


def test_the_home_and_the_police_see_the_same_contacts(world: World):
    _fill(world)
    for user in (
        factories.user(world.brightwater, Role.HOME_STAFF),
        factories.user(factories.police_org(GMP), Role.POLICE_MISSING_OFFICER),
    ):
        html = _record(user, world)
        assert "Sam Jones" in html and "GMP missing from home team" in html


def test_the_return_interview_service_is_the_one_the_placing_council_chose(world: World):
    manchester = factories.council_org("352")
    stockport = factories.council_org("356")
    service = factories.provider_org("Safe Return Services")
    manager = factories.user(manchester, Role.TEAM_MANAGER)
    interview_service_set(actor=manager, council=manchester.council, service=service)
    organisation_contact_set(
        actor=factories.user(service, Role.ADMINISTRATOR),
        organisation=service,
        role=ContactRole.RETURN_INTERVIEWS,
        name="Safe Return duty line",
        phone="0800 496 0500",
    )
    assert "Safe Return duty line" in _record(manager, world)
    # Placed out of area, and Manchester asks the host council's service to interview.
    interview_service_set(
        actor=manager,
        council=manchester.council,
        service=service,
        use_host_service_out_of_area=True,
    )
    # An organisation's setting is not a row about the child: the cached record shows it
    # within the minute its key holds.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), tick=False):
        html = _record(manager, world)
    assert "Safe Return duty line" not in html
    assert f"A team manager or an administrator at {stockport.name} can add it." in html


def test_a_child_with_no_current_placement_has_the_placing_councils_contacts_only(world: World):
    _fill(world)
    placement = Placement.objects.get(child=world.ada)
    placement.end_date = dt.date(2026, 1, 1)
    placement.save()
    html = _record(factories.user(factories.council_org("352"), Role.TEAM_MANAGER), world)
    assert html.count("Not recorded: the child has no current placement.") == 4
    assert "Manchester emergency duty team" in html and "Sam Jones" not in html
    assert re.search(r"Return home interview service.*Manchester return interviews", html, re.S)


def test_a_new_allocation_shows_on_the_next_request_of_a_cached_record(world: World):
    """The record's sections are cached by a version of the record: a placement's contacts
    are part of it, so the allocated social worker shows at once, within the same minute."""
    manager = factories.user(factories.council_org("352"), Role.TEAM_MANAGER)
    client = signed_in(manager)
    url = reverse("child_detail", args=[world.ada.id])
    with time_machine.travel(NOW, tick=False):
        assert "Sam Jones" not in client.get(url).content.decode()
    with time_machine.travel(NOW + dt.timedelta(seconds=5), tick=False):
        placement_contact_set(
            actor=manager,
            placement=Placement.objects.get(child=world.ada),
            role=ContactRole.SOCIAL_WORKER,
            name="Sam Jones",
            phone="0161 496 0100",
        )
    with time_machine.travel(NOW + dt.timedelta(seconds=10), tick=False):
        assert "Sam Jones" in client.get(url).content.decode()
