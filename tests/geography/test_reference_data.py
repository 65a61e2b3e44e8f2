"""The reference tables that migration 0002 loads, checked against the public ONS and DfE files."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps

from sightline.geography import postcodes
from sightline.geography.models import Council, District, PoliceForce
from sightline.geography.services import reference_data_load, reference_data_unload
from tests.geography.conftest import read_reference

# Recoded on 1 May 2025: the directory (LAD25) uses the new codes; DfE and ONS 2023 the old.
RECODED_2025 = {"E08000016": "E08000038", "E08000019": "E08000039"}

pytestmark = pytest.mark.django_db


def test_police_forces_are_the_43_force_areas_of_england_and_wales():
    rows = read_reference("utla_to_pfa23_ew.csv")
    expected = {(r["PFA23CD"], r["PFA23NM"], r["PFA23CD"][0]) for r in rows}
    assert len(expected) == 43
    assert set(PoliceForce.objects.values_list("code", "name", "country")) == expected


def test_council_table_matches_ons_and_dfe_exactly():
    utla = read_reference("utla_to_pfa23_ew.csv")
    dfe = read_reference("dfe_la_codes_old_new_pfa.csv")
    current_dfe_code = {
        r["new_la_code"]: r["old_la_code"] for r in dfe if r["reported_in_2024_missing_data"] == "Y"
    }
    historic = [r for r in dfe if r["reported_in_2024_missing_data"] == "N"]
    assert len(current_dfe_code) == 153
    assert len(historic) == 7

    expected = {}
    for r in utla:
        code = r["UTLA23CD"]
        expected[code] = {
            "dfe_code": current_dfe_code.get(code, ""),
            "name": r["UTLA23NM"],
            "country": code[0],
            "region_code": r["RGNCD"],
            "region_name": r["RGNNM"],
            "police_force_id": r["PFA23CD"],
            "is_current": True,
        }
    for r in historic:
        expected[r["new_la_code"]] = {
            "dfe_code": r["old_la_code"],
            "name": r["la_name"],
            "country": "E",
            "region_code": r["region_code"],
            "region_name": r["region_name"],
            "police_force_id": r["pfa23cd"],
            "is_current": False,
        }
    fields = [
        "dfe_code",
        "name",
        "country",
        "region_code",
        "region_name",
        "police_force_id",
        "is_current",
    ]
    actual = {row.pop("ons_code"): row for row in Council.objects.values("ons_code", *fields)}
    assert actual == expected
    # Every English council holds a DfE code, every Welsh one none.
    assert set(current_dfe_code) == {
        c for c in expected if c[0] == "E" and expected[c]["is_current"]
    }
    assert Council.objects.filter(country="E", is_current=True).count() == 153
    assert Council.objects.filter(country="W", region_code="W92000004", dfe_code="").count() == 22
    assert not Council.objects.filter(region_code__startswith="E13").exists()


def test_recoded_and_abolished_councils_point_at_the_right_codes():
    assert Council.objects.get(ons_code="E08000016").alias_codes == "E08000038"
    assert Council.objects.get(ons_code="E08000019").alias_codes == "E08000039"
    successors = {
        c.ons_code: c.successor_codes.split() for c in Council.objects.filter(is_current=False)
    }
    assert successors == {
        "E10000023": ["E06000065"],
        "E10000027": ["E06000066"],
        "E10000009": ["E06000058", "E06000059"],
        "E06000029": ["E06000058"],
        "E06000028": ["E06000058"],
        "E10000006": ["E06000063", "E06000064"],
        "E10000021": ["E06000061", "E06000062"],
    }
    for codes in successors.values():
        assert Council.objects.filter(ons_code__in=codes, is_current=True).count() == len(codes)
    for code in ["E06000063", "E06000064", "E06000065", "E06000066"]:
        assert Council.objects.get(ons_code=code).is_current


def test_every_lad23_district_maps_to_the_same_council_and_force():
    rows = read_reference("lad23_to_pfa23_ew.csv")
    assert len(rows) == 318
    districts = {d.code: d for d in District.objects.all()}
    for r in rows:
        code = RECODED_2025.get(r["LAD23CD"], r["LAD23CD"])
        district = districts[code]
        assert (district.council_id, district.police_force_id) == (r["UTLA23CD"], r["PFA23CD"]), (
            code
        )
        assert district.name == r["LAD23NM"]
    # The only LAD23 codes not held are the two recoded in 2025; they live on as aliases.
    assert {r["LAD23CD"] for r in rows} - set(districts) == set(RECODED_2025)


def test_every_english_and_welsh_district_in_the_postcode_directory_is_held():
    in_directory = postcodes.directory_district_codes()
    english_and_welsh = {code for code in in_directory if code[0] in "EW"}
    assert english_and_welsh == set(District.objects.values_list("code", flat=True))
    # The rest are Scotland, Northern Ireland, the Channel Islands and the Isle of Man.
    assert {code[0] for code in in_directory - english_and_welsh} == {"S", "N", "L", "M"}


def test_no_council_spans_two_police_forces():
    for district in District.objects.select_related("council"):
        assert district.police_force_id == district.council.police_force_id, district.code


def test_loading_again_changes_nothing():
    before = list(Council.objects.order_by("ons_code").values())
    summary = reference_data_load()
    assert summary.created == {"police forces": 0, "councils": 0, "districts": 0}
    assert summary.existing == {"police forces": 43, "councils": 182, "districts": 318}
    assert list(Council.objects.order_by("ons_code").values()) == before


def test_migration_0002_reverses_and_reapplies():
    migration = importlib.import_module("sightline.geography.migrations.0002_load_reference_data")
    migration.unload(global_apps, None)
    assert not (
        PoliceForce.objects.exists() or Council.objects.exists() or District.objects.exists()
    )
    migration.load(global_apps, None)
    assert (PoliceForce.objects.count(), Council.objects.count(), District.objects.count()) == (
        43,
        182,
        318,
    )


def test_load_restores_a_changed_row():
    Council.objects.filter(ons_code="E08000007").update(name="Stockport (edited)", dfe_code="999")
    reference_data_load()
    stockport = Council.objects.get(ons_code="E08000007")
    assert (stockport.name, stockport.dfe_code) == ("Stockport", "356")


def test_unload_refuses_while_a_council_is_in_use():
    from django.db.models import ProtectedError

    from tests import factories

    factories.council_org("356")
    with pytest.raises(ProtectedError):
        reference_data_unload()
    assert Council.objects.count() == 182
