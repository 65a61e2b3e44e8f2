"""The child's record stays the same size of work whatever the child's history (issue 13).

The history is written through the services (report, update, close), as the benchmark does:
each episode adds about ten timeline entries (the episode, a sighting, the return, the
alerts and "child safe" notices, the return interview). The pages are read through the front
door, signed in as the placing council's social worker.
"""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from govuk_frontend_django.components.table import GovUKTable
from govuk_frontend_django.components.tag import GovUKTag

from sightline.access.policy import Action, access_child
from sightline.core import components
from sightline.core.views import page_numbers
from sightline.missing.models import Episode, EpisodeKind, FoundBy, UpdateKind
from sightline.missing.services import episode_close, episode_report, episode_update
from sightline.web.selectors import child_timeline
from tests.factories import signed_in
from tests.missing.conftest import World, make_world

# The number of queries one page of the record takes, whatever the history: the session and
# the user, the access check and its access record, the child's details and placements,
# the open episode, a page of episodes (with their interviews and risk changes), a page of
# tasks, for each of the timeline's ten sources its count and newest keys in one query and
# (if it has any on the page) its rows, and the navigation's counts. The involvements the page
# shows actions by come from the access check (`involvements_of`) and the current placement
# from the placement history already read: 42 before issue 13's cuts. While urgent alerts wait
# for the viewer's organisation (this history's episodes sent some), the urgent banner reads
# the oldest of them: one more (issue 14; its count comes with the inbox's). One more reads the
# record's version, the key of the cached sections: this is the count when they are not in
# the cache; a page whose sections are takes about a third (``test_child_record_cache.py``).
# The access check reads the child with its involvements in one query, and the navigation's
# counts (missing now, tasks, inbox, urgent) are one query (``core.navigation``): 41 before.
# The contacts (issue 14) add two: the organisations concerned, then their contacts.
# The child's voice and continuity (issue 17) add three: the child's statements and the
# words from completed interviews (for a reader who may see them), and the social workers
# allocated in the child's placements (the placements are those already read); one more for
# the social worker episodes of imported SSDA903 returns (ADR 52).
# The exploitation section (issue 18) adds two: the latest screenings (grade and trend), and
# the latest NRM referral with its decisions as subqueries.
RECORD_QUERIES = 45

START = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)  # Monday, after the placement starts


@pytest.fixture
def world(db: None) -> World:
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        return make_world()


def _history(world: World, episodes: int) -> None:
    """``episodes`` more episodes a week apart, each with a risk change and a return."""
    done = Episode.objects.filter(child=world.child).count()
    for n in range(done, done + episodes):
        seen = START + dt.timedelta(days=7 * n)
        with time_machine.travel(seen + dt.timedelta(hours=1), tick=False):
            episode = episode_report(
                actor=world.home_staff,
                child=world.child,
                kind=EpisodeKind.AWAY if n % 3 == 2 else EpisodeKind.MISSING,
                last_seen_at=seen,
                last_seen_place="Leaving the home by the back gate",
                reported_to_police=True,
                risk_grade="medium",
                risk_grade_supplied_by="PC 1234, Greater Manchester Police",
            )
        with time_machine.travel(seen + dt.timedelta(hours=3), tick=False):
            episode_update(
                actor=world.officer,
                episode=episode,
                kind=UpdateKind.RISK_CHANGE,
                risk_grade="high",
                supplied_by="PC 1234",
            )
        with time_machine.travel(seen + dt.timedelta(hours=6), tick=False):
            episode_close(
                actor=world.home_staff,
                episode=episode,
                returned_at=seen + dt.timedelta(hours=5),
                where_postcode="SK4 2AB",
                found_by=FoundBy.SELF,
            )


def _url(world: World) -> str:
    return reverse("child_detail", args=[world.child.id])


def _queries(world: World, query: str = "") -> tuple[int, int]:
    client = signed_in(world.social_worker)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_url(world) + query)
    assert response.status_code == 200
    return len(captured), response.context["timeline"].count


def test_the_query_count_does_not_grow_with_history(world: World):
    _history(world, 1)
    small, small_entries = _queries(world)
    _history(world, 19)
    large, large_entries = _queries(world)
    assert small_entries <= 15
    assert large_entries >= 200
    # The second step of the timeline asks only the sources with a row on the page, so a
    # longer history may take fewer queries, never more.
    assert large <= small <= RECORD_QUERIES
    # Later pages and filters take no more.
    assert _queries(world, "?page=3&episodes_page=2")[0] <= RECORD_QUERIES
    assert _queries(world, "?kind=episodes&since-day=1&since-month=3&since-year=2026")[0] <= (
        RECORD_QUERIES
    )


def test_the_timeline_and_episodes_come_a_page_at_a_time(world: World):
    _history(world, 25)
    client = signed_in(world.social_worker)
    first = client.get(_url(world))
    timeline = first.context["timeline"]
    assert len(timeline.events) == 25
    assert timeline.num_pages == -(-timeline.count // 25)
    html = first.content.decode()
    assert 'class="govuk-pagination"' in html
    assert "Timeline, pages" in html
    assert "?page=2#timeline" in html
    assert "Missing and away episodes (page 1 of 3, 25 in all)" in html
    assert "episodes_page=2#episodes" in html

    # Every page, in turn, is the whole timeline in order, each entry once.
    access = access_child(world.social_worker, world.child.id, action=Action.VIEW, purpose="test")
    whole = child_timeline(access=access, per_page=10_000).events
    assert len(whole) == timeline.count
    seen = []
    for number in range(1, timeline.num_pages + 1):
        seen += client.get(_url(world), {"page": number}).context["timeline"].events
    assert seen == whole
    assert [e.key for e in whole] == sorted((e.key for e in whole), reverse=True)

    # A page past the last is the last; a page that is not a number is the first.
    last = client.get(_url(world), {"page": 999}).context["timeline"]
    assert last.number == timeline.num_pages
    assert client.get(_url(world), {"page": "x"}).context["timeline"].number == 1


def test_pagination_keeps_the_filters_and_elides_pages(world: World):
    _history(world, 12)
    html = (
        signed_in(world.social_worker)
        .get(_url(world), {"kind": "notices", "page": 2})
        .content.decode()
    )
    assert "?kind=notices&amp;page=1#timeline" in html
    current = 'href="?kind=notices&amp;page=2#timeline" aria-label="Page 2" aria-current="page"'
    assert current in html
    assert page_numbers(1, 1) == [1]
    assert page_numbers(5, 9) == [1, None, 4, 5, 6, None, 9]
    assert page_numbers(2, 4) == [1, 2, 3, 4]


def test_filter_by_kind_of_entry(world: World):
    _history(world, 3)
    client = signed_in(world.social_worker)
    only = client.get(_url(world), {"kind": ["placements", "interviews"]}).context["timeline"]
    assert only.events
    assert {e.kind.split("_")[0] for e in only.events} == {"placement", "interview"}
    html = client.get(_url(world), {"kind": "placements"}).content.decode()
    assert "Placement started" in html
    assert "Went missing" not in html.split('id="timeline"')[1]


def test_filter_by_date_range(world: World):
    _history(world, 6)  # weekly from Monday 2 February 2026
    client = signed_in(world.social_worker)
    response = client.get(
        _url(world),
        {
            "since-day": "9",
            "since-month": "2",
            "since-year": "2026",
            "until-day": "16",
            "until-month": "2",
            "until-year": "2026",
        },
    )
    events = response.context["timeline"].events
    assert events
    assert {e.on for e in events} <= {dt.date(2026, 2, 9), dt.date(2026, 2, 16)}
    html = response.content.decode()
    # The episodes table has the same dates: the episodes of 9 and 16 February.
    assert "Missing and away episodes</caption>" in html
    assert html.count("9 February 2026 at 10am") >= 1
    assert "2 February 2026 at 10am" not in html
    assert "23 February 2026 at 10am" not in html


def test_filter_episodes_by_kind(world: World):
    _history(world, 6)  # the third and sixth are away from placement
    response = signed_in(world.social_worker).get(_url(world), {"episode": "away"})
    html = response.content.decode()
    table = html.split("Missing and away episodes</caption>")[1].split("</table>")[0]
    assert table.count("<tr") == 3  # the head and two episodes
    assert set(response.context["filter_form"].episode_kinds()) == {"away"}


def test_a_date_that_is_not_a_date_is_an_error_and_not_echoed(world: World):
    _history(world, 2)
    response = signed_in(world.social_worker).get(
        _url(world),
        {"since-day": "<b>31", "since-month": "2", "since-year": "2026", "until-day": "1"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Robin Quillfeather" in html
    assert "There is a problem" in html
    assert "<b>31" not in html and "&lt;b&gt;31" not in html
    # The filters that are valid still apply; the ones with errors are left out.
    assert response.context["timeline"].count > 0

    reversed_dates = signed_in(world.social_worker).get(
        _url(world),
        {
            "since-day": "2",
            "since-month": "3",
            "since-year": "2026",
            "until-day": "1",
            "until-month": "3",
            "until-year": "2026",
        },
    )
    assert "The to date must be the same as or after the from date" in (
        reversed_dates.content.decode()
    )


def test_the_record_is_compressed_for_a_browser_that_accepts_it(world: World):
    _history(world, 3)
    client = signed_in(world.social_worker)
    plain = client.get(_url(world))
    packed = client.get(_url(world), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.content) < len(plain.content) / 3
    assert "Robin Quillfeather" in gzip.decompress(packed.content).decode()


def test_components_render_as_the_library_does_from_one_cached_template():
    table = GovUKTable(
        caption="Episodes",
        head=[{"text": "When"}, {"text": "Status"}],
        rows=[[{"text": "2 February 2026"}, {"html": "<strong>Returned</strong>"}]],
    )
    tag = GovUKTag(text="Missing <now>", classes="govuk-tag--red")
    for component in (table, tag):
        assert str(component.render()) == str(components.LIBRARY_RENDER(component))
    assert "Missing &lt;now&gt;" in tag.render()
    components.component_template.cache_clear()
    for _ in range(3):
        tag.render()
        table.render()
    info = components.component_template.cache_info()
    assert (info.misses, info.hits) == (2, 4)
    assert components.environment.cache_info().currsize == 1
