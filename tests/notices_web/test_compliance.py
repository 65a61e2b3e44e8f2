"""Compliance views and their CSV downloads: the right figures, the right columns, no names."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client

from sightline.notifications.services import notice_acknowledge, notice_policy_set
from sightline.organisations.models import Role
from sightline.placements.admissions import admission_record
from sightline.placements.compliance import LearnedLate
from sightline.placements.notices import (
    PlacementNoticeKind,
    notices_for_admission,
    notices_for_placement_recorded,
)
from tests import factories
from tests.notices_web.conftest import (
    DATE_OF_BIRTH,
    SURNAME,
    WEST_YORKSHIRE,
    World,
    make_child,
    record,
    signed_in,
    squash,
    tag,
    user,
)

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)

PLACING_PLACEMENTS = [
    "placement_id",
    "child_id",
    "child_ref",
    "placing_council_code",
    "host_council",
    "host_council_code",
    "host_police_force",
    "start_date",
    "end_date",
    "emergency",
    "host_notice_reference",
    "host_notice_due",
    "host_notice_sent",
    "host_notice_on_time",
    "host_notice_acknowledged",
    "host_notice_status",
    "police_notice_reference",
    "police_notice_sent",
    "police_notice_acknowledged",
    "police_notice_status",
    "host_notice_acknowledged_by",
]
PLACING_MONTHS = [
    "month",
    "month_name",
    "due",
    "sent_on_time",
    "sent_late",
    "not_sent",
    "acknowledged",
    "overdue",
    "percent_on_time",
]
HOST_PLACEMENTS = [
    "placement_id",
    "child_id",
    "child_ref",
    "placing_council",
    "placing_council_code",
    "setting_urn",
    "start_date",
    "end_date",
    "placing_notice_reference",
    "placing_notice_due",
    "placing_notice_received",
    "placing_notice_acknowledged",
    "admission_notice_reference",
    "admission_notice_received",
    "admission_notice_acknowledged",
    "learned",
    "learned_late_reason",
]
RECEIVED_MONTHS = [
    "month",
    "month_name",
    "received",
    "acknowledged",
    "acknowledged_on_time",
    "awaiting",
    "overdue",
    "percent_acknowledged_on_time",
]
POLICE_PLACEMENTS = [
    "placement_id",
    "child_id",
    "child_ref",
    "placing_council",
    "placing_council_code",
    "host_council",
    "host_council_code",
    "start_date",
    "end_date",
    "notice_reference",
    "notice_received",
    "notice_acknowledged",
    "notice_status",
]


def download(client: Client, table: str) -> list[dict[str, str]]:
    response = client.get("/compliance/", {"table": table, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="sightline-{table}-')
    text = response.content.decode()
    for personal in ("Robin", "Sam", SURNAME, DATE_OF_BIRTH.isoformat(), "17/03/2011"):
        assert personal not in text, personal
    return list(csv.DictReader(io.StringIO(text)))


def header(client: Client, table: str) -> list[str]:
    response = client.get("/compliance/", {"table": table, "format": "csv"})
    return next(csv.reader(io.StringIO(response.content.decode())))


def test_placing_council_figures_by_month_and_placement(world: World, frozen):
    # A placement recorded after it started (not an emergency): both notices are late.
    late = record(make_child(first_name="Sam"), world.setting, start=dt.date(2026, 1, 2))
    # Placements recorded as history send no notice: due, and not sent.
    unsent = record(
        make_child(first_name="Sam"), world.setting, start=dt.date(2026, 1, 20), send_notices=False
    )
    # Stockport acknowledges Robin's notice the next day; nothing else is acknowledged.
    frozen.move_to(dt.datetime(2026, 1, 6, 9, 0, tzinfo=dt.UTC))
    notice_acknowledge(
        notice=world.host_notice, actor=user(world.stockport, Role.MISSING_COORDINATOR)
    )
    frozen.move_to(TODAY)
    client = signed_in(user(world.southwark, Role.TEAM_MANAGER))

    response = client.get("/compliance/")
    assert response.status_code == 200
    html = squash(response.content.decode())
    assert "<title>Compliance – Sightline</title>" in html
    assert "As the placing council" in html
    assert "from 1 March 2025 to 10 February 2026" in html
    assert "Children we placed outside our area" in html
    assert "Download this table (CSV)" in html
    assert tag("Not sent", "red") in html
    assert tag("Acknowledged", "green") in html

    assert header(client, "placing-months") == PLACING_MONTHS
    months = {row["month"]: row for row in download(client, "placing-months")}
    assert list(months)[:2] == ["2026-02", "2026-01"]
    assert len(months) == 12
    assert months["2026-01"] == {
        "month": "2026-01",
        "month_name": "January 2026",
        "due": "5",  # Robin's 2 notices, the late placement's 2, the unsent placement
        "sent_on_time": "2",
        "sent_late": "2",
        "not_sent": "1",
        "acknowledged": "1",
        "overdue": "3",
        "percent_on_time": "40.0",
    }
    assert months["2025-12"]["due"] == "0"
    assert months["2025-12"]["percent_on_time"] == ""

    assert header(client, "placing-placements") == PLACING_PLACEMENTS
    rows = {row["placement_id"]: row for row in download(client, "placing-placements")}
    assert set(rows) == {str(world.placement.id), str(late.id), str(unsent.id)}
    robin = rows[str(world.placement.id)]
    assert robin["child_ref"] == world.robin.child_ref
    assert robin["placing_council_code"] == "E09000028"
    assert robin["host_council"] == "Stockport"
    assert robin["host_police_force"] == "Greater Manchester"
    assert robin["start_date"] == "2026-01-12"
    assert robin["host_notice_due"] == "2026-01-12T00:00:00+00:00"
    assert robin["host_notice_sent"] == "2026-01-05T10:00:00+00:00"
    assert robin["host_notice_on_time"] == "Yes"
    assert robin["host_notice_acknowledged"] == "2026-01-06T09:00:00+00:00"
    assert robin["host_notice_status"] == "Acknowledged"
    assert robin["police_notice_status"] == "Overdue"
    assert rows[str(late.id)]["host_notice_on_time"] == "No"
    assert rows[str(unsent.id)]["host_notice_status"] == "Not sent"
    assert rows[str(unsent.id)]["host_notice_reference"] == ""


def test_host_council_learns_late_when_a_notice_is_missing_or_the_home_is_first(
    world: World, frozen
):
    manager = user(world.brightwater, Role.HOME_MANAGER)
    # In time: the placing council's notice (recorded 5 January), then the home's admission.
    in_time = record(make_child(), world.setting)
    frozen.move_to(dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC))
    admission_record(actor=manager, placement=in_time)
    # The home's notice first: a placement recorded as history, admitted, then notified.
    home_first = record(make_child(), world.setting, start=dt.date(2026, 1, 12), send_notices=False)
    admission_record(actor=manager, placement=home_first)
    frozen.move_to(dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC))
    notices_for_placement_recorded(placement=home_first, actor=None)
    # Only the home told the host council.
    home_only = record(make_child(), world.setting, start=dt.date(2026, 1, 12), send_notices=False)
    notices_for_admission(placement=home_only, actor=None)
    # Nobody told it.
    neither = record(make_child(), world.setting, start=dt.date(2026, 1, 12), send_notices=False)
    # Robin: the placing council told it, the home did not.
    frozen.move_to(TODAY)
    client = signed_in(user(world.stockport, Role.MISSING_COORDINATOR))

    assert header(client, "host-placements") == HOST_PLACEMENTS
    rows = {row["placement_id"]: row for row in download(client, "host-placements")}
    expected = {
        in_time.id: ("In time", ""),
        home_first.id: ("Learned late", LearnedLate.HOME_FIRST),
        home_only.id: ("Learned late", LearnedLate.NO_PLACING_NOTICE),
        neither.id: ("Learned late", LearnedLate.NEITHER),
        world.placement.id: ("Learned late", LearnedLate.NO_ADMISSION_NOTICE),
    }
    assert {k: (v["learned"], v["learned_late_reason"]) for k, v in rows.items()} == {
        str(k): (a, str(b)) for k, (a, b) in expected.items()
    }
    first = rows[str(home_first.id)]
    assert first["admission_notice_received"] == "2026-01-12T15:00:00+00:00"
    assert first["placing_notice_received"] == "2026-01-13T09:00:00+00:00"
    assert first["placing_council"] == "Southwark"

    html = squash(client.get("/compliance/").content.decode())
    assert "As the host council" in html
    assert "Children other councils placed in our area" in html
    assert "We learned late of 4 of the 5 placements in our area." in html
    assert tag("Learned late", "orange") in html
    assert tag("None received", "red") in html
    assert str(LearnedLate.HOME_FIRST) in html.replace("&#39;", "'")
    # Children currently placed in the area link to their record; no names are shown.
    assert f'href="/children/{world.robin.id}/">{world.robin.child_ref}</a>' in html
    assert "Robin" not in html.split("<main")[1]

    assert header(client, "host-months") == RECEIVED_MONTHS
    months = {row["month"]: row for row in download(client, "host-months")}
    # Robin's and in_time's placement notices, 2 admission notices and the late notice.
    assert months["2026-01"]["received"] == "6"
    assert months["2026-01"]["acknowledged"] == "0"
    assert months["2026-01"]["overdue"] == "6"


def test_police_see_children_placed_in_the_force_area_and_their_notices(world: World, frozen):
    officer = user(world.police, Role.POLICE_MISSING_OFFICER)
    frozen.move_to(dt.datetime(2026, 1, 9, 9, 0, tzinfo=dt.UTC))  # after the deadline
    notice_acknowledge(notice=world.police_notice, actor=officer)
    frozen.move_to(TODAY)
    client = signed_in(officer)
    html = squash(client.get("/compliance/").content.decode())
    assert "Notices to the force" in html
    assert "Children placed in our force area by other councils" in html
    assert "As the placing council" not in html

    assert header(client, "police-placements") == POLICE_PLACEMENTS
    [row] = download(client, "police-placements")
    assert row["child_ref"] == world.robin.child_ref
    assert row["host_council"] == "Stockport"
    assert row["notice_reference"] == world.police_notice.reference
    assert row["notice_received"] == "2026-01-05T10:00:00+00:00"
    assert row["notice_acknowledged"] == "2026-01-09T09:00:00+00:00"
    assert row["notice_status"] == "Acknowledged"
    months = {r["month"]: r for r in download(client, "police-months")}
    assert months["2026-01"]["received"] == "1"
    assert months["2026-01"]["acknowledged"] == "1"
    assert months["2026-01"]["acknowledged_on_time"] == "0"
    assert months["2026-01"]["percent_acknowledged_on_time"] == "0.0"

    # Another force sees none of it.
    other = signed_in(user(factories.police_org(WEST_YORKSHIRE), Role.POLICE_MISSING_OFFICER))
    assert download(other, "police-placements") == []


def test_only_councils_and_police_have_compliance_views(world: World):
    home = signed_in(user(world.brightwater, Role.HOME_MANAGER))
    assert home.get("/compliance/").status_code == 403
    assert (
        home.get("/compliance/", {"table": "host-placements", "format": "csv"}).status_code == 403
    )
    council = signed_in(user(world.stockport, Role.ANALYST))
    assert (
        council.get("/compliance/", {"table": "police-placements", "format": "csv"}).status_code
        == 404
    )
    assert council.get("/compliance/", {"table": "nonsense", "format": "csv"}).status_code == 404
    assert Client().get("/compliance/").status_code == 302


def test_every_download_is_free_of_names_and_dates_of_birth(world: World, frozen):
    frozen.move_to(TODAY)
    council = signed_in(user(world.stockport, Role.ANALYST))
    for table in ("placing-months", "placing-placements", "host-months", "host-placements"):
        download(council, table)  # asserts no names or dates of birth
    police = signed_in(user(world.police, Role.ANALYST))
    for table in ("police-months", "police-placements"):
        download(police, table)
    assert PlacementNoticeKind.PLACEMENT  # the notices exist: Robin's two


def test_a_force_that_switched_police_notices_off_shows_not_required(world: World, frozen):
    notice_policy_set(organisation=world.police, receives_placement_notices=False, actor=None)
    placement = record(make_child(), world.setting, start=dt.date(2026, 1, 19))
    frozen.move_to(TODAY)
    rows = {
        r["placement_id"]: r
        for r in download(signed_in(user(world.southwark)), "placing-placements")
    }
    assert rows[str(placement.id)]["police_notice_status"] == "Not required"
    assert rows[str(placement.id)]["host_notice_status"] == "Overdue"
    assert rows[str(world.placement.id)]["police_notice_status"] == "Overdue"
