"""The evidence dashboards: who sees which area, filters, charts with tables, CSV downloads,
small-number suppression."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from sightline.evidence import frames, sources
from sightline.organisations.models import Role
from tests import factories
from tests.evidence.test_sources import recorded  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def extract_dir(settings, tmp_path, recorded):  # noqa: F811
    frames.save(sources.from_database(as_of=dt.date(2026, 3, 31)), tmp_path)
    settings.SIGHTLINE_EVIDENCE_DIR = str(tmp_path)
    return tmp_path


def analyst():
    return factories.user(factories.council_org("356"), Role.ANALYST)


def test_an_analyst_sees_any_area_with_charts_tables_and_suppression(extract_dir):
    client = factories.signed_in(analyst())
    response = client.get(
        "/evidence/", {"area": "council:E08000007", "from": "2026", "to": "2026", "tab": "q1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Out-of-area share" in page
    assert '<table class="govuk-table sl-evidence">' in page
    # One missing incident from Stockport's homes: shown as "c", never as 1, and no chart
    # (a chart would show what the table hides).
    assert ">c</td>" in page
    assert "data:image/svg+xml" not in page
    assert 'href="/evidence/q1-share-by-year.csv?' in page
    assert 'href="/evidence/"' in page  # the Evidence link in the navigation
    england = client.get("/evidence/", {"area": "england", "tab": "q3"})
    assert "Does distance make a difference?" in england.content.decode()


def test_every_tab_renders(extract_dir):
    client = factories.signed_in(analyst())
    for tab in ("q1", "q2", "q3", "q4", "q5", "q6", "q7"):
        response = client.get("/evidence/", {"tab": tab, "from": "2026", "to": "2026"})
        assert response.status_code == 200, tab


def test_csv_download_is_suppressed_too(extract_dir):
    client = factories.signed_in(analyst())
    response = client.get(
        "/evidence/q1-share-by-year.csv",
        {"area": "council:E08000007", "from": "2026", "to": "2026"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Year", "Missing incidents"]
    assert rows[1][:4] == ["2026", "c", "c", "c"]
    assert client.get("/evidence/q9-nothing.csv").status_code == 404


def test_a_council_sees_only_its_own_area(extract_dir):
    coordinator = factories.user(factories.council_org("356"), Role.MISSING_COORDINATOR)
    client = factories.signed_in(coordinator)
    page = client.get(
        "/evidence/", {"area": "england", "from": "2026", "to": "2026"}
    ).content.decode()
    assert "Stockport, 2026 to 2026" in page
    assert '<select class="govuk-select" id="area"' not in page
    assert 'href="/evidence/"' not in page  # the navigation link is for analysts


def test_police_see_their_force_area(extract_dir):
    officer = factories.user(factories.police_org("E23000005"), Role.POLICE_MISSING_OFFICER)
    page = factories.signed_in(officer).get("/evidence/").content.decode()
    assert "Greater Manchester" in page


def test_providers_and_anonymous_users_are_refused(extract_dir):
    staff = factories.user(factories.provider_org(), Role.HOME_STAFF)
    assert factories.signed_in(staff).get("/evidence/").status_code == 404
    from django.test import Client

    anonymous = Client().get("/evidence/")
    assert anonymous.status_code == 302


def test_bad_years_are_explained(extract_dir):
    client = factories.signed_in(analyst())
    page = client.get("/evidence/", {"from": "1800", "to": "2026"}).content.decode()
    assert "There is a problem" in page
    assert "Enter a first year from 2000 to 2026" in page
    page = client.get("/evidence/", {"area": "council:NOPE"}).content.decode()
    assert "Choose an area from the list." in page


def test_without_an_extract_the_page_says_how_to_build_one(settings, tmp_path):
    settings.SIGHTLINE_EVIDENCE_DIR = str(tmp_path / "none")
    page = factories.signed_in(analyst()).get("/evidence/").content.decode()
    assert "sightline evidence extract" in page
