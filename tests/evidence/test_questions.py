"""Every question on the hand-built extract (tests/evidence/handbuilt.py), with the arithmetic
in the comments."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sightline.core.errors import ValidationError
from sightline.evidence import areas, inquiry
from sightline.evidence.areas import ENGLAND, Area, AreaKind, Perspective
from sightline.evidence.questions import (
    Query,
    q1_out_of_area,
    q2_rates,
    q4_homes,
    q5_notices,
    q6_interviews,
    q7_after_start,
    segments,
)
from tests.evidence import handbuilt

A = Area(AreaKind.COUNCIL, "E0A", "Council A")


@pytest.fixture
def extract():
    return handbuilt.extract()


def rows(table, key):
    return {r[key]: r for r in table.frame.to_dicts()}


def test_areas_resolve_names_codes_and_prefixes(extract):
    assert areas.resolve("council a", extract) == A
    assert areas.resolve("901", extract) == A
    assert areas.resolve("England", extract) == ENGLAND
    assert areas.resolve("region:Region One", extract) == Area(AreaKind.REGION, "R1", "Region One")
    assert areas.resolve("police:Force Two", extract) == Area(
        AreaKind.POLICE_FORCE, "F2", "Force Two"
    )
    with pytest.raises(ValidationError, match='do not know an area called "Nowhere"'):
        areas.resolve("Nowhere", extract)


def test_q1_share_of_incidents_from_homes_in_the_area_placed_by_other_councils(extract):
    by_year, by_council = q1_out_of_area(Query(A, 2024, 2025), extract)
    got = rows(by_year, "year")
    # 2024: m1 (placed by A itself) and m2 (placed by B) are missing from homes in A:
    # 2 missing, 1 placed by another council, 50%. No away incidents: share empty, not 0.
    assert (got[2024]["missing"], got[2024]["missing_other"], got[2024]["missing_share"]) == (
        2,
        1,
        50.0,
    )
    assert (got[2024]["away"], got[2024]["away_share"]) == (0, None)
    # 2025: m3 (B) and m5 (C) missing, both other councils: 100%; m4 (B) away, counted apart.
    assert (got[2025]["missing"], got[2025]["missing_other"], got[2025]["missing_share"]) == (
        2,
        2,
        100.0,
    )
    assert (got[2025]["away"], got[2025]["away_other"]) == (1, 1)
    assert by_council.frame.rows() == [
        (2024, "Council A", 1, 0),
        (2024, "Council B", 1, 0),
        (2025, "Council B", 1, 1),
        (2025, "Council C", 1, 0),
    ]


def test_q1_for_england_and_a_force_area(extract):
    (by_year, _) = q1_out_of_area(Query(ENGLAND, 2024, 2024), extract)
    # 2024 in England: m1 (A in A), m2 (B in A), m6 (A in C): 3 missing, 2 by other councils.
    assert by_year.frame.select("missing", "missing_other").row(0) == (3, 2)
    force_two = Area(AreaKind.POLICE_FORCE, "F2", "Force Two")
    (by_year, _) = q1_out_of_area(Query(force_two, 2024, 2025), extract)
    # Only m6 is from a home in force F2.
    assert by_year.frame["missing"].to_list() == [1, 0]


def test_segments_cut_placements_into_years_and_count_days(extract):
    seg = segments(Query(A, 2024, 2025), extract)
    spell_ids = extract.spells["spell_id"].to_list()
    days = {(spell_ids[r["row"]], r["year"]): r["days"] for r in seg.to_dicts()}
    # s1 1 Apr - 1 May 2023: 30 days. s2 open: 1 Apr 2023 - 1 Apr 2024 is 366 days (29 Feb
    # 2024), then to 1 Apr 2025 (the day after as_of) 365. s3 1 Oct 2024 - 1 Jan 2025:
    # 31 + 30 + 31 = 92. s4 and s5 are in other councils.
    assert days == {("s1", 2024): 30, ("s2", 2024): 366, ("s2", 2025): 365, ("s3", 2025): 92}


def test_q2_rates_per_1000_days_per_100_children_and_index(extract):
    trend, locality, distance, place_type, age, sex = q2_rates(Query(A, 2024, 2025), extract)
    got = rows(trend, "year")
    # 2024: 2 missing / (30 + 366) days * 1,000 = 5.0505; 2025: 2 / (365 + 92) = 4.3764.
    assert got[2024]["missing_rate"] == pytest.approx(2000 / 396)
    assert got[2025]["missing_rate"] == pytest.approx(2000 / 457)
    # Index 2024 = 100: 4.3764 / 5.0505 * 100 = 86.65.
    assert got[2024]["missing_index"] == pytest.approx(100)
    assert got[2025]["missing_index"] == pytest.approx(100 * 396 / 457)
    # Away is its own rate: 1 away in 2025 / 457 days.
    assert got[2025]["away_rate"] == pytest.approx(1000 / 457)
    # Children: 2 in each year (c1, c2; then c2, c3), both went missing: 100 per 100.
    assert (got[2025]["children"], got[2025]["children_missing_rate"]) == (2, 100.0)
    bands = rows(distance, "distance_band")
    # 0-5: s1 30 days, 1 incident; 20-50: s2 731 days, 2; over 50: s3 92 days, 1.
    assert bands["0 to 5 miles"]["missing_rate"] == pytest.approx(1000 / 30)
    assert bands["20 to 50 miles"]["days"] == 731
    assert bands["20 to 50 miles"]["missing_rate"] == pytest.approx(2000 / 731)
    assert bands["Over 50 miles"]["missing_rate"] == pytest.approx(1000 / 92)
    assert list(bands) == ["0 to 5 miles", "20 to 50 miles", "Over 50 miles"]
    places = rows(locality, "locality")
    assert places["Out of area"]["days"] == 731 + 92
    assert places["In own council area"]["missing"] == 1
    # Ages at the start of each placement-year: c1 born June 2008 is 14 on 1 Apr 2023 and c2
    # (Jan 2010) 13, then 14: "13 to 15"; c3 (Mar 2012) is 12 on 1 Oct 2024: "10 to 12".
    assert rows(age, "age_band")["10 to 12"]["days"] == 92
    assert rows(age, "age_band")["13 to 15"]["days"] == 30 + 731
    assert rows(sex, "sex")["Female"]["days"] == 30 + 92
    assert rows(place_type, "place_type")["U4"]["missing"] == 1


def test_q2_placing_perspective_counts_the_areas_own_children_wherever_they_live(extract):
    trend = q2_rates(Query(A, 2024, 2025, Perspective.PLACING), extract)[0]
    got = rows(trend, "year")
    # Children placed by A: c1 (s1 30 days, s5 1 May - 1 Sep 2023 = 123 days) and c4
    # (s4 1 Jun 2023 - 1 Apr 2024 = 305 days, then 61 to 1 Jun 2024).
    assert got[2024]["days"] == 30 + 123 + 305
    assert got[2025]["days"] == 61
    # m1 (s1) and m6 (s4) in 2024.
    assert got[2024]["missing"] == 2


def test_q4_homes_and_children_by_region(extract):
    (table,) = q4_homes(Query(ENGLAND, 2024, 2025), extract)
    got = rows(table, "region_name")
    # Region One: h1 (private, 4 places) and h2 (council, 3); h4 is a foster home (U4), not
    # a children's home. Region Two: h3 (private, places not known).
    assert (got["Region One"]["homes"], got["Region One"]["places"]) == (2, 7)
    assert got["Region One"]["private_share"] == 50.0
    assert got["Region Two"]["places"] is None
    assert got["Region One"]["homes_share"] == pytest.approx(200 / 3)
    # In care on 31 March 2025: only c2 (open placement), placed by B in Region One.
    assert (got["Region One"]["children"], got["Region Two"]["children"]) == (1, 0)
    assert got["Region One"]["children_share"] == 100.0


def test_q5_notices_on_time_acknowledgement_and_learned_late(extract):
    by_placing, by_host = q5_notices(Query(ENGLAND, 2024, 2025), extract)
    host = rows(by_host, "council_name")
    # Host A: s2 (placement notice on time, acknowledged after 5 hours, the home's admission
    # notice after it: in time) and s3 (admission notice only: learned late).
    assert host["Council A"]["placements"] == 2
    assert host["Council A"]["on_time_share"] == 100.0
    assert host["Council A"]["median_ack_hours"] == 5.0
    assert (host["Council A"]["learned_late"], host["Council A"]["learned_late_share"]) == (1, 50.0)
    # Host C: s4's notice was sent a day after it was due, acknowledged 48 hours later, and
    # the home's notice came first: learned late.
    assert host["Council C"]["on_time"] == 0
    assert host["Council C"]["median_ack_hours"] == 48.0
    assert host["Council C"]["learned_late"] == 1
    placing = rows(by_placing, "council_name")
    assert set(placing) == {"Council A", "Council B", "Council C"}
    assert placing["Council C"]["placing_notices"] == 0


def test_q6_interviews_within_72_hours_completed_declined(extract):
    by_placing, by_host = q6_interviews(Query(A, 2024, 2025, Perspective.HOST), extract)
    # Host A has three ended episodes: m2 (offered 47 hours after the return, completed), m3
    # (offered after 96 hours, declined), m5 (no interview).
    got = rows(by_host, "council_name")["Council A"]
    assert (got["returns"], got["offered_72"], got["completed"], got["declined"]) == (3, 1, 1, 1)
    assert got["offered_72_share"] == pytest.approx(100 / 3)
    # Placing council A's own children have no ended episode.
    assert by_placing.frame.is_empty()


def test_q7_after_a_placement_starts(extract):
    (table,) = q7_after_start(Query(A, 2024, 2025), extract)
    got = rows(table, "year")
    # Started in A in 2024: s1 (m1) and s2 (m2, m3 missing; m4 away): 3 missing, 1 away.
    assert (got[2024]["placements"], got[2024]["missing"], got[2024]["away"]) == (2, 3, 1)
    # Both started at least a year before 31 March 2025; c1 moved (s5 a month after s1).
    assert (got[2024]["followed"], got[2024]["moved"], got[2024]["moved_share"]) == (2, 1, 50.0)
    # s3 started in October 2024: not followed for 12 months yet, so no move share.
    assert (got[2025]["placements"], got[2025]["followed"], got[2025]["moved_share"]) == (
        1,
        0,
        None,
    )


def test_inquiry_headlines(extract):
    result = inquiry.run(Query(A, 2024, 2025), extract)
    # Q1: 4 missing incidents from homes in A, 3 of them other councils' children: 75%.
    assert result.headlines["missing_other_share"] == 75.0
    assert result.headlines["missing_index_last_year"] == pytest.approx(100 * 396 / 457)
    assert [s.slug for s in result.sections] == ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]


def test_years_outside_the_data_give_zero_rows_not_errors(extract):
    (by_year, _) = q1_out_of_area(Query(A, 2015, 2016), extract)
    assert by_year.frame["missing"].to_list() == [0, 0]
    trend = q2_rates(Query(A, 2015, 2016), extract)[0]
    assert trend.frame["missing_rate"].to_list() == [None, None]
    assert pl.Series(trend.frame["missing_index"]).null_count() == 2


@pytest.mark.parametrize(
    "query",
    [
        Query(A, 2024, 2025),
        Query(A, 2025, 2025, Perspective.PLACING),
        Query(ENGLAND, 2024, 2024),
        Query(Area(AreaKind.POLICE_FORCE, "F2", "Force Two"), 2024, 2025),
        Query(Area(AreaKind.REGION, "R1", "Region One"), 2020, 2025),
    ],
)
def test_the_dashboards_kept_placement_years_give_the_same_answers(extract, query):
    """The dashboard filters placement-years worked out once; the report cuts them per query."""
    from sightline.evidence.questions import placement_years

    direct = segments(query, extract).sort("row", "year")
    placement_years(extract)
    kept = segments(query, extract).sort("row", "year")
    assert kept.equals(direct)


def test_q7_a_change_of_legal_status_only_continues_the_placement(extract):
    """c2's placement s2 gets a new 903 episode on 1 Jan 2024 for a change of legal status
    only (s2L, same home): m3 and m4 now belong to s2L. Q7 still counts one placement for c2,
    with all its incidents, and no move."""
    import dataclasses
    import datetime as dt

    spells = extract.spells.with_columns(
        end=pl.when(pl.col("spell_id") == "s2").then(dt.date(2024, 1, 1)).otherwise(pl.col("end"))
    )
    legal = spells.filter(pl.col("spell_id") == "s2").with_columns(
        spell_id=pl.lit("s2L"),
        start=pl.lit(dt.date(2024, 1, 1)),
        end=pl.lit(None, dtype=pl.Date),
        new_placement=pl.lit(False),
    )
    missing = extract.missing.with_columns(
        spell_id=pl.when(pl.col("episode_id").is_in(["m3", "m4"]))
        .then(pl.lit("s2L"))
        .otherwise(pl.col("spell_id"))
    )
    changed = dataclasses.replace(
        extract, spells=pl.concat([spells, legal]), missing=missing, derived={}
    )
    (table,) = q7_after_start(Query(A, 2024, 2025), changed)
    got = rows(table, "year")
    # As before: s1 and s2 started in 2024, 3 missing (m1; m2, m3) and 1 away (m4); c1 moved.
    assert (got[2024]["placements"], got[2024]["missing"], got[2024]["away"]) == (2, 3, 1)
    assert got[2024]["moved"] == 1


@pytest.mark.parametrize("perspective", [Perspective.HOST, Perspective.PLACING])
def test_an_area_report_gives_the_same_answers_as_the_whole_extract(extract, perspective):
    """A report for one area works from the placements of the area's children only
    (inquiry.area_extract); the dashboards from the whole extract's placement-years."""
    from sightline.evidence.questions import placement_years
    from sightline.evidence.simulate import national_extract

    national = national_extract(
        councils=extract.councils,
        forces=extract.forces,
        episodes=20_000,
        year_from=2020,
        year_to=2025,
        seed=5,
    )
    for area in (
        A,
        Area(AreaKind.REGION, "R1", "Region One"),
        Area(AreaKind.POLICE_FORCE, "F2", "Force Two"),
    ):
        query = Query(area, 2021, 2025, perspective)
        inquiry.forget()
        alone = inquiry.run(query, national)
        assert not national.derived  # the whole extract's tables were not worked out
        placement_years(national)
        inquiry.forget()
        whole = inquiry.run(query, national)
        for mine, theirs in zip(alone.tables(), whole.tables(), strict=True):
            # Exact, but for the model's last digits (sums taken in another order).
            assert_frame_equal(mine.frame, theirs.frame, rel_tol=1e-9)
        assert alone.headlines == pytest.approx(whole.headlines, rel=1e-9)
        national.derived.clear()


def test_incidents_are_joined_to_their_own_placements_even_if_hashes_collide(extract, monkeypatch):
    """Incidents are joined to placements on a hash of the spell id, checked with a second
    hash; when the first collides (here: every id of the same length collides), the join is
    done again on the ids themselves and gives the same rows."""
    from sightline.evidence import questions

    # Sorted on every column: a spell may have a missing and an away incident in one year, and
    # a join gives rows in no set order.
    expected = questions.spell_incidents(extract)
    expected = expected.sort(expected.columns)
    assert expected.height > 0
    extract.derived.clear()
    joins = []
    join = questions._join_incidents

    def counted(extract, key):
        joins.append(key)
        return join(extract, key)

    monkeypatch.setattr(questions, "_join_incidents", counted)
    monkeypatch.setattr(
        questions, "_spell_key", lambda: pl.col("spell_id").str.len_bytes().cast(pl.UInt64)
    )
    again = questions.spell_incidents(extract)
    again = again.sort(again.columns)
    assert len(joins) == 2  # the hashes collided, and the ids were joined instead
    assert_frame_equal(again, expected)


def test_a_report_reading_only_the_columns_it_uses_gives_the_same_answers(extract, tmp_path):
    from sightline.evidence import frames

    frames.save(extract, tmp_path)
    lean = frames.load(tmp_path, used_only=True)
    for name, unused in frames.UNUSED.items():
        assert not set(unused) & set(getattr(lean, name).columns)
    query = Query(A, 2024, 2025)
    inquiry.forget()
    full = inquiry.run(query, frames.load(tmp_path))
    inquiry.forget()
    read_lean = inquiry.run(query, lean)
    for mine, theirs in zip(read_lean.tables(), full.tables(), strict=True):
        assert_frame_equal(mine.frame, theirs.frame)
    assert read_lean.headlines == full.headlines


def test_q7_continuity_counts_placements_and_social_workers_in_the_12_months_before(extract):
    """On 31 March 2025 only c2 is in care in A (s2, one placement in the year before; social
    workers w1 until 1 June 2024 and w2 since); on 31 March 2024, in England, c2 (s2, w1) and
    c4 (s4, no social worker recorded), one placement each: c1 left in 2023."""
    from sightline.evidence.questions import q7_continuity

    def bands(query):
        placements, workers = q7_continuity(query, extract)
        return (
            dict(zip(placements.frame["band"], placements.frame["children"], strict=True)),
            dict(zip(workers.frame["band"], workers.frame["children"], strict=True)),
        )

    assert bands(Query(A, 2024, 2025)) == (
        {"1": 1, "2": 0, "3 or more": 0},
        {"None recorded": 0, "1": 0, "2": 1, "3 or more": 0},
    )
    assert bands(Query(ENGLAND, 2023, 2024)) == (
        {"1": 2, "2": 0, "3 or more": 0},
        {"None recorded": 1, "1": 1, "2": 0, "3 or more": 0},
    )
    slugs = [t.slug for t in q7_continuity(Query(A, 2024, 2025), extract)]
    assert slugs == ["q7-continuity", "q7-social-workers"]
