"""Missing episodes through the API: report, update, close, and who is missing now.

Ada (placed by Manchester in Larch House, a Brightwater home in Stockport) goes missing.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sightline.access.models import AccessGrant
from sightline.missing.models import Episode, EpisodeUpdate
from sightline.notifications.models import Notice

pytestmark = pytest.mark.django_db


def iso(at: dt.datetime) -> str:
    return at.isoformat()


def report_body(world, **changes):
    body = {
        "child_id": str(world.ada.id),
        "kind": "missing",
        "last_seen_at": iso(dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)),
        "last_seen_place": "Leaving Larch House by the back gate",
        "clothing": "Green coat",
        "reported_to_police": True,
        "police_reference": "GMP-1234",
        "risk_grade": "medium",
        "risk_grade_supplied_by": "PC Example",
    }
    body.update(changes)
    return body


@pytest.fixture
def episode(world):
    response = world.api("brightwater").post("/missing-episodes", report_body(world))
    assert response.status_code == 201, response.content
    return response.json()


def test_the_home_reports_a_child_missing_and_every_agency_is_alerted(world, episode):
    assert episode["child"]["id"] == str(world.ada.id)
    assert (episode["kind"], episode["missing_code"]) == ("missing", "M")
    assert episode["risk_grade"]["code"] == "medium"
    assert episode["host_police_force"]["code"] == "E23000005"
    alerted = {a["recipient"] for a in episode["alerts"] if a["event"] == "reported"}
    assert alerted == {world.manchester.name, world.stockport.name, world.gmp.name}
    row = Episode.objects.get(pk=episode["id"])
    assert row.reported_by.username.startswith("api:")
    assert row.reported_by_organisation == world.brightwater
    # The police's time-boxed grant to the safety profile is open.
    assert AccessGrant.objects.filter(
        organisation=world.gmp, child=world.ada, about_id=row.id, ends_at__isnull=True
    ).exists()
    # The alert reached the police's inbox through the notice engine.
    references = {a["reference"] for a in episode["alerts"]}
    inbox = world.api("gmp").get("/notices").json()["items"]
    assert references & {n["reference"] for n in inbox}


def test_missing_now_lists_the_episode_for_the_involved_organisations_only(world, episode):
    for who in ("manchester", "stockport", "gmp", "brightwater"):
        items = world.api(who).get("/missing-now").json()["items"]
        assert [i["id"] for i in items] == [episode["id"]], who
        assert items[0]["hours_missing"] >= 2
    for who in ("kent", "leeds"):
        assert world.api(who).get("/missing-now").json() == {"items": [], "count": 0}, who


def test_updates_are_appended_with_who_supplied_them(world, episode):
    response = world.api("gmp").post(
        f"/missing-episodes/{episode['id']}/updates",
        {"kind": "risk_change", "risk_grade": "high", "supplied_by": "Duty inspector"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["risk_grade"]["code"] == "high"
    sighting = world.api("brightwater").post(
        f"/missing-episodes/{episode['id']}/updates",
        {"kind": "sighting", "text": "Seen at the bus station", "supplied_by": "Shop keeper"},
    )
    assert sighting.status_code == 201
    assert EpisodeUpdate.objects.filter(episode_id=episode["id"]).count() == 2


def test_risk_grade_is_the_current_grade_with_its_history_everywhere(world, episode):
    # The report's grade is the first entry of the history, recorded by the home.
    assert [
        (h["grade"]["code"], h["supplied_by"], h["by_organisation"])
        for h in (episode["risk_grade_history"])
    ] == [("medium", "PC Example", world.brightwater.name)]
    response = world.api("gmp").post(
        f"/missing-episodes/{episode['id']}/updates",
        {"kind": "risk_change", "risk_grade": "high", "supplied_by": "Duty inspector"},
    )
    assert response.status_code == 201, response.content

    # Missing now and the episode (here, the answer to closing it) show the current grade,
    # as the web pages do, with the grade at the report kept in the history.
    item = world.api("manchester").get("/missing-now").json()["items"][0]
    closed = world.api("brightwater").post(
        f"/missing-episodes/{episode['id']}/close",
        {"returned_at": iso(dt.datetime.now(dt.UTC)), "place": "Home", "found_by": "self"},
    )
    assert closed.status_code == 200, closed.content
    for answer in (item, closed.json()):
        assert answer["risk_grade"]["code"] == "high"
        history = answer["risk_grade_history"]
        assert [(h["grade"]["code"], h["supplied_by"], h["by_organisation"]) for h in history] == [
            ("medium", "PC Example", world.brightwater.name),
            ("high", "Duty inspector", world.gmp.name),
        ]
        assert history[0]["at"] <= history[1]["at"]
        assert history[-1]["grade"] == answer["risk_grade"]


def test_an_episode_reported_without_a_grade_has_none_and_no_history(world):
    response = world.api("brightwater").post(
        "/missing-episodes", report_body(world, risk_grade=None, risk_grade_supplied_by="")
    )
    assert response.status_code == 201, response.content
    assert (response.json()["risk_grade"], response.json()["risk_grade_history"]) == (None, [])
    item = world.api("gmp").get("/missing-now").json()["items"][0]
    assert (item["risk_grade"], item["risk_grade_history"]) == (None, [])


def test_a_risk_grade_without_who_supplied_it_is_refused_and_names_the_field(world):
    notices = Notice.objects.count()
    response = world.api("brightwater").post(
        "/missing-episodes", report_body(world, risk_grade_supplied_by="  ")
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "risk_grade_supplied_by",
            "record": f"Child {world.ada.child_ref}",
            "message": "Enter who gave the risk grade.",
        }
    ]
    assert not Episode.objects.exists()
    assert Notice.objects.count() == notices


def test_closing_records_the_return_and_sends_child_safe_alerts(world, episode):
    before = Notice.objects.count()
    response = world.api("brightwater").post(
        f"/missing-episodes/{episode['id']}/close",
        {
            "returned_at": iso(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)),
            "where_postcode": "M1 1AE",
            "found_by": "police",
            "condition": "Tired, unhurt",
        },
    )

    assert response.status_code == 200, response.content
    closed = response.json()
    assert closed["returned_at"] is not None
    assert closed["found_outside_host_area"] is True  # Manchester, not Stockport
    assert closed["found_in_other_force_area"] is False  # still Greater Manchester Police
    assert {a["event"] for a in closed["alerts"]} == {"reported", "closed"}
    assert Notice.objects.count() > before
    assert world.api("gmp").get("/missing-now").json()["count"] == 0


def test_a_bad_postcode_on_return_names_the_field(world, episode):
    response = world.api("brightwater").post(
        f"/missing-episodes/{episode['id']}/close",
        {
            "returned_at": iso(dt.datetime.now(dt.UTC)),
            "where_postcode": "ZZ99 9ZZ",
            "found_by": "self",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "where_postcode"


def test_a_misspelt_field_is_refused_and_named_not_dropped(world, episode):
    response = world.api("brightwater").post(
        f"/missing-episodes/{episode['id']}/close",
        {
            "returned_at": iso(dt.datetime.now(dt.UTC)),
            "found_postcode": "SK1 3TA",
            "found_by": "self",
        },
    )
    assert response.status_code == 422
    assert {
        "field": "found_postcode",
        "record": None,
        "message": ("Remove this field: the operation does not take it. Check its spelling."),
    } in response.json()["errors"]
    assert Episode.objects.get().returned_at is None


def test_another_organisations_child_or_episode_is_404_exactly_like_none(world, episode):
    for who in ("kent", "leeds"):
        api = world.api(who)
        theirs = api.post("/missing-episodes", report_body(world))
        none = api.post("/missing-episodes", report_body(world, child_id=str(uuid.uuid4())))
        assert theirs.status_code == none.status_code == 404, who
        assert theirs.content == none.content, who
        update = {"kind": "information", "text": "x", "supplied_by": "y"}
        theirs = api.post(f"/missing-episodes/{episode['id']}/updates", update)
        none = api.post(f"/missing-episodes/{uuid.uuid4()}/updates", update)
        assert theirs.status_code == none.status_code == 404, who
        assert theirs.content == none.content, who
    assert Episode.objects.count() == 1
    assert not EpisodeUpdate.objects.exists()


def test_a_report_is_idempotent(world):
    api = world.api("brightwater")
    body = report_body(world)
    first = api.post("/missing-episodes", body, **{"Idempotency-Key": "report-ada-1"})
    again = api.post("/missing-episodes", body, **{"Idempotency-Key": "report-ada-1"})
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert Episode.objects.count() == 1


def test_a_time_without_a_time_zone_names_the_field(world):
    response = world.api("brightwater").post(
        "/missing-episodes", report_body(world, last_seen_at="2026-01-05T21:30:00")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "last_seen_at"


def test_a_time_out_of_range_is_refused_plainly(world):
    response = world.api("brightwater").post(
        "/missing-episodes", report_body(world, last_seen_at="0001-01-01T00:00:00Z")
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "last_seen_at",
            "record": None,
            "message": "Enter a date between 1900 and 2999.",
        }
    ]
