"""Planted exploitation networks (synth/england/networks.py): reproducible from a seed, made of
children from several homes, with same-home noise, and recovered by the link core with
precision and recall of at least 0.9 at the child-pair level (a small region; the England
figures are the benchmark's, docs/performance.md)."""

from __future__ import annotations

from collections import Counter

import pytest

from sightline.exploitation.linking import compute_links
from sightline.synth.england.model import EnglandConfig, Simulation, simulate
from sightline.synth.england.networks import Planted, plant_networks

pytestmark = pytest.mark.django_db

# Greater Manchester's ten councils: homes close enough together for networks to form.
COUNCILS = ("350", "351", "352", "353", "354", "355", "356", "357", "358", "359")


@pytest.fixture(scope="module")
def simulation(django_db_setup, django_db_blocker) -> Simulation:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        from sightline.geography.models import PoliceForce
        from sightline.geography.services import reference_data_load

        if not PoliceForce.objects.exists():
            reference_data_load()
        return simulate(EnglandConfig(seed=11, first_year=2025, last_year=2025, councils=COUNCILS))


@pytest.fixture(scope="module")
def planted(simulation: Simulation, django_db_blocker) -> Planted:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        return plant_networks(simulation, year=2025, seed=11)


def test_networks_are_planted_across_homes_with_their_truth(planted: Planted) -> None:
    assert len(planted.networks) >= 3
    homes = {a.child: a.setting for a in planted.absences if a.ref.startswith("net")}
    for members in planted.networks:
        assert 3 <= len(members) <= 7
        assert len({homes[child] for child in members}) >= 2
    assert planted.truth == {
        (a, b) for members in planted.networks for a in members for b in members if a < b
    }
    assert len({child for members in planted.networks for child in members}) == sum(
        len(members) for members in planted.networks
    )


def test_the_same_seed_plants_the_same_facts(
    simulation: Simulation, planted: Planted, django_db_blocker
) -> None:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        again = plant_networks(simulation, year=2025, seed=11)
        other = plant_networks(simulation, year=2025, seed=12)
    assert again == planted
    assert other.networks != planted.networks


def test_links_recover_the_networks_and_same_home_nights_stay_weak(planted: Planted) -> None:
    links = compute_links(planted.absences, planted.sightings, planted.mentions)
    confirmed = {(link.a, link.b) for link in links if link.confirmed}
    hits = len(confirmed & planted.truth)
    assert hits / len(confirmed) >= 0.9
    assert hits / len(planted.truth) >= 0.9
    noise = [
        link
        for link in links
        if any(ref.startswith("noise") for e in link.evidence for ref in e.refs)
        and (link.a, link.b) not in planted.truth
    ]
    assert noise
    strengths = Counter(link.strength for link in noise)
    assert strengths["weak"] >= 0.9 * len(noise)
    for link in links:
        if (link.a, link.b) in planted.truth and link.confirmed:
            assert any(
                e.kind != "missing_together" or e.refs[0].startswith("net") for e in link.evidence
            )
