"""The three maps: who has which, the table matches the points, nobody sees a foreign child,
and each page is one audited list read.

The world (tests/web/conftest.py): Manchester places Ada in Larch House, Stockport (SK4 2AB);
Stockport places Ben in Oak House, Stockport (SK4 2AB); Kent places Cat in Harbour View,
Canterbury (CT1 2EH). Greater Manchester Police hosts Ada and Ben, Kent Police hosts Cat.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from sightline.audit.models import AuditEvent, AuditListedChild
from sightline.audit.verbs import AuditVerb
from sightline.geography import postcodes
from sightline.missing.models import RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.missing.services.episodes import episode_close, episode_report
from sightline.organisations.models import Role
from tests import factories
from tests.web.conftest import GMP, KENT_POLICE, World, signed_in

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _risk_grades(db):
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)


def config(response) -> dict:
    """The points the page gives the map (its ``json_script``)."""
    found = re.search(
        r'<script id="app-map-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found
    return json.loads(found.group(1))


def table_rows(response) -> list[list[str]]:
    """The table's body rows as the text of their cells."""
    html = response.content.decode()
    body = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', html, re.S)
    assert body
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    cell = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
    return [
        [" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in cell.findall(row)] for row in rows
    ]


def get(user, name: str, **query):
    return signed_in(user).get(reverse(name), query)


def manchester(world: World, role: str = Role.SOCIAL_WORKER):
    return world.user(factories.council_org("352"), role)


def gmp(world: World):
    return world.user(factories.police_org(GMP), Role.POLICE_MISSING_OFFICER)


def report_missing(world: World, child, *, hours: int = 3):
    staff = factories.user(
        child.placements.get().setting.provider, Role.HOME_STAFF, username=f"staff-{child.pk}"
    )
    return episode_report(
        actor=staff,
        child=child,
        kind="missing",
        last_seen_at=NOW - dt.timedelta(hours=hours),
        last_seen_place="The bus station",
        reported_to_police=True,
    )


def test_a_council_maps_its_children_by_home_and_the_table_has_the_same_points(world: World):
    response = get(manchester(world), "map_placements")
    assert response.status_code == 200
    [point] = config(response)["points"]
    assert point["label"] == "Larch House" and point["children"] == 1
    sk4 = postcodes.lookup("SK4 2AB")
    assert (point["easting"], point["northing"]) == (sk4.easting, sk4.northing)
    assert table_rows(response) == [["Larch House", "Stockport", "1", "Ada Ashworth"]]
    # Only counts and homes go to the map: the child's name is in the table, not the JSON.
    assert "Ashworth" not in json.dumps(config(response))
    assert "Ben Bramhall" not in response.content.decode()


def test_a_police_force_maps_the_homes_in_its_area_with_their_open_episodes(world: World):
    report_missing(world, world.ada)
    response = get(gmp(world), "map_force")
    assert response.status_code == 200
    points = config(response)["points"]
    # Larch House and Oak House share a postcode: two homes, two points.
    assert sorted((p["label"], p["children"], p["missing_now"]) for p in points) == [
        ("Larch House", 1, 1),
        ("Oak House", 1, 0),
    ]
    rows = table_rows(response)
    assert [r[0] for r in rows] == [p["label"] for p in points]
    assert sorted(rows) == [
        ["Larch House", "Stockport", "1", "1", "Ada Ashworth (missing or away now)"],
        ["Oak House", "Stockport", "1", "0", "Ben Bramhall"],
    ]
    assert "Canterbury" not in response.content.decode()


def test_where_children_were_found_is_counted_per_square_never_the_postcode(world: World):
    episode = report_missing(world, world.ada, hours=30)
    coordinator = manchester(world, Role.MISSING_COORDINATOR)
    episode_close(
        actor=coordinator,
        episode=episode,
        returned_at=NOW - dt.timedelta(hours=2),
        where_postcode="M1 1AE",
        found_by="police",
    )
    for user in (coordinator, gmp(world)):
        response = get(user, "map_found")
        assert response.status_code == 200
        [point] = config(response)["points"]
        m1 = postcodes.lookup("M1 1AE")
        assert m1.easting is not None and m1.northing is not None
        # The middle of the 1 km square, not the postcode's own centroid.
        assert (point["easting"], point["northing"]) == (
            m1.easting // 1000 * 1000 + 500,
            m1.northing // 1000 * 1000 + 500,
        )
        assert point["episodes"] == 1
        assert point["label"].startswith("M1 (1 km square SJ ")
        assert "M1 1AE" not in response.content.decode()
        assert table_rows(response) == [[point["label"], "Manchester", "1", "Ada Ashworth"]]
    # Kent sees no child of Manchester's, so nothing was found for it.
    kent = world.user(factories.police_org(KENT_POLICE), Role.POLICE_MISSING_OFFICER)
    response = get(kent, "map_found")
    assert config(response)["points"] == []
    assert "There is nothing to show on this map" in response.content.decode()


def test_another_organisation_sees_no_foreign_child(world: World):
    kent_council = world.user(factories.council_org("886"))
    response = get(kent_council, "map_placements")
    assert [p["label"] for p in config(response)["points"]] == ["Harbour View"]
    body = response.content.decode()
    assert "Ashworth" not in body and "Bramhall" not in body and "Larch House" not in body
    leeds = world.user(factories.council_org("383"))
    assert config(get(leeds, "map_placements"))["points"] == []


@pytest.mark.parametrize(
    ("kind", "role", "name", "status"),
    [
        ("council", Role.SOCIAL_WORKER, "map_placements", 200),
        ("council", Role.SOCIAL_WORKER, "map_found", 200),
        ("council", Role.SOCIAL_WORKER, "map_force", 404),
        ("police", Role.POLICE_MISSING_OFFICER, "map_force", 200),
        ("police", Role.POLICE_MISSING_OFFICER, "map_found", 200),
        ("police", Role.POLICE_MISSING_OFFICER, "map_placements", 404),
        ("provider", Role.HOME_STAFF, "map_found", 200),
        ("provider", Role.HOME_STAFF, "map_placements", 404),
        ("council", Role.ANALYST, "map_placements", 404),
        ("council", Role.ANALYST, "map_found", 404),
    ],
)
def test_each_organisation_has_its_maps(world: World, kind, role, name, status):
    org = {
        "council": lambda: factories.council_org("352"),
        "police": lambda: factories.police_org(GMP),
        "provider": lambda: world.brightwater,
    }[kind]()
    assert get(world.user(org, role), name).status_code == status


def test_signed_out_is_sent_to_sign_in(world: World, client):
    response = client.get(reverse("map_placements"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_each_map_page_is_one_audited_list_read_naming_the_children_counted(world: World):
    user = manchester(world)
    before = AuditEvent.objects.count()
    assert get(user, "map_placements").status_code == 200
    [event] = AuditEvent.objects.order_by("-seq")[: AuditEvent.objects.count() - before]
    assert event.verb == AuditVerb.CHILDREN_LISTED and event.user_id == user.pk
    assert list(
        AuditListedChild.objects.filter(event=event).values_list("child_id", flat=True)
    ) == [world.ada.pk]


def test_the_home_page_and_missing_now_link_to_the_maps(world: World):
    officer = gmp(world)
    home = signed_in(officer).get(reverse("home")).content.decode()
    assert reverse("map_force") in home and reverse("map_found") in home
    assert reverse("map_placements") not in home
    missing = signed_in(officer).get(reverse("missing_now")).content.decode()
    assert reverse("map_force") in missing and reverse("map_found") in missing


def test_no_tile_service_means_the_offline_base_map_only(world: World):
    data = config(get(manchester(world), "map_placements"))
    assert data["tiles"] is None
    assert data["base"]["image"].endswith("geography/england-wales-councils.png")


@override_settings(
    SIGHTLINE_MAP_TILE_URL="https://tiles.example.org/27700/{z}/{x}/{y}.png",
    SIGHTLINE_MAP_TILE_ATTRIBUTION="© Example mapping",
)
def test_a_tile_service_setting_reaches_the_map(world: World):
    response = get(manchester(world), "map_placements")
    assert config(response)["tiles"] == {
        "url": "https://tiles.example.org/27700/{z}/{x}/{y}.png",
        "attribution": "© Example mapping",
    }
    assert "© Example mapping" in response.content.decode()


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with these environment variables."""
    code = (
        "import config.settings as s, json; "
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_tile_service_origin_joins_img_src_and_must_be_https():
    result = _settings_with(SIGHTLINE_MAP_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "'self'",
        "data:",
        "https://tiles.example.org",
    ]
    refused = _settings_with(SIGHTLINE_MAP_TILE_URL="http://tiles.example.org/{z}/{x}/{y}.png")
    assert refused.returncode != 0
    assert "SIGHTLINE_MAP_TILE_URL must be an https:// URL template" in refused.stderr
