"""Return home interviews through the API: listed for the interviewing service, read, offered,
accepted, held (with what was found), information added; nobody else reaches them.

Ada (placed by Manchester in Larch House, a Brightwater home in Stockport) goes missing and
comes back; Manchester, the placing council, is the interviewing service (the default).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import ValidationError
from sightline.missing.models import InterviewStatus, ReturnInterview
from sightline.missing.services import interview_complete
from tests.api.test_missing import iso, report_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def interview(world) -> dict[str, Any]:
    """Ada reported missing and back, by the home, through the API."""
    home = world.api("brightwater")
    episode = home.post("/missing-episodes", report_body(world)).json()
    closed = home.post(
        f"/missing-episodes/{episode['id']}/close",
        {
            "returned_at": iso(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)),
            "place": "Home",
            "found_by": "self",
        },
    )
    assert closed.status_code == 200, closed.content
    listed = world.api("manchester").get("/return-interviews")
    assert listed.status_code == 200, listed.content
    (item,) = listed.json()["items"]
    assert item["episode_ids"] == [episode["id"]]
    return item


def complete_body(**changes: Any) -> dict[str, Any]:
    body = {
        "completed_at": iso(dt.datetime.now(dt.UTC)),
        "interviewer_name": "An independent worker",
        "independent": True,
        "push_factors": "Arguments about phone time",
        "child_words": "I just wanted to see my friends",
        "people": [{"description": "An older friend", "relationship": "Friend"}],
        "places": [{"description": "The shopping centre", "postcode": "SK1 1AA"}],
    }
    body.update(changes)
    return body


def test_the_interviewing_service_records_the_interview_through_the_api(world, interview):
    api = world.api("manchester")
    assert interview["status"] == "to_offer"
    assert interview["child"]["id"] == str(world.ada.id)
    assert interview["service_name"] == world.manchester.name
    assert "child_words" not in interview  # a list says what to do, not what was said

    offered = api.post(f"/return-interviews/{interview['id']}/offer", {})
    assert offered.status_code == 200, offered.content
    assert offered.json()["status"] == "offered"
    assert api.post(f"/return-interviews/{interview['id']}/accept", {}).json()["status"] == (
        "accepted"
    )
    done = api.post(
        f"/return-interviews/{interview['id']}/complete",
        complete_body(),
        **{"Idempotency-Key": "interview-1"},
    )
    assert done.status_code == 200, done.content
    answer = done.json()
    assert (answer["status"], answer["independent"]) == ("completed", True)
    assert answer["child_words"] == "I just wanted to see my friends"
    assert answer["people"][0]["description"] == "An older friend"
    assert answer["places"][0]["postcode"] == "SK1 1AA"

    row = ReturnInterview.objects.get(pk=interview["id"])
    assert row.status == InterviewStatus.COMPLETED
    assert row.interviewer_name == "An independent worker"
    statuses = list(
        AuditEvent.objects.filter(
            verb=AuditVerb.INTERVIEW_RECORDED, object_id=interview["id"]
        ).values_list("payload__status", flat=True)
    )
    assert statuses == ["offered", "accepted", "completed"]
    # A retry of the same request gets the same answer; nothing is recorded twice.
    again = api.post(
        f"/return-interviews/{interview['id']}/complete",
        complete_body(completed_at=answer["completed_at"]),
        **{"Idempotency-Key": "interview-2"},
    )
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "status"

    got = api.get(f"/return-interviews/{interview['id']}")
    assert got.status_code == 200
    assert got.json()["push_factors"] == "Arguments about phone time"


def test_the_home_adds_information_but_cannot_record_the_interview(world, interview):
    home = world.api("brightwater")
    added = home.post(
        f"/return-interviews/{interview['id']}/information",
        {"text": "Came back hungry and tired", "supplied_by": "Night staff"},
    )
    assert added.status_code == 201, added.content
    assert added.json()["recorded_by_organisation"] == world.brightwater.name
    assert AuditEvent.objects.filter(verb=AuditVerb.INTERVIEW_INFORMATION_ADDED).count() == 1
    refused = home.post(f"/return-interviews/{interview['id']}/offer", {})
    assert refused.status_code == 404
    assert ReturnInterview.objects.get(pk=interview["id"]).status == InterviewStatus.TO_OFFER


@pytest.mark.parametrize("who", ["kent", "leeds"])
def test_another_organisation_gets_404_for_the_interview(world, interview, who):
    api = world.api(who)
    assert api.get("/return-interviews").json()["items"] == []
    for response in (
        api.get(f"/return-interviews/{interview['id']}"),
        api.post(f"/return-interviews/{interview['id']}/offer", {}),
        api.post(f"/return-interviews/{interview['id']}/complete", complete_body()),
    ):
        assert response.status_code == 404
        assert response.json()["errors"][0]["message"].startswith("Not found")
    assert ReturnInterview.objects.get(pk=interview["id"]).status == InterviewStatus.TO_OFFER


def test_the_same_bad_input_is_refused_by_the_api_and_the_service_alike(world, interview):
    """Not independent, and no reason why: the service's rule, named by field and record."""
    response = world.api("manchester").post(
        f"/return-interviews/{interview['id']}/complete", complete_body(independent=False)
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "not_independent_reason"
    assert error["record"] == f"Return interview {interview['id']}"
    with pytest.raises(ValidationError) as refused:
        interview_complete(
            actor=world.manchester.users.filter(username__startswith="api:").get(),
            interview=ReturnInterview.objects.get(pk=interview["id"]),
            completed_at=dt.datetime.now(dt.UTC),
            independent=False,
            interviewer_name="An independent worker",
        )
    assert (refused.value.field, refused.value.message) == (
        "not_independent_reason",
        error["message"],
    )
    assert ReturnInterview.objects.get(pk=interview["id"]).status == InterviewStatus.TO_OFFER
