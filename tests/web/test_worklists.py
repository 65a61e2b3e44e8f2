"""The worklists through the home page: flags at a glance, search, filters, sort, pages, CSV,
one audited list read per page, and a bounded number of queries.

The world (tests/web/conftest.py): Manchester places Ada in Larch House, Stockport (out of
area); Stockport places Ben in Oak House, Stockport; Kent places Cat in Kent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sightline.audit.models import AuditEvent, AuditListedChild
from sightline.audit.verbs import AuditVerb
from sightline.missing.models import RiskGrade, RiskGradeList, Task, TaskKind
from sightline.missing.reference import risk_grade_lists_load
from sightline.missing.services.episodes import episode_close, episode_report
from sightline.organisations.models import Role
from sightline.web import worklists
from tests import factories
from tests.web.conftest import GMP, World, signed_in

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _risk_grades(db):
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)


def names(response) -> list[str]:
    [table] = response.context["tables"]
    return [row.name for row in table.rows]


def get(user, **query):
    response = signed_in(user).get(reverse("home"), query)
    assert response.status_code == 200
    return response


def report_missing(world: World, *, hours: int = 3, grade: str = "high"):
    staff = factories.user(world.brightwater, Role.HOME_STAFF)
    return episode_report(
        actor=staff,
        child=world.ada,
        kind="missing",
        last_seen_at=NOW - dt.timedelta(hours=hours),
        last_seen_place="The bus station",
        reported_to_police=True,
        risk_grade=grade,
        risk_grade_supplied_by="PC 1, Greater Manchester Police",
    )


def police(world: World):
    return world.user(factories.police_org(GMP), Role.POLICE_MISSING_OFFICER)


def test_a_child_missing_now_is_flagged_with_how_long_and_the_risk_grade(world: World):
    report_missing(world, hours=3)
    response = get(police(world))
    rows = {r.name: r for r in response.context["tables"][0].rows}
    ada, ben = rows["Ada Ashworth"], rows["Ben Bramhall"]
    assert ada.missing_since == NOW - dt.timedelta(hours=3) and ben.missing_since is None
    assert (ada.risk_grade, ada.risk_is_high) == ("High risk", True)
    assert ben.risk_grade is None
    html = response.content.decode()
    # The tag is markup on the page, not escaped into text.
    assert re.search(r'<strong class="govuk-tag govuk-tag--red">\s*Missing\s*</strong>', html)
    assert "&lt;strong" not in html
    assert "for 3 hours" in html
    assert "High risk" in html and "Not graded" in html


def test_open_tasks_and_an_overdue_return_interview_show(world: World, _clock):
    episode = report_missing(world, hours=5)
    council = factories.council_org("352")
    coordinator = world.user(council, Role.MISSING_COORDINATOR)
    episode_close(
        actor=coordinator,
        episode=episode,
        returned_at=NOW - dt.timedelta(hours=1),
        found_by="self",
        place="The home",
    )
    Task.objects.create(
        kind=TaskKind.EXPLOITATION_SCREENING,
        child=world.ada,
        assignee=council,
        due_at=NOW + dt.timedelta(days=2),
    )
    _clock.move_to(NOW + dt.timedelta(days=4))
    response = get(coordinator)
    [ada] = response.context["tables"][0].rows
    assert ada.missing_since is None
    assert ada.open_tasks == Task.objects.filter(child=world.ada, assignee=council).count() >= 1
    assert ada.interview_overdue
    assert "Overdue" in response.content.decode()


def test_search_by_name_and_by_903_id(world: World):
    officer = police(world)
    assert names(get(officer, q="ashworth")) == ["Ada Ashworth"]
    assert names(get(officer, q="Ben Bram")) == ["Ben Bramhall"]
    assert names(get(officer, q="sto001")) == ["Ben Bramhall"]
    response = get(officer, q="Nobody")
    assert response.context["tables"][0].table is None
    assert "No child in this list matches your search." in response.content.decode()


def test_filters_placing_council_home_risk_missing_and_out_of_area(world: World):
    report_missing(world, grade="medium")
    officer = police(world)
    assert names(get(officer)) == ["Ada Ashworth", "Ben Bramhall"]
    assert names(get(officer, placing_council=world.ada.placing_council_id)) == ["Ada Ashworth"]
    ben_home = str(world.ben.placements.get().setting_id)
    assert names(get(officer, home=ben_home)) == ["Ben Bramhall"]
    assert names(get(officer, risk="medium")) == ["Ada Ashworth"]
    assert names(get(officer, risk="high")) == []
    assert names(get(officer, risk="none")) == ["Ben Bramhall"]
    assert names(get(officer, missing_now="on")) == ["Ada Ashworth"]
    assert names(get(officer, out_of_area="on")) == ["Ada Ashworth"]
    # A value not in the list (another council's code) is ignored, not guessed.
    assert names(get(officer, placing_council="999")) == ["Ada Ashworth", "Ben Bramhall"]


def test_sort_by_column_with_links_and_aria_sort(world: World):
    report_missing(world)
    officer = police(world)
    assert names(get(officer, sort="-name")) == ["Ben Bramhall", "Ada Ashworth"]
    assert names(get(officer, sort="risk")) == ["Ada Ashworth", "Ben Bramhall"]
    # Not graded comes last either way.
    assert names(get(officer, sort="-risk")) == ["Ada Ashworth", "Ben Bramhall"]
    assert names(get(officer, sort="-ref")) == ["Ben Bramhall", "Ada Ashworth"]
    assert names(get(officer, sort="ref")) == ["Ada Ashworth", "Ben Bramhall"]  # MAN < STO
    html = get(officer, sort="risk").content.decode()
    assert 'aria-sort="ascending"' in html
    assert html.count('aria-sort="none"') == len(worklists.COLUMNS) - 1
    assert "sort=-risk" in html  # the sorted column's link reverses it


def test_pages(world: World, monkeypatch):
    monkeypatch.setattr(worklists, "PER_PAGE", 1)
    officer = police(world)
    first = get(officer)
    assert names(first) == ["Ada Ashworth"]
    assert 'class="govuk-pagination' in first.content.decode()
    second = get(officer, page="2")
    assert names(second) == ["Ben Bramhall"]
    event = AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_LISTED).order_by("-seq").first()
    assert event.payload["page"] == 2
    assert set(AuditListedChild.objects.filter(event=event).values_list("child_id", flat=True)) == {
        world.ben.id
    }


def test_each_page_is_one_list_read_naming_the_children_it_showed(world: World):
    officer = police(world)
    before = AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_LISTED).count()
    get(officer, q="Ada")
    events = list(AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_LISTED).order_by("seq"))
    assert len(events) == before + 1
    named = set(
        AuditListedChild.objects.filter(event=events[-1]).values_list("child_id", flat=True)
    )
    assert named == {world.ada.id}


def test_csv_is_an_audited_export_without_names_and_with_formulas_escaped(world: World):
    report_missing(world, hours=2)
    officer = police(world)
    setting = world.ben.placements.get().setting
    setting.name = "=HYPERLINK(1)"
    setting.save()
    response = signed_in(officer).get(reverse("home"), {"format": "csv", "sort": "ref"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "Ashworth" not in body and "2010-05-01" not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["child_ref"] for r in rows] == ["MAN001", "STO001"]
    assert rows[0]["missing_now"] == "missing" and rows[0]["risk_grade"] == "High risk"
    assert rows[0]["out_of_area"] == "yes" and rows[1]["out_of_area"] == "no"
    assert rows[1]["setting"] == "'=HYPERLINK(1)"
    export = AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_EXPORTED).get()
    assert export.user_id == officer.id and export.payload["count"] == 2
    assert not AuditEvent.objects.filter(
        verb=AuditVerb.CHILDREN_LISTED, user_id=officer.id
    ).exists()
    # The filters apply to the file too.
    response = signed_in(officer).get(reverse("home"), {"format": "csv", "missing_now": "on"})
    assert [r["child_ref"] for r in csv.DictReader(io.StringIO(response.content.decode()))] == [
        "MAN001"
    ]


def test_council_lists_are_linked_from_each_other(world: World):
    user = world.user(factories.council_org("356"), Role.MISSING_COORDINATOR)
    response = get(user)
    assert [t.worklist.key for t in response.context["tabs"]] == ["placed", "area"]
    assert names(response) == ["Ben Bramhall"]
    assert names(get(user, list="area")) == ["Ada Ashworth"]
    # A list the organisation does not have falls back to its first.
    assert names(get(user, list="force")) == ["Ben Bramhall"]


def test_queries_do_not_grow_with_the_children(world: World):
    council = factories.council_org("352")
    user = world.user(council, Role.MISSING_COORDINATOR)
    home = factories.setting(world.brightwater, "SK4 2AB", name="Elm House")

    def count() -> int:
        client = signed_in(user)
        client.get(reverse("home"))  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"), {"sort": "risk"})
        assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        factories.placement(factories.child("352"), home)
    few = count()
    for _ in range(8):
        factories.placement(factories.child("352"), home)
    assert count() == few
