"""List operations of the API are list reads on the audit: one ``children listed`` event per
page served, naming exactly the children on that page (the security test's finding: a police
key read 54 children through ``GET /children`` and left no audit row)."""

from __future__ import annotations

import datetime as dt
import inspect
import re

import pytest
from django.core.management import call_command

from sightline.api import main as api_main
from sightline.audit.lists import children_digest
from sightline.audit.models import AuditEvent, AuditListedChild
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import AuditVerb
from sightline.missing.services import episode_report
from tests import factories

pytestmark = pytest.mark.django_db


def _list_reads():
    return list(AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_LISTED).order_by("seq"))


def _named(event):
    return set(AuditListedChild.objects.filter(event=event).values_list("child_id", flat=True))


@pytest.fixture
def gmp_area(world):
    """Two more children in Larch House (Greater Manchester Police's area): GMP sees three."""
    for ref in ("MAN002", "MAN003"):
        child = factories.child("352", ref=ref)
        factories.placement(child, world.larch_house, home_postcode="M1 1AE")
    return world


def test_a_police_key_listing_children_is_one_event_naming_exactly_those_children(gmp_area):
    response = gmp_area.api("gmp").get("/children")
    assert response.status_code == 200
    served = {item["id"] for item in response.json()["items"]}
    assert len(served) == 3
    [event] = _list_reads()
    assert {str(c) for c in _named(event)} == served
    assert event.user_id is not None and event.organisation_id == gmp_area.gmp.id
    assert event.child_id is None  # one event for the page, not one per child
    assert event.payload == {
        "where": "api-v1:list_children",
        "page": 1,
        "count": 3,
        "children": children_digest(served),
        "offset": 0,
        "limit": 100,
    }
    assert (event.object_type, event.object_id) == ("list", "api-v1:list_children")
    assert audit_verify().intact


def test_each_page_is_its_own_event_naming_only_that_pages_children(gmp_area):
    api = gmp_area.api("gmp")
    first = api.get("/children", {"limit": 2}).json()["items"]
    second = api.get("/children", {"limit": 2, "offset": 2}).json()["items"]
    assert (len(first), len(second)) == (2, 1)
    one, two = _list_reads()
    assert {str(c) for c in _named(one)} == {i["id"] for i in first}
    assert {str(c) for c in _named(two)} == {i["id"] for i in second}
    assert (one.payload["page"], two.payload["page"]) == (1, 2)
    assert (two.payload["offset"], two.payload["limit"], two.payload["count"]) == (2, 2, 1)
    assert audit_verify().intact


def test_an_empty_page_writes_nothing(gmp_area):
    assert gmp_area.api("gmp").get("/children", {"offset": 50}).json()["items"] == []
    assert gmp_area.api("leeds").get("/children").json()["items"] == []
    assert _list_reads() == []


def test_notices_and_missing_now_are_list_reads_too(world):
    notices = world.api("stockport").get("/notices").json()["items"]
    assert notices
    [event] = _list_reads()
    assert event.payload["where"] == "api-v1:list_notices"
    assert {str(c) for c in _named(event)} == {n["child_id"] for n in notices}

    episode_report(
        actor=factories.user(world.brightwater, factories.ROLE.HOME_MANAGER),
        child=world.ada,
        kind="missing",
        last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        last_seen_place="Near the home",
        reported_to_police=True,
    )
    missing = world.api("gmp").get("/missing-now").json()["items"]
    assert len(missing) == 1
    event = _list_reads()[-1]
    assert event.payload["where"] == "api-v1:list_missing_now"
    assert _named(event) == {world.ada.id}
    assert audit_verify().intact


def test_audit_child_shows_the_api_pages_that_named_the_child(gmp_area, capsys):
    gmp_area.api("gmp").get("/children", {"limit": 2})
    gmp_area.api("gmp").get("/children", {"limit": 2, "offset": 2})
    [named] = [e for e in _list_reads() if gmp_area.ada.id in _named(e)]
    call_command("audit", "child", str(gmp_area.ada.id))
    out = capsys.readouterr().out
    page = named.payload["page"]
    assert f"children listed (api-v1:list_children, page {page})" in out
    assert "Read through the API (a list)" in out
    call_command("audit", "verify")
    assert "intact" in capsys.readouterr().out


def test_every_list_operation_says_which_child_each_item_is_about():
    """``Paged`` needs ``children=`` (a function, or None for a list naming no child), so a
    paginated operation cannot skip the audit; this makes sure nobody paginates without it."""
    pattern = re.compile(r"@paginate\((?P<args>[^)]*)\)")
    found = 0
    for module in {inspect.getmodule(func) for _, _, func in api_main.operations()}:
        for match in pattern.finditer(inspect.getsource(module)):
            found += 1
            assert match["args"].startswith("Paged, children="), match.group(0)
    assert found >= 3
    # A GET without a path parameter answers a list: it must be paginated (and so audited).
    for method, path, func in api_main.operations():
        if method == "GET" and "{" not in path:
            assert getattr(func, "_ninja_is_paginated", False), f"{method} {path}"
