"""Sightline's findings against the peer validator's, rule by rule, on shared synthetic
returns (``tests/returns/agreement/``). The peer's were recorded offline by
``tools/peer_agreement.py`` into ``peer_findings.json``, so this test needs no peer.

Where the two differ, ``DIFFERENCES`` pins Sightline's answer with the reason: the test fails
if they differ anywhere else, or if a pinned difference goes away (then unpin it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.reader import read_return
from sightline.returns.rules import RULES
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules

pytestmark = pytest.mark.django_db

FOLDER = Path(__file__).parent / "agreement"
PEER = json.loads((FOLDER / "peer_findings.json").read_text())
COUNCILS = {"356": "E08000007"}
#: Rules the peer fails to run (233 reads a column the return does not have: docs/returns.md).
NOT_CHECKED = {"233"}

# (fixture, rule): (what Sightline finds, as (table, row); why it differs from the peer).
_RECODED = (
    "The placement postcodes lie in councils recoded in 2023 (Cumberland, Westmorland and "
    "Furness, North Yorkshire, Somerset) and Barnsley and Sheffield's 2025 districts: the "
    "peer's 2021 district table gives them no PL_LA. Sightline's districts know the recodings."
)
_OPEN = (
    "Missing periods still open in placements still open at 31 March: the peer's rule 365 "
    "writes 31 March into the blank DEC of open episodes in place, so 575 and 577 then see "
    "ended placements. Run alone, the peer's 575 and 577 report nothing here."
)
DIFFERENCES: dict[tuple[str, str], tuple[set[tuple[str, int]], str]] = {
    ("356-2025", "169"): (set(), _RECODED),
    ("356-2025", "575"): (set(), _OPEN),
    ("356-2025", "577"): (set(), _OPEN),
    ("356-2025", "202"): (
        {("Header", 2)},
        "2023/24 coded sex 1 and 2, 2024/25 M and F: the peer compares the codes as text and "
        "reports every child; Sightline reports the one child whose sex did change.",
    ),
    ("356-2026", "169"): (set(), _RECODED),
    ("356-2026", "575"): (set(), _OPEN),
    ("356-2026", "577"): (set(), _OPEN),
}
#: What was planted in each fixture (one fault a child), which both must find.
PLANTED = {
    "356-2025": {
        "103", "146", "168", "202", "355", "378", "380", "392c", "435", "442", "502", "526",
        "530", "567", "611", "1006",
    },
    "356-2026": {"242", "444"},
}  # fmt: skip


def _sightline(name: str) -> dict[str, set[tuple[str, int]]]:
    code, year = name.split("-")
    previous = FOLDER / name / "previous"
    frames = prepare(
        read_return(FOLDER / name),
        Context(year=CollectionYear(int(year)), council=COUNCILS[code]),
        previous=read_return(previous) if previous.is_dir() else None,
    )
    found: dict[str, set[tuple[str, int]]] = {}
    for row in run_rules(frames).iter_rows(named=True):
        found.setdefault(row["rule"], set()).add((row["table"], row["row"]))
    return found


@pytest.mark.parametrize("name", sorted(PEER["fixtures"]))
def test_sightline_agrees_with_the_peer_rule_by_rule(name: str) -> None:
    assert PEER["peer_version"] == "0.1.17"
    peer_run = PEER["fixtures"][name]
    ours = _sightline(name)
    theirs = {
        code: {(table, row) for table, row in rows} for code, rows in peer_run["findings"].items()
    }
    checked = {r.code for r in RULES} & (set(peer_run["rules_run"]) - NOT_CHECKED)
    differing = {}
    for code in sorted(checked | (set(ours) - {c for c in ours if c.startswith("SL")})):
        if ours.get(code, set()) != theirs.get(code, set()):
            differing[code] = (ours.get(code, set()), theirs.get(code, set()))
    assert PLANTED[name] <= set(ours) & set(theirs)
    pinned = {code: answer for (fixture, code), answer in DIFFERENCES.items() if fixture == name}
    assert {c: d[0] for c, d in differing.items()} == {c: a[0] for c, a in pinned.items()}, {
        c: f"Sightline {sorted(d[0])}, peer {sorted(d[1])}" for c, d in differing.items()
    }
