"""The contacts a child's record shows are kept by those who may keep them, checked field by
field, confirmed on every save and put on the audit chain (``placements.contacts``)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.organisations.models import Role
from sightline.placements.contacts import (
    home_manager_set,
    organisation_contact_set,
    placement_contact_set,
)
from sightline.placements.models import Contact, ContactRole, Placement
from tests import factories
from tests.web import conftest as web
from tests.web.conftest import GMP, World, signed_in

pytestmark = pytest.mark.django_db

world = web.world  # the web tests' map of involvement

NOW = dt.datetime(2026, 3, 3, 9, 15, tzinfo=dt.UTC)


def _events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=AuditVerb.CONTACT_CHANGED).order_by("at", "id"))


def test_an_administrator_sets_and_confirms_their_councils_out_of_hours_number(world: World):
    admin = world.user(factories.council_org("352"), Role.ADMINISTRATOR)
    with time_machine.travel(NOW, tick=False):
        contact = organisation_contact_set(
            actor=admin,
            organisation=admin.organisation,
            role=ContactRole.OUT_OF_HOURS,
            name="  Emergency   duty team ",
            phone="0161 496 0000",
        )
    assert (contact.name, contact.phone, contact.email) == (
        "Emergency duty team",
        "0161 496 0000",
        "",
    )
    assert (contact.last_confirmed_at, contact.confirmed_by) == (NOW, admin)
    later = NOW + dt.timedelta(days=30)
    with time_machine.travel(later, tick=False):
        again = organisation_contact_set(
            actor=admin,
            organisation=admin.organisation,
            role=ContactRole.OUT_OF_HOURS,
            name="Emergency duty team",
            phone="0161 496 0000",
            email="edt@example.gov.uk",
        )
    assert again.pk == contact.pk and again.last_confirmed_at == later
    assert Contact.objects.count() == 1
    first, second = _events()
    # The audit names the role and which fields changed, never the values.
    assert first.payload == {"role": "out_of_hours", "fields": ["name", "phone", "email"]}
    assert second.payload == {"role": "out_of_hours", "fields": ["email"]}
    assert (second.object_type, second.object_id) == ("contact", str(contact.pk))
    assert second.organisation_id == admin.organisation_id and second.child_id is None


@pytest.mark.parametrize(
    ("field", "values", "message"),
    [
        ("name", {"name": " "}, "Enter the name of the person or team"),
        ("phone", {"phone": ""}, "Enter a telephone number"),
        ("phone", {"phone": "call the office"}, "Enter a telephone number, like"),
        ("phone", {"phone": "0161 496"}, "Enter a telephone number, like"),
        ("email", {"email": "not an address"}, "Enter an email address in the correct format"),
    ],
)
def test_bad_details_are_refused_naming_the_field_and_nothing_is_written(
    world: World, field: str, values: dict[str, str], message: str
):
    admin = world.user(factories.police_org(GMP), Role.ADMINISTRATOR)
    given = {"name": "Missing persons unit", "phone": "+44 161 496 0001", "email": ""} | values
    with pytest.raises(ValidationError) as refused:
        organisation_contact_set(
            actor=admin, organisation=admin.organisation, role=ContactRole.POLICE_SPOC, **given
        )
    assert refused.value.field == field and message in refused.value.message
    assert not Contact.objects.exists() and not _events()


def test_only_the_organisations_administrators_keep_its_contacts(world: World):
    council = factories.council_org("352")
    for outsider in (
        world.user(council, Role.SOCIAL_WORKER),
        world.user(factories.council_org("356"), Role.ADMINISTRATOR),
    ):
        with pytest.raises(NotFoundOrNotAllowed):
            organisation_contact_set(
                actor=outsider,
                organisation=council,
                role=ContactRole.OUT_OF_HOURS,
                name="EDT",
                phone="0161 496 0000",
            )
    admin = world.user(council, Role.ADMINISTRATOR)
    with pytest.raises(ValidationError) as wrong_kind:
        organisation_contact_set(
            actor=admin,
            organisation=council,
            role=ContactRole.POLICE_SPOC,
            name="EDT",
            phone="0161 496 0000",
        )
    assert wrong_kind.value.field == "role"
    assert not Contact.objects.exists()


def test_a_providers_administrator_keeps_the_manager_of_its_own_homes_only(world: World):
    larch = Placement.objects.get(child=world.ada).setting
    mine = world.user(world.brightwater, Role.ADMINISTRATOR)
    contact = home_manager_set(
        actor=mine, setting=larch, name="Priya Shah", phone="0161 496 0123", email="ps@example.com"
    )
    assert (contact.organisation, contact.setting, contact.role) == (
        world.brightwater,
        larch,
        ContactRole.HOME_MANAGER,
    )
    with pytest.raises(NotFoundOrNotAllowed):
        home_manager_set(
            actor=world.user(world.seaview, Role.ADMINISTRATOR),
            setting=larch,
            name="Someone",
            phone="0161 496 0123",
        )


def test_the_placing_council_allocates_a_social_worker_and_it_is_on_the_childs_audit(
    world: World,
):
    placement = Placement.objects.get(child=world.ada)
    manager = world.user(factories.council_org("352"), Role.TEAM_MANAGER)
    contact = placement_contact_set(
        actor=manager,
        placement=placement,
        role=ContactRole.SOCIAL_WORKER,
        name="Sam Jones",
        phone="0161 496 0999",
    )
    assert contact.placement == placement and contact.organisation == manager.organisation
    [event] = _events()
    assert event.child_id == world.ada.id and event.involvement
    # The home, the host council and another council may not.
    for other in (
        world.user(world.brightwater, Role.HOME_MANAGER),
        world.user(factories.council_org("356"), Role.TEAM_MANAGER),
        world.user(factories.council_org("886"), Role.TEAM_MANAGER),
    ):
        with pytest.raises(NotFoundOrNotAllowed):
            placement_contact_set(
                actor=other,
                placement=placement,
                role=ContactRole.SOCIAL_WORKER,
                name="X",
                phone="0161 496 0999",
            )
    with pytest.raises(ValidationError):
        placement_contact_set(
            actor=manager,
            placement=placement,
            role=ContactRole.OUT_OF_HOURS,
            name="X",
            phone="0161 496 0999",
        )
    assert Contact.objects.count() == 1


def test_the_contacts_pages_add_and_confirm(world: World):
    org = factories.council_org("352")
    admin = signed_in(world.user(org, Role.ADMINISTRATOR))
    listing = reverse("organisation_contacts", args=[org.id])
    html = admin.get(listing).content.decode()
    assert "Out-of-hours number" in html and "Not recorded" in html
    edit = reverse("organisation_contact", args=[org.id, "out_of_hours"])
    refused = admin.post(edit, {"name": "EDT", "phone": "ring us"})
    assert refused.status_code == 200
    assert "Error: " in refused.content.decode() and "Enter a telephone number" in (
        refused.content.decode()
    )
    saved = admin.post(edit, {"name": "EDT", "phone": "0161 496 0000", "email": ""})
    assert saved.status_code == 302 and saved.url == listing
    html = admin.get(listing).content.decode()
    assert "0161 496 0000" in html and "Last confirmed" in html
    # A role the council does not keep, another council's page, and a social worker: not found.
    assert (
        admin.get(reverse("organisation_contact", args=[org.id, "police_spoc"])).status_code == 404
    )
    other = factories.council_org("356")
    assert admin.get(reverse("organisation_contacts", args=[other.id])).status_code == 404
    worker = signed_in(world.user(org, Role.SOCIAL_WORKER))
    assert worker.get(listing).status_code == 404
    assert worker.post(edit, {"name": "X", "phone": "0161 496 0000"}).status_code == 404


def test_a_provider_lists_its_homes_managers(world: World):
    admin = signed_in(world.user(world.brightwater, Role.ADMINISTRATOR))
    html = admin.get(reverse("organisation_contacts", args=[world.brightwater.id])).content.decode()
    assert "Manager of Larch House" in html and "Harbour View" not in html
    seaview_home = Placement.objects.get(child=world.cat).setting
    assert admin.get(reverse("home_manager_contact", args=[seaview_home.id])).status_code == 404


def test_the_allocation_page_saves_and_returns_to_the_record(world: World):
    placement = Placement.objects.get(child=world.ada)
    manager = signed_in(world.user(factories.council_org("352"), Role.TEAM_MANAGER))
    url = reverse("placement_contact", args=[placement.id, "team_manager"])
    assert "Allocated team manager" in manager.get(url).content.decode()
    saved = manager.post(url, {"name": "Alex Green", "phone": "0161 496 0998"})
    assert saved.status_code == 302
    assert saved.url == reverse("child_detail", args=[world.ada.id])
    assert Contact.objects.get(placement=placement).role == "team_manager"
    assert (
        manager.get(reverse("placement_contact", args=[placement.id, "home_manager"])).status_code
        == 404
    )
