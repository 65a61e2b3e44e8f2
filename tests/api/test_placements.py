"""POST /placements: the same service as the web form, with its notices, through an API key."""

from __future__ import annotations

import uuid

import pytest

from sightline.access.models import AccessRecord
from sightline.children.models import Child
from sightline.notifications.models import Notice
from sightline.placements.models import Placement, Setting
from tests.api.conftest import World

pytestmark = pytest.mark.django_db

NEW_CHILD = {
    "child_ref": "MAN777",
    "first_name": "Eli",
    "last_name": "Entwistle",
    "date_of_birth": "2011-02-03",
    "sex": "M",
}


def body(world: World, **changes):
    data = {
        **NEW_CHILD,
        "setting_id": str(world.larch_house.id),
        "start_date": "2025-03-03",
        "place_type": "K2",
        "place_provider": "PR4",
        "home_postcode": "M1 1AE",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_placing_council_records_a_placement_of_a_new_child(world):
    response = world.api("manchester").post("/placements", body(world))

    assert response.status_code == 201, response.content
    answer = response.json()
    placement = Placement.objects.get(pk=answer["id"])
    child = Child.objects.get(pk=answer["child_id"])
    assert (child.child_ref, child.placing_council_id) == ("MAN777", world.manchester.council_id)
    assert placement.setting == world.larch_house
    assert answer["host_council"] == {
        "ons_code": "E08000007",
        "dfe_code": "356",
        "name": "Stockport",
    }
    assert answer["host_police_force"]["code"] == "E23000005"
    assert answer["distance_miles"] == float(placement.distance_miles)
    assert answer["distance_miles"] > 3
    assert answer["out_of_area"] is True
    # The placement notices went to the host council and police, as from the web form.
    notices = Notice.objects.filter(subject_id=placement.id)
    assert {n.recipient for n in notices} == {world.stockport, world.gmp}
    assert sorted(n["reference"] for n in answer["notices"]) == sorted(n.reference for n in notices)
    # Recorded by the key's own service user.
    assert placement.recorded_by.username.startswith("api:")
    assert placement.recorded_by.organisation == world.manchester
    assert {n.created_by for n in notices} == {placement.recorded_by}


def test_a_new_setting_and_an_existing_child(world):
    payload = body(
        world,
        child_ref=None,
        first_name=None,
        last_name=None,
        date_of_birth=None,
        sex=None,
        child_id=str(world.ada.id),
        setting_id=None,
        setting_name="Birch Lodge",
        setting_postcode="CT1 2EH",
        setting_sector="private",
        setting_urn="SC999001",
        setting_provider_id=str(world.seaview.id),
        start_date="2025-06-02",
    )
    # Kent does not adjoin Manchester: a distant placement (ADR 51) needs the director's
    # approval and the host council's consultation, or it is refused.
    response = world.api("manchester").post("/placements", payload)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "decision.reasons"
    payload["decision"] = {
        "reasons": "The only home that can meet the child's needs.",
        "director": {"name": "A Director", "decided_on": "2025-05-30", "outcome": "approved"},
        "consultation": {
            "with_whom": "Kent's children's services duty manager",
            "on": "2025-05-29",
            "outcome": "Kent agreed",
        },
    }
    response = world.api("manchester").post("/placements", payload)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["child_id"] == str(world.ada.id)
    setting = Setting.objects.get(urn="SC999001")
    assert (setting.name, setting.provider) == ("Birch Lodge", world.seaview)
    assert answer["host_council"]["name"] == "Kent"
    # The earlier placement ended the day this one started.
    assert world.ada.placements.get(setting=world.larch_house).end_date.isoformat() == "2025-06-02"
    # Using an existing child goes through the access policy and is on the record.
    assert AccessRecord.objects.filter(
        child=world.ada, user__username__startswith="api:", action="record placement"
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"home_postcode": "ZZ99 9ZZ"},
            "home_postcode",
            'We cannot find the postcode "ZZ99 9ZZ"',
        ),
        (
            {
                "setting_id": None,
                "setting_name": "Rowan House",
                "setting_postcode": "NOT A PC",
                "setting_sector": "private",
            },
            "setting_postcode",
            "Enter a real postcode",
        ),
    ],
)
def test_a_bad_postcode_names_the_field_with_a_plain_message(world, changes, field, message):
    before = (Child.objects.count(), Placement.objects.count(), Setting.objects.count())

    response = world.api("manchester").post("/placements", body(world, **changes))

    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["message"].startswith(message), error["message"]
    # Nothing was written: child, setting and placement go together or not at all.
    assert (Child.objects.count(), Placement.objects.count(), Setting.objects.count()) == before


def test_ninja_validation_errors_have_the_same_shape_and_name_the_field(world):
    payload = body(world, place_type="XX")
    del payload["start_date"]

    response = world.api("manchester").post("/placements", payload)

    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"start_date", "place_type"}
    assert errors["start_date"]["message"] == "Enter a value: this field is required."
    assert errors["place_type"]["record"] is None
    assert "'K2'" in errors["place_type"]["message"]


def test_a_body_that_is_not_json_is_a_bad_request(world):
    response = world.api("manchester").client.post(
        "/api/v1/placements",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.keys['manchester']}"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": None, "record": None, "message": "The request body must be JSON."}]
    }


def test_a_role_that_cannot_place_is_refused(world):
    for who in ("gmp", "brightwater", "stockport"):
        response = world.api(who).post("/placements", body(world))
        assert response.status_code == 403, who
        assert response.json()["errors"][0]["message"] == (
            "Your key's role cannot record placements."
        )
    assert not Child.objects.filter(child_ref="MAN777").exists()


def test_another_councils_child_looks_exactly_like_no_child(world):
    no_child = dict(body(world, child_id=str(uuid.uuid4())))
    kents_child = dict(body(world, child_id=str(world.cat.id)))
    for payload in (no_child, kents_child):
        for k in NEW_CHILD:
            payload.pop(k)

    missing = world.api("manchester").post("/placements", no_child)
    not_ours = world.api("manchester").post("/placements", kents_child)

    assert missing.status_code == not_ours.status_code == 404
    assert missing.content == not_ours.content
    assert missing.json()["errors"][0]["field"] == "child_id"
    assert world.cat.placements.count() == 1


def test_both_a_child_id_and_new_child_details_is_an_error(world):
    response = world.api("manchester").post("/placements", body(world, child_id=str(world.ada.id)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "child_id"
