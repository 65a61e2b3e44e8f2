"""`sightline returns import` and `export`: all or nothing, idempotent, and a round trip."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from sightline.children.models import Child
from sightline.geography.selectors import distance_between, postcode_place
from sightline.missing.models import Episode
from sightline.notifications.models import Notice
from sightline.placements.models import Placement, Setting
from sightline.returns.models import ReturnExport, ReturnImport
from tests import factories
from tests.returns import builders

pytestmark = pytest.mark.django_db


def snapshot(council_code: str = "356") -> dict[str, list[tuple]]:
    """Every record an import writes, as plain values (ids left out)."""
    council = factories.council(council_code)
    children = Child.objects.filter(placing_council=council)
    return {
        "children": sorted(
            children.values_list(
                "child_ref", "first_name", "last_name", "date_of_birth", "sex", "ethnicity"
            )
        ),
        "placements": sorted(
            Placement.objects.filter(child__in=children).values_list(
                "child__child_ref", "start_date", "end_date", "place_type", "place_provider",
                "home_postcode", "setting__postcode", "setting__urn", "urn", "host_council_id",
                "host_police_force_id", "distance_miles", "distance_km", "out_of_area",
                "reason_new_episode", "legal_status", "category_of_need", "reason_ceased",
                "reason_place_change",
            )
        ),
        "missing": sorted(
            Episode.objects.filter(child__in=children).values_list(
                "child__child_ref", "kind", "missing_code", "mis_start", "mis_end",
                "placement__start_date", "host_council_id", "host_police_force_id",
            )
        ),
    }  # fmt: skip


def test_import_loads_children_placements_and_missing_without_notices(
    tmp_path: Path, sightline
) -> None:
    rows = builders.build(children=25, seed=21)
    folder = builders.write_csv(rows, tmp_path / "356" / "2025")
    result = sightline("import", str(folder), "--quiet")
    assert result.code == 0, result.err
    assert f"children: {len(rows.header)} new, 0 updated" in result.out
    assert f"placements: {len(rows.episodes)} from the return" in result.out
    assert f"missing and away episodes: {len(rows.missing)}" in result.out
    assert Notice.objects.count() == 0

    stockport = factories.council("356")
    children = Child.objects.filter(placing_council=stockport)
    assert children.count() == len(rows.header)
    assert all(c.full_name == f"Child {c.child_ref}" for c in children)
    assert Placement.objects.filter(child__in=children).count() == len(rows.episodes)
    assert Episode.objects.filter(child__in=children).count() == len(rows.missing)

    # Each placement's host council, force, distance and area are those placement_record
    # derives for the same postcodes.
    for e in rows.episodes:
        p = Placement.objects.get(
            child__child_ref=e["CHILD"],
            child__placing_council=stockport,
            start_date=dt.datetime.strptime(e["DECOM"], "%d/%m/%Y").date(),
        )
        placed = postcode_place(postcode=e["PL_POST"])
        home = postcode_place(postcode=e["HOME_POST"])
        assert p.host_council == placed.council
        assert p.host_police_force == placed.police_force
        assert p.distance_miles == distance_between(a=home, b=placed).miles
        assert p.distance_km == distance_between(a=home, b=placed).km
        assert p.out_of_area == (placed.council != stockport)
        assert p.setting.postcode == placed.postcode
        assert (p.reason_new_episode, p.legal_status, p.urn) == (e["RNE"], e["LS"], e["URN"])
    record = ReturnImport.objects.get()
    assert (record.council, record.year, record.source_format) == (stockport, 2025, "csv")
    assert record.imported_by.username == "sightline-returns"
    assert not record.imported_by.has_usable_password()


def test_reimport_replaces_idempotently(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=15, seed=22)
    folder = builders.write_csv(rows, tmp_path / "356" / "2025")
    assert sightline("import", str(folder), "--quiet").code == 0
    first = snapshot()
    settings = Setting.objects.count()
    result = sightline(
        "import", str(folder), "--council", "356", "--year", "2025", "--quiet", "--replace"
    )
    assert result.code == 0, result.err
    assert snapshot() == first
    assert Setting.objects.count() == settings
    assert f"replaced from the earlier import: {len(rows.episodes)} placements" in result.out
    assert ReturnImport.objects.filter(replaced_at__isnull=True).count() == 1
    # A changed return replaces the earlier one's placements; the children stay.
    gone = rows.header[0]["CHILD"]
    rows.episodes = [e for e in rows.episodes if e["CHILD"] != gone]
    rows.missing = [m for m in rows.missing if m["CHILD"] != gone]
    assert (
        sightline(
            "import",
            str(builders.write_csv(rows, tmp_path / "356" / "2025")),
            "--quiet",
            "--replace",
        ).code
        == 0
    )
    assert not Placement.objects.filter(child__child_ref=gone).exists()
    assert Child.objects.filter(child_ref=gone).exists()


def test_an_invalid_return_writes_nothing(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=15, seed=23)
    rows.episodes[4]["PLACE"] = "Z9"
    folder = builders.write_csv(rows, tmp_path / "356" / "2025")
    result = sightline("import", str(folder), "--quiet")
    assert result.code == 1
    assert "Nothing was imported" in result.err
    assert "episodes.csv, row 6, child" in result.err
    assert Child.objects.count() == 0
    assert Placement.objects.count() == 0
    assert ReturnImport.objects.count() == 0


def test_a_placement_outside_england_and_wales_is_refused_by_name(
    tmp_path: Path, sightline
) -> None:
    rows = builders.build(children=10, seed=24)
    k2 = next(i for i, e in enumerate(rows.episodes) if e["PLACE"] == "R1")
    rows.episodes[k2]["PL_POST"] = "EH1 1YZ"
    folder = builders.write_csv(rows, tmp_path / "356" / "2025")
    # validate says so too, with the same rule: a return that validates imports.
    for command in (("import", "--quiet"), ("validate",)):
        result = sightline(command[0], str(folder), *command[1:])
        assert result.code == 1
        output = result.err + result.out
        assert (
            "Rule SL04 (error, Episodes: PL_POST), 1 record: The placement postcode is " in output
        )
        assert f"episodes.csv, row {k2 + 2}, child {rows.episodes[k2]['CHILD']}" in output
    assert Child.objects.count() == 0


def test_a_urn_too_long_to_hold_is_refused_by_name(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=10, seed=24)
    k2 = next(i for i, e in enumerate(rows.episodes) if e["PLACE"] == "K2")
    rows.episodes[k2]["URN"] = "SC1234567890"
    folder = builders.write_csv(rows, tmp_path / "356" / "2025")
    for command in (("import", "--quiet"), ("validate",)):
        result = sightline(command[0], str(folder), *command[1:])
        assert result.code == 1
        output = result.err + result.out
        assert "Rule SL02 (error, Episodes: URN), 1 record: The URN is longer than 8" in output
        assert f"episodes.csv, row {k2 + 2}, child {rows.episodes[k2]['CHILD']}" in output
    assert Placement.objects.count() == 0


def test_imported_children_show_in_the_child_page(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=3, seed=25)
    assert (
        sightline(
            "import", str(builders.write_csv(rows, tmp_path / "356" / "2025")), "--quiet"
        ).code
        == 0
    )
    child = Child.objects.get(child_ref="1000")
    worker = factories.user(factories.council_org("356"), factories.ROLE.SOCIAL_WORKER)
    response = factories.signed_in(worker).get(reverse("child_detail", args=[child.id]))
    assert response.status_code == 200
    assert "Child 1000" in response.content.decode()


def test_round_trip_import_export_import(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=30, seed=26)
    assert (
        sightline(
            "import",
            str(builders.write_csv(rows, tmp_path / "in")),
            "--council",
            "356",
            "--year",
            "2025",
            "--quiet",
        ).code
        == 0
    )
    first = snapshot()
    out = tmp_path / "out"
    result = sightline("export", "--council", "356", "--year", "2025", str(out))
    assert result.code == 0, result.err
    assert ReturnExport.objects.count() == 1
    assert sightline("validate", str(out), "--council", "356", "--year", "2025").code == 0
    # Re-import what was exported: the same records.
    assert (
        sightline(
            "import", str(out), "--council", "356", "--year", "2025", "--quiet", "--replace"
        ).code
        == 0
    )
    assert snapshot() == first
    # And the XML.
    xml = tmp_path / "return.xml"
    assert (
        sightline("export", "--council", "356", "--year", "2025", str(xml), "--format", "xml").code
        == 0
    )
    result = sightline(
        "import", str(xml), "--council", "356", "--year", "2025", "--quiet", "--replace"
    )
    assert result.code == 0, result.err
    assert snapshot() == first
    # The episode rows are those of the original return.
    exported = (out / "episodes.csv").read_text().splitlines()
    original = (tmp_path / "in" / "episodes.csv").read_text().splitlines()
    assert sorted(line.rstrip("\r") for line in exported) == sorted(original)


def test_export_includes_placements_recorded_in_the_web_app(tmp_path: Path, sightline) -> None:
    provider = factories.provider_org()
    child = factories.child("356", ref="W1")
    child.ethnicity = "WBRI"
    child.save()
    home = factories.setting(provider, postcode="M1 1AE")
    factories.placement(child, home, start=dt.date(2024, 9, 2), home_postcode="SK4 2AB")
    out = tmp_path / "out"
    assert sightline("export", "--council", "356", "--year", "2025", str(out)).code == 0
    episodes = (out / "episodes.csv").read_text().splitlines()
    assert episodes[1].rstrip("\r") == f"W1,02/09/2024,,,,K2,PR4,,,,SK4 2AB,M1 1AE,{home.urn}"
    header = (out / "header.csv").read_text().splitlines()
    assert header[1].rstrip("\r") == "W1,F,01/05/2010,WBRI,,,"
    # Importing that export leaves the web record as it was: Sightline's own record stands.
    before = snapshot()
    result = sightline("import", str(out), "--council", "356", "--year", "2025", "--quiet")
    assert "placements: 0 from the return, 1 already recorded in Sightline" in result.out, (
        result.err
    )
    assert snapshot() == before
    assert Child.objects.get(child_ref="W1").full_name.startswith("Alex ")


def test_year_spanning_episode_is_held_once(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=10, seed=27)
    assert (
        sightline(
            "import", str(builders.write_csv(rows, tmp_path / "356" / "2025")), "--quiet"
        ).code
        == 0
    )
    open_rows = [e for e in rows.episodes if not e["DEC"]]
    # Next year's return carries the open episodes on (no missing periods).
    later = builders.ReturnRows(
        header=[h for h in rows.header if h["CHILD"] in {e["CHILD"] for e in open_rows}],
        episodes=[dict(e, DEC="01/06/2025", REC="E4A") for e in open_rows],
    )
    result = sightline(
        "import", str(builders.write_csv(later, tmp_path / "356" / "2026")), "--quiet"
    )
    assert result.code == 0, result.err
    assert Placement.objects.count() == len(rows.episodes)
    assert Placement.objects.filter(end_date=dt.date(2025, 6, 1)).count() == len(open_rows)
    assert Placement.objects.filter(distance_miles__gte=Decimal("0")).count() == len(rows.episodes)


def test_reimporting_either_year_keeps_episodes_spanning_both(tmp_path: Path, sightline) -> None:
    """Missing periods of the earlier year point at placements the later year's import took
    over; re-importing either year keeps those placements (updated in place) and succeeds."""
    rows = builders.build(children=30, seed=28)
    open_rows = [e for e in rows.episodes if not e["DEC"]]
    assert any(m["CHILD"] in {e["CHILD"] for e in open_rows} for m in rows.missing)
    later = builders.ReturnRows(
        header=[h for h in rows.header if h["CHILD"] in {e["CHILD"] for e in open_rows}],
        episodes=open_rows,
    )
    first = builders.write_csv(rows, tmp_path / "356" / "2025")
    second = builders.write_csv(later, tmp_path / "356" / "2026")
    for folder in (first, second, second, first, second):
        result = sightline("import", str(folder), "--quiet", "--replace")
        assert result.code == 0, result.err
    assert Placement.objects.count() == len(rows.episodes)
    assert Episode.objects.count() == len(rows.missing)


def test_import_and_export_are_in_the_audit(tmp_path: Path, sightline) -> None:
    from sightline.audit.models import AuditEvent
    from sightline.audit.selectors import audit_verify

    rows = builders.build(children=6, seed=29)
    assert (
        sightline(
            "import", str(builders.write_csv(rows, tmp_path / "356" / "2025")), "--quiet"
        ).code
        == 0
    )
    record = ReturnImport.objects.get()
    # One event for each child of the return, naming the import.
    writes = AuditEvent.objects.filter(verb="import changed child")
    assert {(w.object_type, w.object_id, w.username) for w in writes} == {
        ("return import", str(record.id), "sightline-returns")
    }
    assert set(writes.values_list("child_id", flat=True)) == set(
        Child.objects.values_list("id", flat=True)
    )
    assert writes.first().payload == {"year": 2025, "council": record.council.dfe_code}
    # Each child's own audit lists the import that changed the record.
    child = Child.objects.order_by("child_ref").first()
    out = io.StringIO()
    call_command("audit", "child", str(child.id), stdout=out)
    assert "import changed child" in out.getvalue() and "SSDA903 return of" in out.getvalue()
    assert sightline("export", "--council", "356", "--year", "2025", str(tmp_path / "o")).code == 0
    children = set(Child.objects.filter(placements__isnull=False).values_list("id", flat=True))
    [read] = AuditEvent.objects.filter(
        verb="children exported", payload__export="export SSDA903 return"
    )
    assert set(read.listed_children.values_list("child_id", flat=True)) == children
    assert read.payload["count"] == len(children)
    assert audit_verify().intact


def test_a_urn_at_two_postcodes_is_held_at_its_first(tmp_path: Path, sightline) -> None:
    """A URN's setting is at the postcode of its first episode (by child and start date); an
    episode of the same URN elsewhere goes in the setting derived for that postcode and
    placement type. The same on every import (the first one decides)."""
    rows = builders.build(children=12, seed=30)
    with_urn = [e for e in rows.episodes if e["URN"]]
    first, later = with_urn[0], with_urn[-1]
    assert first["CHILD"] < later["CHILD"]
    later["URN"] = first["URN"]
    if later["PL_POST"] == first["PL_POST"]:
        later["PL_POST"] = next(
            p for p in builders.ALL_POSTCODES if p not in (first["PL_POST"], later["HOME_POST"])
        )
    folder = builders.write_csv(rows, tmp_path / "356" / "2025")
    for _ in range(2):
        result = sightline("import", str(folder), "--quiet", "--replace")
        assert result.code == 0, result.err

    def setting_of(e: dict[str, str]) -> Setting:
        return Placement.objects.get(
            child__child_ref=e["CHILD"],
            start_date=dt.datetime.strptime(e["DECOM"], "%d/%m/%Y").date(),
        ).setting

    held = Setting.objects.get(urn=first["URN"])
    assert (held.postcode, setting_of(first)) == (
        postcode_place(postcode=first["PL_POST"]).postcode,
        held,
    )
    elsewhere = setting_of(later)
    assert (elsewhere.urn, elsewhere.place_type, elsewhere.from_return) == (
        "",
        later["PLACE"],
        True,
    )
    assert elsewhere.postcode == postcode_place(postcode=later["PL_POST"]).postcode
