"""The chronology's pages: read (audited, filtered, a page at a time), add, correct, print
for an audience recorded on the audit, and the PDF."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.chronology.models import ChronologyEntry
from sightline.chronology.services import chronology_entry_add
from sightline.core.calendar import LONDON
from sightline.core.pdf import chromium_path
from sightline.core.timeutil import now
from tests import factories
from tests.chronology.conftest import People

pytestmark = pytest.mark.django_db

SEEN = "Seen getting into a grey car near the station"


def _entry(p: People, **changes: object) -> ChronologyEntry:
    arguments: dict[str, object] = {
        "actor": p.officer,
        "child": p.world.ada,
        "entry_type": "intelligence_summary",
        "significance": "significant",
        "occurred_at": now() - dt.timedelta(hours=2),
        "text": SEEN,
        "restricted": True,
        "visible_to": [p.world.manchester.pk],
    }
    return chronology_entry_add(**{**arguments, **changes})  # type: ignore[arg-type]


def _url(p: People, name: str = "chronology") -> str:
    return reverse(name, args=[p.world.ada.id])


def test_the_chronology_merges_entries_and_what_happened_in_time_order(people: People) -> None:
    _entry(people, restricted=False, visible_to=[], text="Visited the home")
    response = factories.signed_in(people.home).get(_url(people))
    assert response.status_code == 200
    rows = response.context["rows"]
    kinds = [r.kind for r in rows]
    assert "intelligence_summary" in kinds and "placement" in kinds and "notice" in kinds
    moments = [r.occurred_at for r in rows]
    assert moments == sorted(moments, reverse=True)  # newest first on the page
    html = response.content.decode()
    assert "Visited the home" in html
    assert "Placement started at Larch House" in html
    # Each page is an audited read of the child.
    look = AccessRecord.objects.get(user=people.home, purpose="Read the child's chronology")
    assert look.action == "view chronology"
    assert AuditEvent.objects.filter(
        verb=AuditVerb.CHILD_VIEWED, purpose="Read the child's chronology"
    ).exists()


def test_a_restricted_entry_shows_the_others_that_it_exists_and_whom_to_ask(
    people: People,
) -> None:
    _entry(people)
    placing = factories.signed_in(people.social_worker).get(_url(people)).content.decode()
    assert SEEN in placing
    assert "Shared with: Manchester City Council" in placing or "Shared with:" in placing
    home = factories.signed_in(people.home).get(_url(people)).content.decode()
    assert SEEN not in home
    assert "An entry exists. Its text is shared with named organisations only." in home
    assert f"at {people.world.gmp.name}" in home
    assert "Greater Manchester" in home


def test_the_filters_narrow_by_agency_type_significance_and_date(people: People) -> None:
    _entry(people, restricted=False, visible_to=[])
    _entry(
        people,
        actor=people.social_worker,
        entry_type="decision",
        significance="critical",
        occurred_at=dt.datetime(2025, 3, 1, 10, tzinfo=LONDON),
        restricted=False,
        visible_to=[],
        text="Strategy meeting decided on a safety plan",
    )
    client = factories.signed_in(people.social_worker)

    def kinds(**query: object) -> list[str]:
        response = client.get(_url(people), query)
        assert response.status_code == 200
        return sorted({r.kind for r in response.context["rows"]})

    assert kinds(agency=str(people.world.gmp.pk)) == ["intelligence_summary"]
    assert kinds(kind="decision") == ["decision"]
    assert kinds(significance="critical") == ["decision"]
    march = {"since-day": "1", "since-month": "3", "since-year": "2025"}
    march |= {"until-day": "2", "until-month": "3", "until-year": "2025"}
    assert kinds(**march) == ["decision"]
    # A choice that is not offered is an error on the form, not a guess, and reflects nothing.
    response = client.get(_url(people), {"kind": "<script>"})
    assert "Select types of entry from the list" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_the_chronology_is_paginated(people: People) -> None:
    for n in range(30):
        _entry(
            people,
            restricted=False,
            visible_to=[],
            text=f"Entry {n}",
            occurred_at=now() - dt.timedelta(minutes=n + 1),
        )
    client = factories.signed_in(people.social_worker)
    first = client.get(_url(people))
    assert len(first.context["rows"]) == 25
    assert first.context["num_pages"] == 2
    second = client.get(_url(people), {"page": "2"})
    assert second.context["number"] == 2
    assert len(second.context["rows"]) == first.context["count"] - 25


def test_the_home_adds_an_entry_through_the_form(people: People) -> None:
    at = (now() - dt.timedelta(hours=1)).astimezone(LONDON)
    response = factories.signed_in(people.home).post(
        _url(people, "chronology_entry_new"),
        {
            "entry_type": "contact",
            "significance": "routine",
            "occurred_date_0": str(at.day),
            "occurred_date_1": str(at.month),
            "occurred_date_2": str(at.year),
            "occurred_time": at.strftime("%H:%M"),
            "text": "Ada talked about school and her friends",
            "visibility": "everyone",
        },
    )
    assert response.status_code == 302
    entry = ChronologyEntry.objects.get()
    assert entry.organisation == people.world.brightwater
    assert entry.occurred_at == at.replace(second=0, microsecond=0)
    assert not entry.restricted


def test_only_the_source_agency_is_offered_the_correction(people: People) -> None:
    entry = _entry(people)
    url = reverse("chronology_entry_supersede", args=[entry.pk])
    assert factories.signed_in(people.social_worker).get(url).status_code == 404
    officer = factories.signed_in(people.officer)
    page = officer.get(url)
    assert page.status_code == 200
    assert "You are correcting the entry of" in page.content.decode()
    at = entry.occurred_at.astimezone(LONDON)
    response = officer.post(
        url,
        {
            "entry_type": "intelligence_summary",
            "significance": "critical",
            "occurred_date_0": str(at.day),
            "occurred_date_1": str(at.month),
            "occurred_date_2": str(at.year),
            "occurred_time": at.strftime("%H:%M"),
            "text": "Two older men, not one",
            "visibility": "named",
            "visible_to": [str(people.world.manchester.pk)],
        },
    )
    assert response.status_code == 302
    correction = ChronologyEntry.objects.get(supersedes=entry)
    assert correction.text == "Two older men, not one"
    html = factories.signed_in(people.social_worker).get(_url(people)).content.decode()
    assert SEEN in html and "Two older men, not one" in html
    assert "Superseded by a correction" in html and "Corrects the entry of" in html
    # Corrected once: the earlier entry is not offered again.
    assert officer.get(url).status_code == 404


def test_printing_asks_the_audience_and_records_it(people: People) -> None:
    _entry(people)
    client = factories.signed_in(people.social_worker)
    asked = client.get(
        _url(people, "chronology_print"),
        {"significance": "significant", "kind": "a b<i>", "note": "<b>free text</b>"},
    )
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Who is this chronology for?" in html
    # The filters are carried on; nothing else from the link is reflected (ADR 18).
    assert 'name="significance" value="significant"' in html
    assert "free text" not in html and "a b" not in html
    assert not AuditEvent.objects.filter(verb=AuditVerb.CHRONOLOGY_PRINTED).exists()
    too_long = client.get(_url(people, "chronology_print"), {"audience": "x" * 65})
    assert "64 characters or fewer" in too_long.content.decode()

    printed = client.get(
        _url(people, "chronology_print"),
        {"audience": "Strategy meeting, 8 December", "significance": "significant"},
    )
    assert printed.status_code == 200
    assert "no-store" in printed["Cache-Control"]
    html = printed.content.decode()
    assert "for: Strategy meeting, 8 December" in html
    assert SEEN in html
    event = AuditEvent.objects.get(verb=AuditVerb.CHRONOLOGY_PRINTED)
    assert event.payload == {
        "format": "print",
        "audience": "Strategy meeting, 8 December",
        "entries": len(printed.context["rows"]),
    }
    assert str(event.child_id) == str(people.world.ada.pk)
    assert event.user_id == people.social_worker.pk


def test_the_pdf_without_an_audience_goes_to_the_page_that_asks_it(people: People) -> None:
    response = factories.signed_in(people.social_worker).get(_url(people, "chronology_pdf"))
    assert response.status_code == 302
    assert response["Location"].startswith(_url(people, "chronology_print"))


def test_the_chronology_prints_to_pdf(people: People) -> None:
    if chromium_path() is None:
        reason = "Printing to PDF needs Chromium (apt-get install chromium)."
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    _entry(people)
    response = factories.signed_in(people.social_worker).get(
        _url(people, "chronology_pdf"), {"audience": "Strategy meeting"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert 'filename="chronology-MAN001-' in response["Content-Disposition"]
    event = AuditEvent.objects.get(verb=AuditVerb.CHRONOLOGY_PRINTED)
    assert event.payload["format"] == "pdf"
    assert event.payload["audience"] == "Strategy meeting"
