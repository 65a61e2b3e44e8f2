"""A small hand-built extract whose answers are worked out by hand in the tests.

Three councils: A and B in region R1 (police force F1), C in region R2 (force F2). Years are
collection years: 2024 is 1 April 2023 to 31 March 2024 (366 days: February 2024 has 29).

Placements (spells):
  s1  child c1, placed by A in A,  3.0 miles, K2, girl born June 2008,  1 Apr 2023 - 1 May 2023
  s5  child c1, placed by A in B,  8.0 miles, K2,                       1 May 2023 - 1 Sep 2023
  s2  child c2, placed by B in A, 30.0 miles, K2, boy born Jan 2010,    1 Apr 2023 - open
  s3  child c3, placed by C in A, 60.0 miles, U4, girl born Mar 2012,   1 Oct 2024 - 1 Jan 2025
  s4  child c4, placed by A in C, 12.0 miles, K2, boy born Jan 2007,    1 Jun 2023 - 1 Jun 2024
The data run to 31 March 2025 (as_of), so the open s2 runs to 1 April 2025 (end day not counted).

Missing (M) and away (A) episodes:
  m1 c1 M  5 Apr 2023 (s1, host A)      m4 c2 A  1 Jun 2024 (s2, host A)
  m2 c2 M  1 Aug 2023 (s2, host A)      m5 c3 M  1 Nov 2024 (s3, host A)
  m3 c2 M  1 May 2024 (s2, host A)      m6 c4 M  1 Jul 2023 (s4, host C)

Social workers: c2 had w1 from 1 Apr 2023 to 1 Jun 2024, then w2 from 1 Jun 2024 (still);
no other child has one recorded.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from sightline.evidence import frames as F

UTC = dt.UTC
D = dt.date


def at(y: int, m: int, d: int, h: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=UTC)


COUNCILS = [
    ("E0A", "901", "Council A", "R1", "Region One", "F1", "Force One"),
    ("E0B", "902", "Council B", "R1", "Region One", "F1", "Force One"),
    ("E0C", "903", "Council C", "R2", "Region Two", "F2", "Force Two"),
]

SPELLS = [
    # spell, child, placing, birth, sex, start, end, type, provider, host, force, miles, ooa
    (
        "s1",
        "c1",
        "E0A",
        D(2008, 6, 1),
        "F",
        D(2023, 4, 1),
        D(2023, 5, 1),
        "K2",
        "PR4",
        "E0A",
        "F1",
        3.0,
        False,
    ),
    (
        "s5",
        "c1",
        "E0A",
        D(2008, 6, 1),
        "F",
        D(2023, 5, 1),
        D(2023, 9, 1),
        "K2",
        "PR4",
        "E0B",
        "F1",
        8.0,
        True,
    ),
    (
        "s2",
        "c2",
        "E0B",
        D(2010, 1, 1),
        "M",
        D(2023, 4, 1),
        None,
        "K2",
        "PR4",
        "E0A",
        "F1",
        30.0,
        True,
    ),
    (
        "s3",
        "c3",
        "E0C",
        D(2012, 3, 1),
        "F",
        D(2024, 10, 1),
        D(2025, 1, 1),
        "U4",
        "PR1",
        "E0A",
        "F1",
        60.0,
        True,
    ),
    (
        "s4",
        "c4",
        "E0A",
        D(2007, 1, 1),
        "M",
        D(2023, 6, 1),
        D(2024, 6, 1),
        "K2",
        "PR4",
        "E0C",
        "F2",
        12.0,
        True,
    ),
]

MISSING = [
    # episode, child, placing, kind, start, spell, host, force,
    # returned, interview offered, completed, declined
    ("m1", "c1", "E0A", "M", D(2023, 4, 5), "s1", "E0A", "F1", None, None, None, None),
    (
        "m2",
        "c2",
        "E0B",
        "M",
        D(2023, 8, 1),
        "s2",
        "E0A",
        "F1",
        at(2023, 8, 2, 9),
        at(2023, 8, 4, 8),
        at(2023, 8, 5),
        None,
    ),
    (
        "m3",
        "c2",
        "E0B",
        "M",
        D(2024, 5, 1),
        "s2",
        "E0A",
        "F1",
        at(2024, 5, 2, 10),
        at(2024, 5, 6, 10),
        None,
        at(2024, 5, 7),
    ),
    ("m4", "c2", "E0B", "A", D(2024, 6, 1), "s2", "E0A", "F1", None, None, None, None),
    ("m5", "c3", "E0C", "M", D(2024, 11, 1), "s3", "E0A", "F1", at(2024, 11, 2), None, None, None),
    ("m6", "c4", "E0A", "M", D(2023, 7, 1), "s4", "E0C", "F2", None, None, None, None),
]

HOMES = [
    ("h1", "E0A", "F1", "private", 4, "K2"),
    ("h2", "E0A", "F1", "council", 3, "K2"),
    ("h3", "E0C", "F2", "private", None, "K2"),
    ("h4", "E0A", "F1", "private", None, "U4"),
]

NOTICES = [
    # placement, kind, placing, host, due, created, ack due, acknowledged
    (
        "s2",
        "placement",
        "E0B",
        "E0A",
        at(2023, 5, 10),
        at(2023, 5, 9, 10),
        at(2023, 5, 11),
        at(2023, 5, 9, 15),
    ),
    ("s2", "admission", "E0B", "E0A", at(2023, 5, 10), at(2023, 5, 9, 12), at(2023, 5, 11), None),
    ("s3", "admission", "E0C", "E0A", at(2024, 10, 2), at(2024, 10, 1, 9), at(2024, 10, 3), None),
    (
        "s4",
        "placement",
        "E0A",
        "E0C",
        at(2023, 6, 1),
        at(2023, 6, 2, 9),
        at(2023, 6, 5),
        at(2023, 6, 4, 9),
    ),
    ("s4", "admission", "E0A", "E0C", at(2023, 6, 2), at(2023, 6, 1, 9), at(2023, 6, 3), None),
]


def extract() -> F.Extract:
    spells = pl.DataFrame(
        [
            {
                "spell_id": s[0],
                "child_key": s[1],
                "placing_council": s[2],
                "birth_month": s[3],
                "sex": s[4],
                "start": s[5],
                "end": s[6],
                "place_type": s[7],
                "provider": s[8],
                "host_council": s[9],
                "host_police_force": s[10],
                "distance_miles": s[11],
                "out_of_area": s[12],
                "setting_key": f"home-{s[0]}",
                "new_placement": True,
            }
            for s in SPELLS
        ],
        schema=F.SPELLS,
    )
    missing = pl.DataFrame(
        [
            {
                "episode_id": m[0],
                "child_key": m[1],
                "placing_council": m[2],
                "kind": m[3],
                "start": m[4],
                "end": m[4],
                "spell_id": m[5],
                "host_council": m[6],
                "host_police_force": m[7],
                "found_outside_force": None,
                "returned_at": m[8],
                "interview_offered_at": m[9],
                "interview_completed_at": m[10],
                "interview_declined_at": m[11],
            }
            for m in MISSING
        ],
        schema=F.MISSING,
    )
    return F.Extract(
        spells=spells,
        missing=missing,
        homes=pl.DataFrame(HOMES, schema=F.HOMES, orient="row"),
        notices=pl.DataFrame(NOTICES, schema=F.NOTICES, orient="row"),
        councils=pl.DataFrame(COUNCILS, schema=F.COUNCILS, orient="row"),
        forces=pl.DataFrame(
            [("F1", "Force One"), ("F2", "Force Two")], schema=F.FORCES, orient="row"
        ),
        social_workers=pl.DataFrame(
            [
                ("c2", "E0B", "w1", D(2023, 4, 1), D(2024, 6, 1)),
                ("c2", "E0B", "w2", D(2024, 6, 1), None),
            ],
            schema=F.SOCIAL_WORKERS,
            orient="row",
        ),
        as_of=D(2025, 3, 31),
        source="hand-built test data",
    )
