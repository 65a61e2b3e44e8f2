"""The two sources of the extract give the same frames: the database (through the project's own
services) and a folder of hand-written SSDA903 returns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import time_machine

from sightline.core.errors import ValidationError
from sightline.evidence import areas, frames, sources
from sightline.evidence.areas import Perspective
from sightline.evidence.questions import Query, q1_out_of_area, q6_interviews
from sightline.missing.services import episode_close, episode_report
from tests.missing.conftest import MONDAY, SURNAME, make_world

pytestmark = pytest.mark.django_db

STOCKPORT, WESTMINSTER, MANCHESTER, SOUTHWARK = "E08000007", "E09000033", "E08000003", "E09000028"

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,"
    "HOME_POST,PL_POST,URN\n"
)
MISSING = "CHILD,DOB,MISSING,MIS_START,MIS_END\n"


def write_returns(root: Path) -> Path:
    """Stockport (356), returns for 2024 and 2025.

    A1: in a home in Westminster (SW1A 1AA) from 1 Apr 2023, 157.9 miles from home (SK4 2AB);
        the 2024 return has the episode open, the 2025 return closes it on 1 Oct 2024; then a
        home in Manchester (M1 1AE, 5.2 miles) from 1 Oct 2024.
    A2: fostered in Stockport (SK4 2AB, 0.0 miles), 1 May - 1 Jun 2023.
    Missing: A1 M 5 May 2023 (in both returns), A1 A 1 Feb 2024, A1 M 1 Dec 2024.
    """
    y24 = root / "356" / "2024"
    y25 = root / "356" / "2025"
    for folder in (y24, y25):
        folder.mkdir(parents=True)
        (folder / "header.csv").write_text(
            HEADER + "A1,1,15/06/2009,WBRI,,,\nA2,F,01/01/2011,WBRI,,0,\n"
        )
    (y24 / "episodes.csv").write_text(
        EPISODES
        + "A1,01/04/2023,S,C2,N1,K2,PR4,,,,SK4 2AB,SW1A 1AA,SC000001\n"
        + "A2,01/05/2023,S,V2,N1,U4,PR1,01/06/2023,E13,,sk42ab,SK4 2AB,\n"
    )
    (y25 / "episodes.csv").write_text(
        EPISODES
        + "A1,01/04/2023,S,C2,N1,K2,PR4,01/10/2024,,CHANGE,SK4 2AB,SW1A 1AA,SC000001\n"
        + "A1,01/10/2024,P,C2,N1,K2,PR4,,,,SK4 2AB,M1 1AE,SC000002\n"
    )
    (y24 / "missing.csv").write_text(
        MISSING + "A1,15/06/2009,M,05/05/2023,\nA1,15/06/2009,A,01/02/2024,01/02/2024\n"
    )
    (y25 / "missing.csv").write_text(
        MISSING + "A1,15/06/2009,M,05/05/2023,06/05/2023\nA1,15/06/2009,M,01/12/2024,02/12/2024\n"
    )
    return root


def test_returns_give_their_social_worker_episodes_once_each(tmp_path):
    """SW1's episode is in both returns (open in 2024, ended in 2025): kept once, from the
    later return; SW2 follows. Both pseudonymous, keyed as the database keys an imported
    SW_ID."""
    root = write_returns(tmp_path)
    columns = "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON\n"
    (root / "356" / "2024" / "sw_episodes.csv").write_text(
        columns + "A1,15/06/2009,SW1,01/04/2023,,\n"
    )
    (root / "356" / "2025" / "sw_episodes.csv").write_text(
        columns + "A1,15/06/2009,SW1,01/04/2023,01/09/2024,MGRJO\nA1,15/06/2009,SW2,01/09/2024,,\n"
    )
    workers = sources.from_returns(root).social_workers.sort("start").to_dicts()
    assert [(w["worker_key"], w["start"], w["end"]) for w in workers] == [
        (frames.pseudonym("356", "sw:903:sw1"), dt.date(2023, 4, 1), dt.date(2024, 9, 1)),
        (frames.pseudonym("356", "sw:903:sw2"), dt.date(2024, 9, 1), None),
    ]
    assert {w["child_key"] for w in workers} == {frames.pseudonym("356", "A1")}


def test_returns_become_spells_with_host_council_and_distance(tmp_path):
    extract = sources.from_returns(write_returns(tmp_path))
    spells = extract.spells.sort("start")
    assert spells.height == 3  # A1's first episode is in both returns: kept once
    first, fostered, second = spells.to_dicts()
    assert (first["host_council"], first["distance_miles"], first["out_of_area"]) == (
        WESTMINSTER,
        157.9,
        True,
    )
    assert first["end"] == dt.date(2024, 10, 1)  # from the later return
    assert first["setting_key"] == "URN:SC000001"
    assert (fostered["host_council"], fostered["distance_miles"], fostered["out_of_area"]) == (
        STOCKPORT,
        0.0,
        False,
    )
    assert (second["host_council"], second["distance_miles"]) == (MANCHESTER, 5.2)
    assert first["sex"] == "M" and fostered["sex"] == "F"  # 1 (before 2024/25) and F
    assert first["birth_month"] == dt.date(2009, 6, 1)
    assert first["child_key"] == frames.pseudonym("356", "A1") == second["child_key"]
    assert extract.as_of == dt.date(2025, 3, 31)


def test_missing_episodes_are_deduplicated_and_linked_to_the_placement(tmp_path):
    extract = sources.from_returns(write_returns(tmp_path))
    missing = extract.missing.sort("start").select("kind", "start", "end", "host_council")
    assert missing.rows() == [
        ("M", dt.date(2023, 5, 5), dt.date(2023, 5, 6), WESTMINSTER),
        ("A", dt.date(2024, 2, 1), dt.date(2024, 2, 1), WESTMINSTER),
        ("M", dt.date(2024, 12, 1), dt.date(2024, 12, 2), MANCHESTER),
    ]
    westminster = areas.resolve("Westminster", extract)
    (by_year, _) = q1_out_of_area(Query(westminster, 2024, 2025), extract)
    # 2024: one missing and one away from the Westminster home, both Stockport's child.
    assert by_year.frame.select("year", "missing", "missing_other", "away").rows() == [
        (2024, 1, 1, 1),
        (2025, 0, 0, 0),
    ]


def test_a_bad_date_names_the_file_row_and_field(tmp_path):
    root = write_returns(tmp_path)
    path = root / "356" / "2025" / "episodes.csv"
    path.write_text(path.read_text().replace("01/10/2024,P", "2024-10-01,P"))
    with pytest.raises(ValidationError) as caught:
        sources.from_returns(root)
    assert caught.value.field == "DECOM"
    assert "episodes.csv, row 3" in str(caught.value)


def test_a_bad_missing_code_and_an_unknown_council_are_refused(tmp_path):
    root = write_returns(tmp_path)
    path = root / "356" / "2024" / "missing.csv"
    path.write_text(path.read_text().replace(",A,", ",X,"))
    with pytest.raises(ValidationError, match='row 3: MISSING is "X"'):
        sources.from_returns(root)
    other = tmp_path / "other"
    (other / "999" / "2024").mkdir(parents=True)
    for name, text in (("header.csv", HEADER), ("episodes.csv", EPISODES)):
        (other / "999" / "2024" / name).write_text(text)
    with pytest.raises(ValidationError, match="DfE code 999"):
        sources.from_returns(other)


def test_a_folder_the_returns_reader_refuses_is_refused(tmp_path):
    # Read through the returns reader: a ragged row stops the extract as it stops an import.
    root = write_returns(tmp_path)
    path = root / "356" / "2024" / "episodes.csv"
    path.write_text(path.read_text().replace("SK4 2AB,SW1A 1AA,SC000001", "SK4 2AB,SW1A 1AA"))
    with pytest.raises(ValidationError, match=r"episodes\.csv, row 2: The row has 12 values"):
        sources.from_returns(root)
    # Missing episodes may be left out; episodes may not.
    fixed = write_returns(tmp_path / "fixed")
    (fixed / "356" / "2025" / "missing.csv").unlink()
    assert sources.from_returns(fixed).missing.height == 2  # those of the 2024 return
    (fixed / "356" / "2024" / "episodes.csv").unlink()
    with pytest.raises(ValidationError, match="has no Episodes file"):
        sources.from_returns(fixed)


def test_unknown_postcodes_are_noted_not_fatal(tmp_path):
    root = write_returns(tmp_path)
    path = root / "356" / "2024" / "episodes.csv"
    path.write_text(path.read_text().replace("sk42ab,SK4 2AB", "sk42ab,ZZ9 9ZZ"))
    extract = sources.from_returns(root)
    assert any("could not find" in note for note in extract.notes)
    assert extract.spells["host_council"].null_count() == 1


@pytest.fixture
def recorded():
    """Southwark places a child in Stockport (tests/missing/conftest.py); the child goes
    missing on Monday 2 February 2026 and is back 3 hours later."""
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        world = make_world()
    with time_machine.travel(MONDAY, tick=False):
        episode = episode_report(
            actor=world.home_staff,
            child=world.child,
            kind="missing",
            last_seen_at=MONDAY - dt.timedelta(hours=1),
            last_seen_place="The home",
            reported_to_police=True,
        )
    with time_machine.travel(MONDAY + dt.timedelta(hours=3), tick=False):
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=MONDAY + dt.timedelta(hours=2),
            where_postcode="SK4 2AB",
            found_by="carers",
        )
    return world


def test_database_extract_has_the_same_frames(recorded, tmp_path):
    extract = sources.from_database(as_of=dt.date(2026, 3, 31))
    for name, frame in extract.frames().items():
        assert frame.schema == pl.Schema(frames.SCHEMAS[name]), name
    (spell,) = extract.spells.to_dicts()
    assert spell["child_key"] == frames.pseudonym("210", recorded.child.child_ref)
    assert (spell["placing_council"], spell["host_council"], spell["out_of_area"]) == (
        SOUTHWARK,
        STOCKPORT,
        True,
    )
    assert spell["distance_miles"] == float(recorded.placement.distance_miles)
    (episode,) = extract.missing.to_dicts()
    assert (episode["kind"], episode["spell_id"], episode["host_council"]) == (
        "M",
        str(recorded.placement.id),
        STOCKPORT,
    )
    assert episode["returned_at"] == MONDAY + dt.timedelta(hours=2)
    assert "placement" in extract.notices["kind"].to_list()
    # Saved and loaded again, nothing changes; no name or date of birth is in the files.
    frames.save(extract, tmp_path)
    again = frames.load(tmp_path)
    assert again.spells.equals(extract.spells) and again.as_of == extract.as_of
    for path in tmp_path.glob("*.parquet"):
        assert SURNAME.encode() not in path.read_bytes()
        assert recorded.child.child_ref.encode() not in path.read_bytes()
    stockport = areas.resolve("Stockport", extract)
    (by_year, _) = q1_out_of_area(Query(stockport, 2026, 2026), extract)
    assert by_year.frame.select("missing", "missing_other").row(0) == (1, 1)
    _, by_host = q6_interviews(Query(stockport, 2026, 2026, Perspective.HOST), extract)
    assert by_host.frame.select("council_name", "returns").row(0) == ("Stockport", 1)
