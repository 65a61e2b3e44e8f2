"""Recording the return: where (postcode or place), the two "found" facts, "child safe"
notices to everyone alerted, and the return home interview due 72 hours later."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sightline.access.models import AccessGrant, GrantReason
from sightline.geography.models import Council, PoliceForce
from sightline.missing.models import Episode, ReturnInterview, Task, TaskKind
from sightline.missing.notices import AlertKind
from sightline.notifications.models import Notice
from tests.missing_web.conftest import RETURN_FORM, World, report, signed_in, squash

pytestmark = pytest.mark.django_db


def close(client, episode, **changes):
    return client.post(reverse("episode_return", args=[episode.id]), {**RETURN_FORM, **changes})


def test_found_in_another_force_area_is_recorded_and_shown(world: World, at_monday):
    episode = report(world)
    client = signed_in(world.home_staff)
    form = client.get(reverse("episode_return", args=[episode.id]))
    assert "Robin was last seen 2 February 2026 at 9am." in squash(form.content.decode())

    response = close(
        client,
        episode,
        where_postcode="sw1a 1aa",
        place="Outside a station",
        found_by="police",
        condition="Cold, no phone",
    )
    assert response.status_code == 302
    closed = Episode.objects.get()
    assert closed.found_postcode == "SW1A 1AA"
    assert closed.found_outside_host_area is True
    assert closed.found_in_other_force_area is True
    assert closed.returned_at.isoformat() == "2026-02-02T09:45:00+00:00"

    found = Notice.objects.filter(kind=AlertKind.FOUND)
    assert {n.recipient for n in found} == {world.placing, world.host, world.police}
    grant = AccessGrant.objects.get(reason=GrantReason.MISSING_EPISODE)
    assert grant.ends_at.isoformat() == "2026-02-05T09:45:00+00:00"
    assert Task.objects.filter(kind=TaskKind.EXPLOITATION_SCREENING).exists()
    interview = ReturnInterview.objects.get()
    assert interview.due_at.isoformat() == "2026-02-05T09:45:00+00:00"

    html = squash(client.get(response["Location"]).content.decode())
    for text in (
        "Return recorded",
        "Child safe notices sent to: Southwark Council (placing council)",
        "Found outside the host area",
        "Found in another force area",
        "Return home interview due: 5 February 2026 at 9:45am.",
        "Outside a station, SW1A 1AA",
        "Found by the police",
        "Cold, no phone",
        "Return home interview",
        "To be offered",
        "Returned",
    ):
        assert text in html, text


def test_a_return_in_the_host_area(world: World, at_monday):
    episode = report(world)
    close(signed_in(world.home_staff), episode)
    html = squash(
        signed_in(world.social_worker)
        .get(reverse("episode_detail", args=[episode.id]))
        .content.decode()
    )
    assert "Found in the host area" in html
    assert "Found in the home&#39;s force area" in html
    assert "Tired and hungry" in html


def test_a_place_with_no_postcode_leaves_the_areas_unknown_unless_chosen(world: World, at_monday):
    episode = report(world)
    client = signed_in(world.home_staff)
    close(client, episode, where_postcode="", place="A friend's flat")
    closed = Episode.objects.get()
    assert closed.found_outside_host_area is None
    assert closed.found_in_other_force_area is None
    html = squash(client.get(reverse("episode_detail", args=[episode.id])).content.decode())
    assert "Not known" in html


def test_a_place_with_its_areas_chosen_by_hand(world: World, at_monday):
    episode = report(world)
    manchester = Council.objects.get(dfe_code="352", is_current=True)
    met = PoliceForce.objects.get(code="E23000001")
    close(
        signed_in(world.home_staff),
        episode,
        where_postcode="",
        place="Near the canal",
        found_council=manchester.pk,
        found_police_force=met.pk,
    )
    closed = Episode.objects.get()
    assert (closed.found_council, closed.found_police_force) == (manchester, met)
    assert closed.found_outside_host_area is True
    assert closed.found_in_other_force_area is True


def test_the_form_asks_for_what_is_missing(world: World, at_monday):
    episode = report(world)
    response = close(
        signed_in(world.home_staff),
        episode,
        where_postcode="",
        place="",
        found_by="other",
        returned_time="",
    )
    html = squash(response.content.decode())
    assert response.status_code == 200
    assert "Enter where the child was found or returned to: a postcode or a place" in html
    assert "Enter who found the child" in html
    assert "Enter the time the child was found or returned" in html
    assert Episode.objects.get().is_open


def test_a_postcode_that_does_not_exist_is_shown_on_the_postcode(world: World, at_monday):
    episode = report(world)
    response = close(signed_in(world.home_staff), episode, where_postcode="XX1 1XX")
    html = squash(response.content.decode())
    assert '<a href="#id_where_postcode">' in html
    assert Episode.objects.get().is_open


def test_a_return_before_the_last_seen_time_is_refused(world: World, at_monday):
    episode = report(world)
    response = close(signed_in(world.home_staff), episode, returned_time="8am")
    html = squash(response.content.decode())
    assert "The time of return must be after the time the child was last seen." in html


def test_only_those_who_may_record_see_the_form(world: World, at_monday):
    episode = report(world)
    from sightline.organisations.models import Role
    from tests import factories

    for user in (world.other_home_staff, factories.user(world.host, Role.SOCIAL_WORKER)):
        assert close(signed_in(user), episode).status_code == 404
    assert Episode.objects.get().is_open
