"""The record's sections are kept in a cache (ADR "record sections cached by version"):
what the cache must never do, seen through the front door.

Every change to the child written through the services shows on the next request, inside the
same minute (so the version of the record, not the minute in the key, is what notices it); a
reader without access never sees the cached record; two readers with different roles each see
their own sections; a reader's CSRF token is their own; and a cached page is still a checked
and audited look.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.missing.models import EpisodeKind, FoundBy, UpdateKind
from sightline.missing.services import episode_close, episode_report, episode_update
from sightline.organisations.models import Role
from sightline.placements.services import placement_end
from sightline.web.selectors import RECORD_TABLES, TIMELINE_SOURCES
from tests import factories
from tests.factories import signed_in
from tests.missing.conftest import World, make_world

# Queries for a page whose sections are in the cache: the session, the user and the second
# factor; the access check (the child, the user's organisation, the child's placements, the
# grants) and its access record and audit event, sealed after the commit; the record's
# version; the navigation's counts.
RECORD_QUERIES_CACHED = 21

# Within one minute: the key's minute does not change between the requests of a test.
AT = dt.datetime(2026, 2, 2, 10, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def world(db: None) -> World:
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        return make_world()


def _url(world: World) -> str:
    return reverse("child_detail", args=[world.child.id])


def _page(client, world: World) -> str:
    response = client.get(_url(world))
    assert response.status_code == 200
    return response.content.decode()


def _seconds(n: int):
    return time_machine.travel(AT + dt.timedelta(seconds=n), tick=False)


def test_every_change_to_the_child_shows_on_the_next_request(world: World):
    client = signed_in(world.social_worker)
    with _seconds(0):
        html = _page(client, world)
    assert "Went missing" not in html

    # A new episode.
    with _seconds(2):
        episode = episode_report(
            actor=world.home_staff,
            child=world.child,
            kind=EpisodeKind.MISSING,
            last_seen_at=AT - dt.timedelta(hours=1),
            last_seen_place="Leaving the home by the back gate",
            reported_to_police=True,
            risk_grade="medium",
            risk_grade_supplied_by="PC 1234, Greater Manchester Police",
        )
    with _seconds(3):
        html = _page(client, world)
    assert "Went missing from Larch House" in html
    assert f"{world.child.known_as} is missing." in html  # the record's banner

    # A grade change.
    with _seconds(4):
        episode_update(
            actor=world.officer,
            episode=episode,
            kind=UpdateKind.RISK_CHANGE,
            risk_grade="high",
            supplied_by="PC 1234",
        )
    with _seconds(5):
        html = _page(client, world)
    assert "Police risk grade changed to High" in html

    # A timeline entry: information received.
    with _seconds(6):
        episode_update(
            actor=world.home_staff,
            episode=episode,
            kind=UpdateKind.INFORMATION,
            text="Seen near the station by a friend.",
            supplied_by="Home manager",
        )
    with _seconds(7):
        html = _page(client, world)
    assert "Seen near the station by a friend." in html

    # The return.
    with _seconds(8):
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=AT + dt.timedelta(seconds=7),
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
        )
    with _seconds(9):
        html = _page(client, world)
    assert f"{world.child.known_as} is missing." not in html
    assert "Returned" in html

    # The placement ends.
    with _seconds(10):
        placement_end(actor=world.social_worker, placement=world.placement, end_date=AT.date())
    with _seconds(11):
        html = _page(client, world)
    assert "Placement ended" in html


def test_a_cached_page_is_still_a_checked_and_audited_look(world: World):
    client = signed_in(world.social_worker)
    with _seconds(0):
        first = _page(client, world)
    events = AuditEvent.objects.filter(child_id=world.child.id).count()
    with _seconds(1), CaptureQueriesContext(connection) as captured:
        second = _page(client, world)
    assert AuditEvent.objects.filter(child_id=world.child.id).count() == events + 1
    assert len(captured) <= RECORD_QUERIES_CACHED
    # The same record; only the sign-out form's token (masked afresh per response) differs.
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", first) == token.sub("", second)


def test_a_reader_without_access_never_gets_the_cached_record(world: World):
    with _seconds(0):
        assert world.child.last_name in _page(signed_in(world.social_worker), world)
    with _seconds(1):
        response = signed_in(world.other_council_worker).get(_url(world))
    assert response.status_code == 404
    assert world.child.last_name not in response.content.decode()
    assert "Placement history" not in response.content.decode()


def test_two_roles_see_their_own_sections(world: World):
    with _seconds(0):
        episode = episode_report(
            actor=world.home_staff,
            child=world.child,
            kind=EpisodeKind.MISSING,
            last_seen_at=AT - dt.timedelta(hours=30),
            last_seen_place="The bus stop",
            reported_to_police=True,
            risk_grade="high",
            risk_grade_supplied_by="PC 1234",
        )
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=AT - dt.timedelta(hours=1),
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
        )
    with _seconds(1):
        council = _page(signed_in(world.social_worker), world)
    with _seconds(2):
        police = _page(signed_in(world.officer), world)
    with _seconds(3):
        home = _page(signed_in(world.home_staff), world)
    # The placing council's tasks and actions, to the placing council only.
    assert "Tasks for your council" in council
    assert "Record a placement" in council
    for other in (police, home):
        assert "Tasks for your council" not in other
        assert "Record a placement" not in other
    # The same timeline for all three.
    for html in (council, police, home):
        assert "Went missing from Larch House" in html


def test_the_csrf_token_of_a_page_is_the_readers_own(world: World):
    """Two social workers of the same council share the cached record; each page's sign-out
    form carries a token that works for its own reader's session."""
    colleague = factories.user(world.placing, Role.SOCIAL_WORKER)
    with _seconds(0):
        _page(signed_in(world.social_worker), world)
    client = signed_in(colleague)
    client.handler.enforce_csrf_checks = True
    with _seconds(1):
        html = _page(client, world)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    assert client.post(reverse("logout"), {"csrfmiddlewaretoken": "x" * 64}).status_code == 403
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": match.group(1)})
    assert response.status_code == 302


def test_the_version_covers_every_table_the_timeline_reads(world: World):
    versioned = {table.model for table in RECORD_TABLES}
    with _seconds(0):
        from sightline.access.policy import Action, access_child

        access = access_child(
            world.social_worker, world.child.id, action=Action.VIEW, purpose="Test", record=False
        )
        for source in TIMELINE_SOURCES:
            assert source.rows(access).model in versioned, source.kind
