"""GET /notices and POST /notices/{id}/acknowledge."""

from __future__ import annotations

import uuid

import pytest

from sightline.notifications.models import Notice, NoticeEvent

pytestmark = pytest.mark.django_db


def test_an_organisation_lists_the_notices_it_received(world):
    stockport = world.api("stockport").get("/notices").json()
    assert stockport["count"] == 1
    [notice] = stockport["items"]
    assert notice["child_name"] == "Ada A."
    assert notice["setting_name"] == "Larch House"
    assert notice["kind"] == "placement"
    assert notice["acknowledged_at"] is None
    # The sender and uninvolved organisations receive none.
    for who in ("manchester", "kent", "leeds"):
        assert world.api(who).get("/notices").json() == {"items": [], "count": 0}, who


def test_acknowledging_a_notice_records_the_key_and_when_once(world):
    notice = Notice.objects.get(recipient=world.stockport)
    api = world.api("stockport")

    first = api.post(f"/notices/{notice.id}/acknowledge")

    assert first.status_code == 200, first.content
    body = first.json()
    assert body["acknowledged_at"] is not None
    assert body["acknowledged_by"] == "API key stockport test"
    notice.refresh_from_db()
    assert notice.acknowledged_by.username.startswith("api:")
    again = api.post(f"/notices/{notice.id}/acknowledge")
    assert again.json()["acknowledged_at"] == body["acknowledged_at"]
    assert NoticeEvent.objects.filter(notice=notice, event="acknowledged").count() == 1
    assert api.get("/notices", {"acknowledged": "false"}).json()["count"] == 0
    assert api.get("/notices", {"acknowledged": "true"}).json()["count"] == 1


def test_only_the_recipient_may_acknowledge_and_others_see_404_as_for_no_notice(world):
    notice = Notice.objects.get(recipient=world.stockport)
    for who in ("manchester", "kent", "leeds", "brightwater"):
        # Manchester sent it; Brightwater is involved with the child; neither received it.
        theirs = world.api(who).post(f"/notices/{notice.id}/acknowledge")
        missing = world.api(who).post(f"/notices/{uuid.uuid4()}/acknowledge")
        assert theirs.status_code == missing.status_code == 404, who
        assert theirs.content == missing.content, who
    notice.refresh_from_db()
    assert notice.acknowledged_at is None
