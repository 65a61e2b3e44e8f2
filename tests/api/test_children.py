"""GET /children and GET /children/{id}: the access policy decides, and every read is logged."""

from __future__ import annotations

import uuid

import pytest

from sightline.access.models import AccessRecord

pytestmark = pytest.mark.django_db


def names(response):
    return sorted(c["first_name"] for c in response.json()["items"])


def test_each_organisation_lists_the_children_it_is_involved_with(world):
    seen = {who: names(world.api(who).get("/children")) for who in world.keys}
    assert seen == {
        "manchester": ["Ada"],  # placing council
        "stockport": ["Ada"],  # host council
        "gmp": ["Ada"],  # host police
        "brightwater": ["Ada"],  # provider of the current setting
        "kent": ["Cat"],
        "leeds": [],
    }


def test_the_list_shows_the_current_placement_and_pages(world):
    response = world.api("manchester").get("/children", {"limit": 1, "offset": 0})
    body = response.json()
    assert body["count"] == 1
    [ada] = body["items"]
    assert ada["child_ref"] == "MAN001"
    assert ada["placing_council"]["dfe_code"] == "352"
    assert ada["current_placement"]["setting_name"] == "Larch House"
    assert ada["current_placement"]["host_council"]["name"] == "Stockport"
    assert world.api("manchester").get("/children", {"offset": 1}).json()["items"] == []


def test_reading_a_childs_record_goes_through_the_policy_and_is_logged(world):
    response = world.api("gmp").get(f"/children/{world.ada.id}", {"purpose": "Welfare check"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["first_name"], body["last_name"]) == ("Ada", "Ashworth")
    assert body["involvements"] == ["police force for the area of the current placement"]
    assert [p["setting_name"] for p in body["placements"]] == ["Larch House"]
    record = AccessRecord.objects.get(child=world.ada)
    assert record.user.username.startswith("api:")
    assert record.organisation == world.gmp
    assert (record.action, record.purpose) == ("view", "Welfare check")


def test_another_organisations_child_is_404_exactly_like_no_child(world):
    for who in ("kent", "leeds"):
        not_ours = world.api(who).get(f"/children/{world.ada.id}")
        missing = world.api(who).get(f"/children/{uuid.uuid4()}")
        assert not_ours.status_code == missing.status_code == 404, who
        assert not_ours.content == missing.content, who
    assert not AccessRecord.objects.exists()


def test_an_id_that_is_not_a_uuid_names_the_field(world):
    response = world.api("manchester").get("/children/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "child_id"


def test_paging_beyond_the_bounds_is_a_validation_error(world):
    response = world.api("manchester").get("/children", {"offset": 10**30})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "offset"


def test_a_purpose_with_control_characters_is_refused_naming_the_field(world):
    """Found by Schemathesis on PostgreSQL: a NUL in the purpose was a server error (the
    access log's text column cannot hold it)."""
    for purpose in ("Welfare\x00check", "Welfare\x07check"):
        response = world.api("gmp").get(f"/children/{world.ada.id}", {"purpose": purpose})
        assert response.status_code == 422, purpose
        error = response.json()["errors"][0]
        assert error["field"] == "purpose"
        assert "control characters" in error["message"]
    assert not AccessRecord.objects.exists()


def test_the_record_carries_its_contacts_recorded_or_not(world):
    """Issue 14: the same contacts as the record page, each with when it was last
    confirmed; one not kept says why and who can add it."""
    from sightline.organisations.models import Role
    from sightline.placements.contacts import organisation_contact_set
    from tests import factories

    admin = factories.user(world.gmp, Role.ADMINISTRATOR)
    organisation_contact_set(
        actor=admin,
        organisation=world.gmp,
        role="police_spoc",
        name="Missing from care coordinator",
        phone="0161 496 0400",
    )
    body = world.api("gmp").get(f"/children/{world.ada.id}").json()
    contacts = {c["role"]: c for c in body["contacts"]}
    assert list(contacts) == [
        "social_worker",
        "team_manager",
        "home_manager",
        "out_of_hours",
        "police_spoc",
        "return_interviews",
    ]
    spoc = contacts["police_spoc"]
    assert spoc["recorded"] and spoc["phone"] == "0161 496 0400"
    assert spoc["kept_by"] == world.gmp.name and spoc["last_confirmed_at"]
    assert spoc["missing"] == ""
    home = contacts["home_manager"]
    assert not home["recorded"] and home["name"] is None
    assert "Brightwater Care Ltd can add it" in home["missing"]
