"""Higher packages add to the chronology through ``chronology.registry`` (the shared
contract): a source is called with the child and the user, and its rows are merged with the
written entries and the chronology's own automatic rows in time order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from sightline.access.policy import Action, access_child
from sightline.chronology import registry
from sightline.chronology.registry import AutoEntry, chronology_source_register
from sightline.chronology.selectors import chronology_kinds, chronology_rows
from sightline.chronology.services import chronology_entry_add
from sightline.core.timeutil import now
from sightline.missing.services import episode_close, episode_report
from tests.chronology.conftest import People

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting_source(people: People) -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def fetch(*, child: Any, user: Any) -> list[AutoEntry]:
        calls.append({"child": child, "user": user})
        return [
            AutoEntry(
                occurred_at=now() - dt.timedelta(hours=3),
                kind="meeting",
                label="Strategy meeting held",
                organisation_id=people.world.manchester.pk,
                significance="significant",
                url="/meetings/1/",
            )
        ]

    before = dict(registry._sources)
    chronology_source_register(name="meetings", fetch=fetch)
    yield calls
    registry._sources.clear()
    registry._sources.update(before)


def test_a_registered_source_is_merged_in_time_order(
    people: People, meeting_source: list[dict[str, Any]]
) -> None:
    user = people.social_worker
    chronology_entry_add(
        actor=user,
        child=people.world.ada,
        entry_type="decision",
        significance="routine",
        occurred_at=now() - dt.timedelta(hours=2),
        text="Agreed a safety plan",
    )
    access = access_child(user, people.world.ada.pk, action=Action.VIEW_CHRONOLOGY, purpose="t")
    rows = chronology_rows(access=access, user=user)
    assert meeting_source == [{"child": people.world.ada, "user": user}]
    labels = [r.text for r in rows]
    assert labels.index("Strategy meeting held") < labels.index("Agreed a safety plan")
    meeting = next(r for r in rows if r.text == "Strategy meeting held")
    assert (meeting.kind, meeting.organisation_name, meeting.url) == (
        "meeting",
        people.world.manchester.name,
        "/meetings/1/",
    )
    assert meeting.automatic
    assert chronology_kinds()["meetings"] == "Meetings"
    assert [r.occurred_at for r in rows] == sorted(r.occurred_at for r in rows)


def test_episodes_and_notices_appear_automatically(people: People) -> None:
    w = people.world
    home = people.home
    episode = episode_report(
        actor=home,
        child=w.ada,
        kind="missing",
        last_seen_at=now() - dt.timedelta(hours=5),
        last_seen_place="The park",
        reported_to_police=True,
    )
    episode_close(
        actor=home,
        episode=episode,
        returned_at=now() - dt.timedelta(hours=1),
        place="Back at the home",
        found_by="self",
    )
    user = people.social_worker
    access = access_child(user, w.ada.pk, action=Action.VIEW_CHRONOLOGY, purpose="t")
    rows = chronology_rows(access=access, user=user)
    episode_rows = [r for r in rows if r.kind == "episode"]
    assert [r.text for r in episode_rows] == ["Reported missing: last seen", "Returned or found"]
    assert episode_rows[0].significance == "significant"
    assert episode_rows[0].organisation_id == w.brightwater.pk
    assert all(r.url.endswith(f"/episodes/{episode.pk}/") for r in episode_rows)
    notices = [r for r in rows if r.kind == "notice"]
    assert notices and all("sent to" in (r.text or "") for r in notices)
