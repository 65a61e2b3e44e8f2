"""Adding to and correcting a child's chronology: the services' rules, the same bad input
through the web form, the service and the API, and nothing that changes or deletes an entry.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from sightline.api import main as api_main
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.chronology import services
from sightline.chronology.models import ChronologyEntry
from sightline.chronology.services import chronology_entry_add, chronology_entry_supersede
from sightline.core.calendar import LONDON
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now
from sightline.language.models import LanguageFlag
from tests import factories
from tests.chronology.conftest import People

pytestmark = pytest.mark.django_db

SEEN = "Seen getting into a grey car near the station"


def _add(p: People, **changes: Any) -> ChronologyEntry:
    arguments: dict[str, Any] = {
        "actor": p.officer,
        "child": p.world.ada,
        "entry_type": "intelligence_summary",
        "significance": "significant",
        "occurred_at": now() - dt.timedelta(hours=2),
        "text": SEEN,
        "restricted": True,
        "visible_to": [p.world.manchester.pk],
    }
    return chronology_entry_add(**{**arguments, **changes})


def test_an_agency_adds_an_entry_with_its_audit_event(people: People) -> None:
    entry = _add(people)
    assert entry.organisation == people.world.gmp
    assert entry.author == people.officer
    assert entry.recorded_at >= entry.occurred_at
    assert list(entry.visible_to.all()) == [people.world.manchester]
    event = AuditEvent.objects.get(verb=AuditVerb.CHRONOLOGY_ENTRY_ADDED)
    assert event.object_id == str(entry.pk)
    assert str(event.child_id) == str(people.world.ada.pk)
    assert event.payload == {
        "entry_type": "intelligence_summary",
        "significance": "significant",
        "restricted": True,
        "supersedes": None,
    }
    assert SEEN not in json.dumps(event.payload)


def test_no_one_outside_the_child_adds_an_entry(people: People) -> None:
    with pytest.raises(NotFoundOrNotAllowed):
        _add(people, actor=people.outsider, restricted=False, visible_to=[])
    assert not ChronologyEntry.objects.exists()


def test_confirmed_flagged_wording_is_kept_with_the_entry(people: People) -> None:
    entry = _add(
        people,
        text="She is putting herself at risk with older men",
        language_confirmed=True,
    )
    flag = LanguageFlag.objects.get(record_id=str(entry.pk))
    assert (flag.record_kind, flag.field, flag.phrase_id) == (
        "chronology.entry",
        "text",
        "putting-themselves-at-risk",
    )


# --- The same bad input through the form, the service and the API --------------------------


def _moment(at: dt.datetime) -> dict[str, str]:
    local = at.astimezone(LONDON)
    return {
        "occurred_date_0": str(local.day),
        "occurred_date_1": str(local.month),
        "occurred_date_2": str(local.year),
        "occurred_time": local.strftime("%H:%M"),
    }


# name -> (service changes, form changes, API changes, field, message in each door)
BAD: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], str, str]] = {
    "no text": ({"text": "   "}, {"text": "  "}, {"text": " "}, "text", "Enter what happened"),
    "an event in the future": (
        {"occurred_at": now() + dt.timedelta(days=2)},
        _moment(now() + dt.timedelta(days=2)),
        {"occurred_at": (now() + dt.timedelta(days=2)).isoformat()},
        "occurred_at",
        "The date and time of the event must be in the past",
    ),
    "restricted without organisations": (
        {"visible_to": []},
        {"visible_to": []},
        {"visible_to": []},
        "visible_to",
        "Select the organisations that may read the entry",
    ),
    "flagged wording not confirmed": (
        {"text": "He is involved in CSE"},
        {"text": "He is involved in CSE"},
        {"text": "He is involved in CSE"},
        "text",
        "consider “is a victim of sexual exploitation",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_same_bad_input_is_refused_by_the_service_the_form_and_the_api(
    people: People, case: str
) -> None:
    service, form, api, field, message = BAD[case]
    w = people.world
    with pytest.raises(ValidationError) as refused:
        _add(people, **service)
    assert refused.value.field == field
    assert message in refused.value.message
    assert refused.value.record == "Child MAN001"

    data = {
        "entry_type": "intelligence_summary",
        "significance": "significant",
        "text": SEEN,
        "visibility": "named",
        "visible_to": [str(w.manchester.pk)],
        **_moment(now() - dt.timedelta(hours=2)),
        **form,
    }
    response = factories.signed_in(people.officer).post(
        reverse("chronology_entry_new", args=[w.ada.id]), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()

    w.key("gmp-officer", w.gmp, "police_missing_officer")
    body = {
        "entry_type": "intelligence_summary",
        "significance": "significant",
        "occurred_at": (now() - dt.timedelta(hours=2)).isoformat(),
        "text": SEEN,
        "restricted": True,
        "visible_to": [str(w.manchester.pk)],
        **api,
    }
    answer = w.api("gmp-officer").post(f"/children/{w.ada.id}/chronology", body)
    assert answer.status_code == 422, answer.content
    (error,) = answer.json()["errors"]
    assert error["field"] == field
    assert message in error["message"]
    assert error["record"] == "Child MAN001"
    assert not ChronologyEntry.objects.exists()
    assert not AuditEvent.objects.filter(verb=AuditVerb.CHRONOLOGY_ENTRY_ADDED).exists()


def test_an_entry_is_marked_only_for_organisations_involved_with_the_child(
    people: People,
) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(people, visible_to=[people.world.leeds.pk])
    assert refused.value.field == "visible_to"
    assert "involved with the child" in refused.value.message


# --- Append-only: corrections supersede, nothing changes or goes ----------------------------


def test_a_correction_supersedes_the_entry_and_both_stay(people: People) -> None:
    entry = _add(people)
    correction = chronology_entry_supersede(
        actor=people.officer,
        entry=entry,
        entry_type="intelligence_summary",
        significance="critical",
        occurred_at=entry.occurred_at,
        text="Seen getting into a grey car with two older men near the station",
        restricted=True,
        visible_to=[people.world.manchester.pk],
    )
    assert correction.supersedes == entry
    entry.refresh_from_db()
    assert entry.text == SEEN  # unchanged
    assert entry.superseded_by == correction
    assert ChronologyEntry.objects.count() == 2
    event = AuditEvent.objects.filter(verb=AuditVerb.CHRONOLOGY_ENTRY_ADDED).latest("seq")
    assert event.payload["supersedes"] == str(entry.pk)

    # Once only: the latest correction is the one to correct.
    with pytest.raises(ValidationError, match="already been corrected"):
        chronology_entry_supersede(
            actor=people.officer,
            entry=entry,
            entry_type="contact",
            significance="routine",
            occurred_at=entry.occurred_at,
            text="Again",
        )


def test_only_the_source_agency_corrects_its_entry(people: People) -> None:
    entry = _add(people)
    with pytest.raises(ValidationError) as refused:
        chronology_entry_supersede(
            actor=people.social_worker,
            entry=entry,
            entry_type="contact",
            significance="routine",
            occurred_at=entry.occurred_at,
            text="Not ours to correct",
        )
    assert refused.value.field == "supersedes"
    assert "Greater Manchester Police" in refused.value.message
    assert ChronologyEntry.objects.count() == 1


def test_nothing_changes_or_deletes_an_entry(people: People) -> None:
    """No service, API operation or admin page changes or deletes an entry."""
    writers = {n for n in dir(services) if n.startswith("chronology_entry_")}
    assert writers == {
        "chronology_entry_add",
        "chronology_entry_supersede",
        "chronology_entry_correctable",
    }
    chronology_ops = {
        (method, path) for method, path, _ in api_main.operations() if "chronolog" in path
    }
    assert {method for method, _ in chronology_ops} == {"GET", "POST"}
    assert ChronologyEntry not in admin.site._registry
    entry = _add(people)
    client = Client()
    headers = {"Authorization": f"Bearer {people.world.keys['gmp']}"}
    for method in ("put", "patch", "delete"):
        answer = getattr(client, method)(
            f"/api/v1/chronology-entries/{entry.pk}/supersede", headers=headers
        )
        assert answer.status_code == 405
    assert ChronologyEntry.objects.get().text == SEEN
