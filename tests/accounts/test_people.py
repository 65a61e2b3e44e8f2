"""Administration that cannot lift itself (issue 12, part 2): the same bad cases through the
service (``accounts.people``) and the page, each refused and on the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from sightline.accounts import people
from sightline.audit.models import AuditEvent
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.organisations.models import Organisation, Role, User
from tests import factories as f

pytestmark = pytest.mark.django_db


@dataclass
class World:
    stockport: Organisation
    southwark: Organisation
    admin: User  # Stockport's administrator
    colleague: User  # a Stockport coordinator
    manager: User  # a Stockport team manager (not an administrator)
    southwark_admin: User
    southwark_worker: User
    operator: User  # a platform operator


@pytest.fixture
def world() -> World:
    stockport, southwark = f.council_org("356"), f.council_org("210")
    return World(
        stockport=stockport,
        southwark=southwark,
        admin=f.user(stockport, Role.ADMINISTRATOR, username="admin.stockport"),
        colleague=f.user(stockport, Role.MISSING_COORDINATOR, username="coordinator"),
        manager=f.user(stockport, Role.TEAM_MANAGER, username="manager"),
        southwark_admin=f.user(southwark, Role.ADMINISTRATOR, username="admin.southwark"),
        southwark_worker=f.user(southwark, Role.SOCIAL_WORKER, username="sw.southwark"),
        operator=f.platform_operator("operator"),
    )


def refusals(actor: User) -> list[dict]:
    return [
        e.payload
        for e in AuditEvent.objects.filter(
            verb=AuditVerb.ADMINISTRATION_REFUSED, user_id=actor.pk
        ).order_by("seq")
    ]


def unchanged(*users: User) -> None:
    for user in users:
        before = (user.organisation_id, user.role, user.is_active, user.is_superuser)
        user.refresh_from_db()
        assert (user.organisation_id, user.role, user.is_active, user.is_superuser) == before


# --- The bad cases, through the service -------------------------------------------------------


def test_nobody_changes_their_own_role(world: World):
    with pytest.raises(ValidationError, match="You cannot change your own role") as caught:
        people.person_role_change(
            actor=world.admin, person_id=world.admin.pk, role=Role.SOCIAL_WORKER
        )
    assert caught.value.field == "role"
    unchanged(world.admin)
    assert refusals(world.admin) == [{"attempt": "change role", "reason": "own account"}]


def test_another_organisations_person_is_not_found_and_recorded(world: World):
    with pytest.raises(NotFoundOrNotAllowed):
        people.person_role_change(
            actor=world.admin, person_id=world.southwark_worker.pk, role=Role.ADMINISTRATOR
        )
    with pytest.raises(NotFoundOrNotAllowed):
        people.person_status_set(
            actor=world.admin, person_id=world.southwark_admin.pk, active=False
        )
    with pytest.raises(NotFoundOrNotAllowed):
        people.person_second_factor_reset(actor=world.admin, person_id=world.southwark_worker.pk)
    # The same answer as for a person who does not exist.
    with pytest.raises(NotFoundOrNotAllowed):
        people.person_role_change(actor=world.admin, person_id=999_999, role=Role.ANALYST)
    unchanged(world.southwark_worker, world.southwark_admin)
    assert [r["attempt"] for r in refusals(world.admin)] == [
        "change role",
        "change status",
        "reset second factor",
        "change role",
    ]
    assert {r["reason"] for r in refusals(world.admin)} == {"not allowed"}
    row = AuditEvent.objects.filter(verb=AuditVerb.ADMINISTRATION_REFUSED).first()
    assert (row.object_id, row.organisation_id) == (
        str(world.southwark_worker.pk),
        world.stockport.pk,
    )


def test_a_role_the_organisations_kind_does_not_hold_is_refused(world: World):
    for role in (Role.POLICE_MISSING_OFFICER, Role.HOME_MANAGER, "platform_operator", "root"):
        with pytest.raises(ValidationError) as caught:
            people.person_role_change(actor=world.admin, person_id=world.colleague.pk, role=role)
        assert caught.value.field == "role"
        assert "is not a role in a council children's services" in caught.value.message
    unchanged(world.colleague)
    assert [r.get("role") for r in refusals(world.admin)] == [
        "police_missing_officer",
        "home_manager",
        "platform_operator",
        "root",
    ]
    assert {r["reason"] for r in refusals(world.admin)} == {
        "role not held by the organisation's kind"
    }


def test_a_non_administrator_cannot_make_themself_an_administrator(world: World):
    with pytest.raises(NotFoundOrNotAllowed):
        people.person_role_change(
            actor=world.manager, person_id=world.manager.pk, role=Role.ADMINISTRATOR
        )
    with pytest.raises(NotFoundOrNotAllowed):
        people.people_list(actor=world.manager, organisation_id=world.stockport.pk)
    unchanged(world.manager)
    assert [r["reason"] for r in refusals(world.manager)] == ["not allowed", "not allowed"]


def test_only_a_platform_operator_moves_a_person_between_organisations(world: World):
    with pytest.raises(NotFoundOrNotAllowed):
        people.person_organisation_change(
            actor=world.admin,
            person_id=world.admin.pk,
            organisation_id=world.southwark.pk,
            role=Role.SOCIAL_WORKER,
        )
    unchanged(world.admin)
    assert refusals(world.admin) == [
        {"attempt": "change organisation", "reason": "platform operator only"}
    ]
    moved = people.person_organisation_change(
        actor=world.operator,
        person_id=world.colleague.pk,
        organisation_id=world.southwark.pk,
        role=Role.SOCIAL_WORKER,
    )
    assert (moved.organisation_id, moved.role) == (world.southwark.pk, Role.SOCIAL_WORKER)
    rows = AuditEvent.objects.filter(verb=AuditVerb.PERSON_ORGANISATION_CHANGED)
    # On the audit of the organisation it left and the one it joined.
    assert {r.organisation_id for r in rows} == {world.stockport.pk, world.southwark.pk}
    assert rows.first().payload == {
        "old_organisation_id": str(world.stockport.pk),
        "new_organisation_id": str(world.southwark.pk),
        "old_role": Role.MISSING_COORDINATOR,
        "new_role": Role.SOCIAL_WORKER,
    }


def test_own_status_and_second_factor_are_refused(world: World):
    with pytest.raises(ValidationError, match="your own account"):
        people.person_status_set(actor=world.admin, person_id=world.admin.pk, active=False)
    f.authenticator(world.admin)
    with pytest.raises(ValidationError, match="your own authenticator app"):
        people.person_second_factor_reset(actor=world.admin, person_id=world.admin.pk)
    assert TOTPDevice.objects.filter(user=world.admin).exists()
    unchanged(world.admin)


# --- What an administrator may do, each on the chain ------------------------------------------


def test_an_administrator_changes_a_colleagues_role_on_the_chain(world: World):
    changed = people.person_role_change(
        actor=world.admin, person_id=world.colleague.pk, role=Role.TEAM_MANAGER
    )
    assert changed.role == Role.TEAM_MANAGER
    row = AuditEvent.objects.get(verb=AuditVerb.PERSON_ROLE_CHANGED)
    assert (row.user_id, row.organisation_id, row.object_type, row.object_id) == (
        world.admin.pk,
        world.stockport.pk,
        "user",
        str(world.colleague.pk),
    )
    assert row.payload == {"old_role": Role.MISSING_COORDINATOR, "new_role": Role.TEAM_MANAGER}
    # Giving another person the administrator role is an administrator's to do.
    people.person_role_change(
        actor=world.admin, person_id=world.colleague.pk, role=Role.ADMINISTRATOR
    )
    assert audit_verify().intact


def test_deactivate_reactivate_and_reset_are_on_the_chain(world: World):
    people.person_status_set(actor=world.admin, person_id=world.colleague.pk, active=False)
    people.person_status_set(actor=world.admin, person_id=world.colleague.pk, active=True)
    f.authenticator(world.colleague)
    assert people.person_second_factor_reset(actor=world.admin, person_id=world.colleague.pk)
    assert not TOTPDevice.objects.filter(user=world.colleague).exists()
    verbs = list(
        AuditEvent.objects.filter(object_id=str(world.colleague.pk))
        .order_by("seq")
        .values_list("verb", "payload", "organisation_id")
    )
    assert verbs == [
        (
            AuditVerb.PERSON_STATUS_CHANGED,
            {"old_active": True, "new_active": False},
            world.stockport.pk,
        ),
        (
            AuditVerb.PERSON_STATUS_CHANGED,
            {"old_active": False, "new_active": True},
            world.stockport.pk,
        ),
        (AuditVerb.SECOND_FACTOR_RESET, {"devices": 1}, world.stockport.pk),
    ]


def test_adding_a_person_gives_a_role_the_kind_holds_and_a_password_shown_once(world: World):
    person, password = people.person_add(
        actor=world.admin,
        organisation_id=world.stockport.pk,
        username="new.worker",
        first_name="Robin",
        last_name="Ash",
        email="robin@example.invalid",
        role=Role.SOCIAL_WORKER,
    )
    assert (person.organisation, person.role) == (world.stockport, Role.SOCIAL_WORKER)
    assert not (person.is_superuser or person.is_staff)
    assert authenticate(username="new.worker", password=password) == person
    row = AuditEvent.objects.get(verb=AuditVerb.PERSON_ADDED)
    assert row.payload == {"role": Role.SOCIAL_WORKER, "organisation_id": str(world.stockport.pk)}
    assert "Robin" not in str(row.payload) and "Ash" not in row.purpose
    with pytest.raises(ValidationError, match="is not a role in a council"):
        people.person_add(
            actor=world.admin,
            organisation_id=world.stockport.pk,
            username="officer",
            first_name="Kim",
            last_name="Oak",
            email="kim@example.invalid",
            role=Role.POLICE_MISSING_OFFICER,
        )
    with pytest.raises(NotFoundOrNotAllowed):
        people.person_add(
            actor=world.admin,
            organisation_id=world.southwark.pk,
            username="plant",
            first_name="Kim",
            last_name="Oak",
            email="kim@example.invalid",
            role=Role.SOCIAL_WORKER,
        )
    with pytest.raises(ValidationError, match="That username is taken"):
        people.person_add(
            actor=world.admin,
            organisation_id=world.stockport.pk,
            username="NEW.WORKER",
            first_name="Kim",
            last_name="Oak",
            email="kim@example.invalid",
            role=Role.SOCIAL_WORKER,
        )
    assert not User.objects.filter(username__in=["officer", "plant"]).exists()


def test_the_organisations_audit_is_its_own(world: World):
    people.person_role_change(actor=world.admin, person_id=world.colleague.pk, role=Role.ANALYST)
    people.person_role_change(
        actor=world.southwark_admin, person_id=world.southwark_worker.pk, role=Role.ANALYST
    )
    org, rows = people.organisation_audit(actor=world.admin, organisation_id=world.stockport.pk)
    assert org == world.stockport
    assert {r.organisation_id for r in rows} == {world.stockport.pk}
    assert [r.object_id for r in rows if r.verb == AuditVerb.PERSON_ROLE_CHANGED] == [
        str(world.colleague.pk)
    ]
    assert AuditEvent.objects.filter(
        verb=AuditVerb.ORGANISATION_AUDIT_VIEWED, user_id=world.admin.pk
    ).exists()
    with pytest.raises(NotFoundOrNotAllowed):
        people.organisation_audit(actor=world.admin, organisation_id=world.southwark.pk)
    with pytest.raises(NotFoundOrNotAllowed):
        people.organisation_audit(actor=world.manager, organisation_id=world.stockport.pk)
    assert refusals(world.admin)[-1] == {
        "attempt": "view organisation audit",
        "reason": "not allowed",
    }
    # The platform operator reads any organisation's.
    _, theirs = people.organisation_audit(actor=world.operator, organisation_id=world.southwark.pk)
    assert {r.organisation_id for r in theirs} == {world.southwark.pk}


def test_platform_operators_see_every_organisation_and_administrators_their_own(world: World):
    assert set(people.organisations_administered(actor=world.operator)) >= {
        world.stockport,
        world.southwark,
    }
    assert list(people.organisations_administered(actor=world.admin)) == [world.stockport]
    assert not people.organisations_administered(actor=world.manager).exists()


# --- The same cases through the pages ---------------------------------------------------------


def test_pages_refuse_another_organisation_as_not_found_and_record_it(world: World):
    client = f.signed_in(world.admin)
    for url in (
        reverse("people_list", args=[world.southwark.pk]),
        reverse("person_add", args=[world.southwark.pk]),
        reverse("organisation_audit", args=[world.southwark.pk]),
        reverse("person_detail", args=[world.southwark_worker.pk]),
        reverse("person_role", args=[world.southwark_worker.pk]),
        reverse("person_status", args=[world.southwark_admin.pk]),
        reverse("person_second_factor", args=[world.southwark_worker.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.content.decode()
    posted = client.post(
        reverse("person_role", args=[world.southwark_worker.pk]), {"role": Role.ADMINISTRATOR}
    )
    assert posted.status_code == 404
    unchanged(world.southwark_worker)
    assert len(refusals(world.admin)) == 8
    assert "Southwark" not in client.get(reverse("organisations"), follow=True).content.decode()


def test_the_role_page_refuses_ones_own_role_and_a_role_not_held(world: World):
    client = f.signed_in(world.admin)
    own = client.post(reverse("person_role", args=[world.admin.pk]), {"role": Role.SOCIAL_WORKER})
    assert own.status_code == 200
    html = own.content.decode()
    assert "<title>Error: Change role – Sightline</title>" in html
    assert "You cannot change your own role. Ask another administrator" in html
    other = client.post(
        reverse("person_role", args=[world.colleague.pk]), {"role": Role.POLICE_MISSING_OFFICER}
    )
    assert "Police missing-person officer is not a role in a council" in other.content.decode()
    unchanged(world.admin, world.colleague)
    assert [r["reason"] for r in refusals(world.admin)] == [
        "own account",
        "role not held by the organisation's kind",
    ]
    # The person page offers no change of one's own role or status.
    mine = client.get(reverse("person_detail", args=[world.admin.pk])).content.decode()
    assert reverse("person_role", args=[world.admin.pk]) not in mine
    assert "This is your own account" in mine


def test_the_pages_change_a_role_add_a_person_and_show_the_audit(world: World):
    client = f.signed_in(world.admin)
    listed = client.get(reverse("organisations"))
    assert listed.url == reverse("people_list", args=[world.stockport.pk])
    html = client.get(listed.url).content.decode()
    assert "coordinator" in html and "sw.southwark" not in html
    changed = client.post(
        reverse("person_role", args=[world.colleague.pk]), {"role": Role.TEAM_MANAGER}
    )
    assert changed.url == reverse("person_detail", args=[world.colleague.pk])
    world.colleague.refresh_from_db()
    assert world.colleague.role == Role.TEAM_MANAGER
    added = client.post(
        reverse("person_add", args=[world.stockport.pk]),
        {
            "first_name": "Robin",
            "last_name": "Ash",
            "email": "robin@example.invalid",
            "username": "robin",
            "role": Role.ANALYST,
        },
    )
    assert added.status_code == 200
    page = added.content.decode()
    assert "<title>Person added – Sightline</title>" in page
    assert User.objects.get(username="robin").role == Role.ANALYST
    refused = client.post(
        reverse("person_add", args=[world.stockport.pk]),
        {
            "first_name": "Kim",
            "last_name": "Oak",
            "email": "kim@example.invalid",
            "username": "kim",
            "role": Role.HOME_STAFF,
        },
    )
    assert "Home staff is not a role in a council" in refused.content.decode()
    assert not User.objects.filter(username="kim").exists()
    audit = client.get(reverse("organisation_audit", args=[world.stockport.pk])).content.decode()
    assert "Person role changed" in audit and "Person added" in audit
    assert "Administration refused" in audit


def _navigation_links(html: str) -> list[str]:
    import re

    return re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', html)


def test_the_navigation_shows_people_to_administrators_only(world: World):
    home = f.signed_in(world.admin).get(reverse("home")).content.decode()
    assert reverse("organisations") in _navigation_links(home)
    operator = f.signed_in(world.operator).get(reverse("organisations")).content.decode()
    assert reverse("organisations") in _navigation_links(operator)
    manager = f.signed_in(world.manager)
    assert reverse("organisations") not in _navigation_links(
        manager.get(reverse("home")).content.decode()
    )
    assert manager.get(reverse("organisations")).status_code == 404


def test_a_platform_operator_works_across_organisations_through_the_pages(world: World):
    client = f.signed_in(world.operator)
    html = client.get(reverse("organisations")).content.decode()
    assert world.stockport.name in html and world.southwark.name in html
    changed = client.post(
        reverse("person_role", args=[world.southwark_worker.pk]), {"role": Role.TEAM_MANAGER}
    )
    assert changed.status_code == 302
    row = AuditEvent.objects.get(verb=AuditVerb.PERSON_ROLE_CHANGED)
    # On Southwark's audit: the platform operator belongs to no organisation.
    assert (row.user_id, row.organisation_id) == (world.operator.pk, world.southwark.pk)
