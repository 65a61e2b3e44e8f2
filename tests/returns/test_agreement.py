"""Sightline agrees with the peer validator on the nine tables' rules, on a shared fixture.

``tests/returns/agreement_tables/356/2025/`` is a small synthetic return with one planted fault for
each of a list of the nine tables' rules; ``peer_findings.json`` is what the peer
(``csc-validator-be-903``, its version recorded in the file) reported for it, run offline by
``tools/peer_agreement_tables.py``. This test runs Sightline on the same files, for the same rules,
and compares: every difference is pinned here with the reason Sightline's answer stands.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.reader import read_return
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent / "agreement_tables"

#: Found by Sightline and not by the peer, with the reason.
ONLY_SIGHTLINE = {
    # The peer's SW13STG1 parses SW_DECOM without a fallback, so a return with one date that
    # is not a date (planted for SW04STG1) stops the rule: it reports nothing at all. The
    # reason BORED is not a code, which is what the rule is for.
    ("SW13STG1", "SWEpisodes", 3, "1001"): "the peer's rule fails to run on a bad SW_DECOM",
    # 583: the child's decisions are of 02/05/2024 (still open) and 01/09/2024. The earlier
    # is the one not revoked. The peer sorts DATE_PLACED as text ("02/05/2024" after
    # "01/09/2024"), takes the earlier for the latest and reports the later one (below).
    ("583", "PlacedAdoption", 4, "1002"): "the earlier decision, still open",
}
_SW12 = (
    "An open episode that continues a period of care (RNE P, no DEC) neither starts nor ends "
    "care, so it needs no social worker episode at either end; the peer compares its blank "
    "REC as different from X1 and its blank DEC with SW_DECOM (false), and reports it."
)
#: Found by the peer and not by Sightline, with the reason.
ONLY_PEER: dict[tuple[str, str, int, str], str] = {
    ("583", "PlacedAdoption", 5, "1002"): "the peer sorts DATE_PLACED as text (above)",
    **{
        ("SW12STG2", "Episodes", row, child): _SW12
        for row, child in (
            (3, "1000"), (7, "1002"), (9, "1005"), (10, "1006"), (13, "1010"), (16, "1012"),
            (17, "1013"), (18, "1014"), (25, "1019"),
        )
    },
}  # fmt: skip


def test_sightline_finds_what_the_peer_found_but_the_pinned_differences() -> None:
    recorded = json.loads((HERE / "peer_findings.json").read_text())
    assert recorded["peer"] == "csc-validator-be-903" and recorded["version"] == "0.1.17"
    asked = set(recorded["rules_asked"])
    peer = {(f["rule"], f["table"], f["row"], f["child"]) for f in recorded["findings"]}
    tables = read_return(HERE / "356" / str(recorded["year"]))
    context = Context(year=CollectionYear(recorded["year"]), council=recorded["council"])
    results = run_rules(prepare(tables, context))
    ours = {
        (r["rule"], r["table"], r["row"], r["child"])
        for r in results.iter_rows(named=True)
        if r["rule"] in asked
    }
    # Nothing else fires: the fixture is valid but for its planted faults.
    assert set(results["rule"]) <= asked
    assert ours - peer == set(ONLY_SIGHTLINE)
    assert peer - ours == set(ONLY_PEER)
