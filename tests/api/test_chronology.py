"""``GET/POST /children/{id}/chronology`` and ``POST /chronology-entries/{id}/supersede``."""

from __future__ import annotations

import datetime as dt

import pytest

from sightline.access.models import AccessRecord
from sightline.chronology.models import ChronologyEntry
from sightline.core.timeutil import now
from sightline.organisations.models import Role
from tests.api.conftest import World

pytestmark = pytest.mark.django_db

SEEN = "Seen getting into a grey car near the station"


def _body(world: World, **changes: object) -> dict[str, object]:
    return {
        "entry_type": "intelligence_summary",
        "significance": "significant",
        "occurred_at": (now() - dt.timedelta(hours=2)).isoformat(),
        "text": SEEN,
        "restricted": True,
        "visible_to": [str(world.manchester.pk)],
        **changes,
    }


def test_the_police_add_an_entry_the_placing_council_reads_and_the_home_cannot(
    world: World,
) -> None:
    world.key("officer", world.gmp, Role.POLICE_MISSING_OFFICER)
    added = world.api("officer").post(f"/children/{world.ada.id}/chronology", _body(world))
    assert added.status_code == 201, added.content
    entry = added.json()
    assert entry["organisation_name"] == world.gmp.name
    assert entry["visible_to"] == [str(world.manchester.pk)]
    assert ChronologyEntry.objects.get().pk.hex == entry["id"].replace("-", "")

    placing = world.api("manchester").get(f"/children/{world.ada.id}/chronology")
    assert placing.status_code == 200
    (row,) = [r for r in placing.json()["items"] if r["entry_id"] == entry["id"]]
    assert row["text"] == SEEN and row["restricted"] and not row["automatic"]
    assert AccessRecord.objects.filter(purpose="Read the chronology (API)").exists()

    home = world.api("brightwater").get(f"/children/{world.ada.id}/chronology")
    (row,) = [r for r in home.json()["items"] if r["entry_id"] == entry["id"]]
    assert row["text"] is None
    assert row["ask"].startswith("Ask ") and world.gmp.name in row["ask"]
    assert any(r["automatic"] and r["kind"] == "placement" for r in home.json()["items"])

    filtered = world.api("manchester").get(
        f"/children/{world.ada.id}/chronology", {"kind": "intelligence_summary"}
    )
    assert filtered.json()["count"] == 1

    assert world.api("leeds").get(f"/children/{world.ada.id}/chronology").status_code == 404


def test_a_correction_supersedes_through_the_api(world: World) -> None:
    world.key("officer", world.gmp, Role.POLICE_MISSING_OFFICER)
    first = world.api("officer").post(f"/children/{world.ada.id}/chronology", _body(world))
    entry_id = first.json()["id"]
    corrected = world.api("officer").post(
        f"/chronology-entries/{entry_id}/supersede",
        _body(world, text="Two older men, not one", significance="critical"),
    )
    assert corrected.status_code == 201, corrected.content
    assert corrected.json()["supersedes_id"] == entry_id
    rows = world.api("manchester").get(f"/children/{world.ada.id}/chronology").json()["items"]
    written = {r["entry_id"]: r for r in rows if not r["automatic"]}
    assert written[entry_id]["superseded_by_id"] == corrected.json()["id"]
    assert written[entry_id]["text"] == SEEN  # both stay

    # The placing council may add entries, but not correct the police's.
    refused = world.api("manchester").post(
        f"/chronology-entries/{corrected.json()['id']}/supersede", _body(world, visible_to=[])
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "supersedes"
    # Another council's key: not found, as for an entry that does not exist.
    missing = world.api("kent").post(
        f"/chronology-entries/{entry_id}/supersede", _body(world, restricted=False, visible_to=[])
    )
    assert missing.status_code == 404
