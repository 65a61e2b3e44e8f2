"""Idempotency-Key: the same key and request get the first answer again; nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sightline.api.models import IdempotencyRecord
from sightline.children.models import Child
from sightline.notifications.models import Notice
from sightline.placements.models import Placement

pytestmark = pytest.mark.django_db

KEY = "0d6c4c1e-6a7e-4a4a-9f55-3f7b2f9d1c01"


def placement_body(world, ref="MAN500"):
    return {
        "child_ref": ref,
        "first_name": "Fay",
        "last_name": "Fairclough",
        "date_of_birth": "2012-04-05",
        "sex": "F",
        "setting_id": str(world.larch_house.id),
        "start_date": "2025-04-07",
        "place_type": "K2",
        "home_postcode": "M1 1AE",
    }


def test_a_retry_gets_the_first_answer_and_writes_nothing_twice(world):
    api = world.api("manchester")
    first = api.post("/placements", placement_body(world), **{"Idempotency-Key": KEY})
    assert first.status_code == 201, first.content
    counts = (Child.objects.count(), Placement.objects.count(), Notice.objects.count())

    # The same JSON, keys in another order and spaced differently.
    again = api.client.post(
        "/api/v1/placements",
        '{"start_date": "2025-04-07",  "child_ref": "MAN500", "first_name": "Fay", '
        '"last_name": "Fairclough", "date_of_birth": "2012-04-05", "sex": "F", '
        f'"setting_id": "{world.larch_house.id}", "place_type": "K2", '
        '"home_postcode": "M1 1AE"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.keys['manchester']}", "Idempotency-Key": KEY},
    )

    assert again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert (Child.objects.count(), Placement.objects.count(), Notice.objects.count()) == counts
    record = IdempotencyRecord.objects.get()
    assert (record.organisation, record.key, record.method) == (world.manchester, KEY, "POST")
    assert (record.path, record.response_status) == ("/api/v1/placements", 201)


def test_the_same_key_with_a_different_request_is_refused(world):
    api = world.api("manchester")
    api.post("/placements", placement_body(world), **{"Idempotency-Key": KEY})

    other = api.post("/placements", placement_body(world, ref="MAN501"), **{"Idempotency-Key": KEY})

    assert other.status_code == 422
    [error] = other.json()["errors"]
    assert error["field"] == "Idempotency-Key"
    assert "different request" in error["message"]
    assert not Child.objects.filter(child_ref="MAN501").exists()


def test_a_failed_request_does_not_spend_the_key(world):
    api = world.api("manchester")
    bad = {**placement_body(world), "home_postcode": "ZZ99 9ZZ"}
    assert api.post("/placements", bad, **{"Idempotency-Key": KEY}).status_code == 422
    assert not IdempotencyRecord.objects.exists()

    corrected = api.post("/placements", placement_body(world), **{"Idempotency-Key": KEY})

    assert corrected.status_code == 201


def test_keys_belong_to_one_organisation(world):
    notice = Notice.objects.get(recipient=world.stockport)
    world.api("manchester").post("/placements", placement_body(world), **{"Idempotency-Key": KEY})

    other_org = world.api("stockport").post(
        f"/notices/{notice.id}/acknowledge", **{"Idempotency-Key": KEY}
    )

    assert other_org.status_code == 200
    assert IdempotencyRecord.objects.count() == 2


def test_an_answer_is_replayed_only_to_the_key_that_wrote_it(world):
    """Another key of the same organisation, with a role that may not record placements,
    must not get the stored answer (the child, the setting, the distance) by reusing the
    Idempotency-Key: it is refused, and nothing is written."""
    from sightline.organisations.models import Role

    world.key("manchester-analyst", world.manchester, Role.ANALYST)
    first = world.api("manchester").post(
        "/placements", placement_body(world), **{"Idempotency-Key": KEY}
    )
    assert first.status_code == 201
    direct = world.api("manchester-analyst").post("/placements", placement_body(world))
    assert direct.status_code in (403, 404)
    replay = world.api("manchester-analyst").post(
        "/placements", placement_body(world), **{"Idempotency-Key": KEY}
    )
    assert replay.status_code == 422
    assert replay.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "Fairclough" not in replay.content.decode()
    assert Placement.objects.filter(child__child_ref="MAN500").count() == 1


def test_keys_expire_after_24_hours(world):
    api = world.api("manchester")
    start = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        api.post("/placements", placement_body(world), **{"Idempotency-Key": KEY})
    with time_machine.travel(start + dt.timedelta(hours=23, minutes=59), tick=False):
        replay = api.post(
            "/placements", placement_body(world, ref="MAN502"), **{"Idempotency-Key": KEY}
        )
        assert replay.status_code == 422  # still held: a different request
    with time_machine.travel(start + dt.timedelta(hours=24, minutes=1), tick=False):
        fresh = api.post(
            "/placements", placement_body(world, ref="MAN502"), **{"Idempotency-Key": KEY}
        )
        assert fresh.status_code == 201, fresh.content
    assert IdempotencyRecord.objects.get().response_body == fresh.content.decode()


def test_the_worker_forgets_expired_keys(world):
    from django.core.management import call_command

    api = world.api("manchester")
    start = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        api.post("/placements", placement_body(world), **{"Idempotency-Key": KEY})
    with time_machine.travel(start + dt.timedelta(hours=23), tick=False):
        call_command("worker", batch=True, verbosity=0)
    assert IdempotencyRecord.objects.count() == 1
    with time_machine.travel(start + dt.timedelta(hours=24, minutes=1), tick=False):
        call_command("worker", batch=True, verbosity=0)
    assert not IdempotencyRecord.objects.exists()


def test_a_malformed_key_names_the_header(world):
    response = world.api("manchester").post(
        "/placements", placement_body(world), **{"Idempotency-Key": "x" * 256}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Child.objects.filter(child_ref="MAN500").exists()


def test_every_write_operation_honours_the_key():
    from sightline.api.main import operations

    writes = [(m, p, f) for m, p, f in operations() if m in {"POST", "PUT", "PATCH", "DELETE"}]
    assert writes
    for method, path, func in writes:
        assert getattr(func, "sightline_idempotent", False), f"{method} {path}"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_write_once(request):
    """PostgreSQL: the second request waits on the key's unique constraint, then replays."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    world = request.getfixturevalue("world")
    body = placement_body(world, ref="MAN900")
    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            barrier.wait()
            answers.append(
                world.api("manchester").post("/placements", body, **{"Idempotency-Key": KEY})
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].content == answers[1].content
    assert Child.objects.filter(child_ref="MAN900").count() == 1
    assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 1
