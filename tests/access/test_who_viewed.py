"""The who-viewed page (issue 14): filters by organisation, kind and dates in a GET form,
a page at a time with the pages keeping the filters, repeated views folded; bad filter
values are errors that are not echoed, and the rest of the filters still apply."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from sightline.access.policy import Action, access_child
from sightline.audit.selectors import AuditLine, audit_runs
from tests.audit import conftest as audit_world
from tests.factories import signed_in

pytestmark = pytest.mark.django_db

world = audit_world.world  # the audit tests' child and people

DAY = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def looked(world: Any) -> Any:
    """The police officer opens the record three times one morning and once the next day;
    the host council's coordinator once."""
    for at, who in (
        (DAY, "police"),
        (DAY + dt.timedelta(minutes=5), "police"),
        (DAY + dt.timedelta(minutes=40), "police"),
        (DAY + dt.timedelta(hours=1), "host"),
        (DAY + dt.timedelta(days=1), "police"),
    ):
        with time_machine.travel(at, tick=False):
            access_child(world[who], world.child.id, action=Action.VIEW, purpose="Welfare check")
    return world


def _get(world: Any, **query: Any) -> Any:
    with time_machine.travel(DAY + dt.timedelta(days=2), tick=False):
        return signed_in(world["placing_manager"]).get(
            reverse("child_audit", args=[world.child.id]), query
        )


def _table(response: Any) -> str:
    html = response.content.decode()
    return html.split('id="audit"')[1].split("</table>")[0] if "<table" in html else ""


def test_repeated_views_by_the_same_person_that_day_are_folded(looked: Any) -> None:
    table = _table(_get(looked))
    police = looked["police"].username
    assert "3 March 2026 at 9:40am (3 views from 9am)" in table
    assert table.count(police) == 2  # the morning's three, then the next day's one
    assert looked["host"].username in table


def test_filter_by_organisation_kind_and_dates(looked: Any) -> None:
    police_org = looked["police"].organisation
    table = _table(_get(looked, organisation=str(police_org.id)))
    assert looked["police"].username in table and looked["host"].username not in table
    assert "placement recorded" not in table
    changes = _table(_get(looked, kind="write"))
    assert "placement recorded" in changes and "Welfare check" not in changes
    opened = _table(_get(looked, kind="opened"))
    assert "Welfare check" in opened and "placement recorded" not in opened
    one_day = _table(_get(looked, **{"since-day": "4", "since-month": "3", "since-year": "2026"}))
    assert "4 March 2026" in one_day and "3 March 2026" not in one_day


@pytest.mark.parametrize(
    "query",
    [
        {"organisation": "<b>not-an-id"},
        {"kind": "<b>everything"},
        {"since-day": "<b>31", "since-month": "2", "since-year": "2026"},
    ],
)
def test_a_bad_filter_is_an_error_not_echoed_and_the_rest_apply(
    looked: Any, query: dict[str, str]
) -> None:
    response = _get(looked, **query)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Who viewed" in html and "There is a problem" in html
    assert "<b>" not in html and "&lt;b&gt;" not in html
    assert looked["police"].username in _table(response)


def test_lists_that_named_the_child_are_a_kind_of_their_own(looked: Any) -> None:
    with time_machine.travel(DAY + dt.timedelta(days=1, hours=1), tick=False):
        signed_in(looked["police"]).get(reverse("home"))  # the worklist names the child
    listed = _table(_get(looked, kind="listed"))
    assert looked["police"].username in listed and "Welfare check" not in listed
    both = _table(_get(looked, kind=["listed", "opened"]))
    assert "children listed" in both and "Welfare check" in both
    assert "children listed" not in _table(_get(looked, kind="opened"))


def test_the_pages_keep_the_filters(looked: Any) -> None:
    with time_machine.travel(DAY + dt.timedelta(days=1, hours=2), tick=False):
        for n in range(60):  # different reasons: none fold
            access_child(looked["police"], looked.child.id, action=Action.VIEW, purpose=f"Call {n}")
    police_org = looked["police"].organisation
    html = _get(looked, organisation=str(police_org.id), page="2").content.decode()
    assert f"?organisation={police_org.id}&amp;page=1#audit" in html
    assert "(page 2 of 2)" in html


def test_changes_never_fold_and_views_fold_only_when_alike() -> None:
    def line(minute: int, kind: str = "Viewed", purpose: str = "Check") -> AuditLine:
        return AuditLine(
            seq=minute,
            at=DAY + dt.timedelta(minutes=minute),
            kind=kind,
            action="view",
            username="pc1",
            organisation="GMP",
            purpose=purpose,
            involvement="police",
            grant_id="",
            object_type="child",
            object_id="1",
        )

    runs = audit_runs(
        [line(9), line(8), line(7, purpose="Other"), line(6, "Changed"), line(5, "Changed")]
    )
    assert [r.times for r in runs] == [2, 1, 1, 1]
    assert runs[0].first_at == DAY + dt.timedelta(minutes=8)
