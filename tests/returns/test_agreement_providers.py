"""Sightline agrees with the peer validator on the eight rules that read Ofsted's register of
providers (ADR 0056), on a shared fixture.

``tests/returns/agreement_providers/`` holds a small synthetic 2025/26 return, a synthetic
register of its providers (``providers.csv``) with a fault planted for each rule, and what the
peer (``csc-validator-be-903``, its version recorded) reported given the same register, run
offline by ``tools/peer_agreement_providers.py``. Every difference is pinned with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.providers import read_providers
from sightline.returns.reader import read_return
from sightline.returns.rules_providers import PROVIDER_RULES
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent / "agreement_providers"

_UNKNOWN = (
    "The URN is not in the register: that is 1008. The peer's lookup gives it no placement "
    "codes, provider codes or council, and it reports the episode under 219, 224 and 229 too."
)
#: Found by the peer and not by Sightline, with the reason.
ONLY_PEER = {
    ("219", "Episodes", 2, "1000"): _UNKNOWN,
    ("224", "Episodes", 2, "1000"): _UNKNOWN,
    ("229", "Episodes", 2, "1000"): _UNKNOWN,
    # Supported accommodation (K3) in another council, where the provider has its premises:
    # the DfE's rule compares PL_LA with the provider's councils; the peer's with the
    # reporting council (issue 16: a known false positive).
    ("241", "Episodes", 31, "1023"): "the peer compares PL_LA with the reporting council",
}
#: Found by Sightline and not by the peer, with the reason.
ONLY_SIGHTLINE: dict[tuple[str, str, int, str], str] = {}


def test_sightline_finds_what_the_peer_found_but_the_pinned_differences() -> None:
    recorded = json.loads((HERE / "peer_findings.json").read_text())
    assert recorded["peer"] == "csc-validator-be-903" and recorded["version"] == "0.1.17"
    assert set(recorded["rules_run"]) == PROVIDER_RULES
    peer = {(f["rule"], f["table"], f["row"], f["child"]) for f in recorded["findings"]}
    context = Context(
        year=CollectionYear(recorded["year"]),
        council=recorded["council"],
        providers=read_providers(HERE / "providers.csv"),
    )
    frames = prepare(read_return(HERE / "356" / str(recorded["year"])), context)
    ours = {
        (r["rule"], r["table"], r["row"], r["child"])
        for r in run_rules(frames).iter_rows(named=True)
        if r["rule"] in PROVIDER_RULES
    }
    assert ours - peer == set(ONLY_SIGHTLINE)
    assert peer - ours == set(ONLY_PEER)
    # Every rule found something in the fixture, in both.
    assert {f[0] for f in ours & peer} == PROVIDER_RULES
