"""One episode: what was reported, who supplied each fact and when, and updates that are
appended and never changed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.missing.models import EpisodeUpdate, Task, TaskKind
from tests.missing_web.conftest import (
    RETURN_FORM,
    World,
    report,
    signed_in,
    squash,
    without_csrf,
)

pytestmark = pytest.mark.django_db


def url(episode) -> str:
    return reverse("episode_detail", args=[episode.id])


def add(client, episode, **data):
    return client.post(reverse("episode_update_add", args=[episode.id]), data)


def test_the_page_shows_the_report_and_its_duration(world: World, at_monday):
    episode = report(world)
    at_monday.shift(dt.timedelta(hours=2, minutes=5))
    response = signed_in(world.social_worker).get(url(episode))
    html = squash(response.content.decode())
    assert response.status_code == 200
    assert "<title>Missing episode: Robin Quillfeather – Sightline</title>" in html
    for text in (
        "Missing episode",
        "2 February 2026 at 9am",
        "Leaving the home by the back gate",
        "Black puffer jacket, grey joggers",
        "3 hours 5 minutes so far",
        "Yes, reference GMP-0202-1234",
        "Medium risk (2021 list), given by PC 1234, Greater Manchester Police",
        "Larch House, Stockport (Greater Manchester police area)",
        "Alerts sent to",
        "Greater Manchester Police",
        "No updates yet.",
        "Add an update",
        "Record the return",
    ):
        assert text in html, text
    assert AccessRecord.objects.filter(
        user=world.social_worker, purpose="Open a missing episode"
    ).exists()


def test_updates_are_appended_with_who_supplied_each_fact_and_when(world: World, at_monday):
    episode = report(world)
    client = signed_in(world.officer)
    response = add(
        client,
        episode,
        kind="sighting",
        text="Seen at Piccadilly station with two older males",
        supplied_by="British Transport Police",
        supplied_date_0="2",
        supplied_date_1="2",
        supplied_date_2="2026",
        supplied_time="9:40am",
    )
    assert response.status_code == 302
    first = EpisodeUpdate.objects.get()
    before = (first.text, first.supplied_by, first.supplied_at, first.updated_at)

    at_monday.shift(dt.timedelta(minutes=30))
    add(
        client,
        episode,
        kind="risk_change",
        risk_grade="high",
        text="Seen with adults known to police",
        supplied_by="Sgt 77, Greater Manchester Police",
    )
    assert EpisodeUpdate.objects.count() == 2
    first.refresh_from_db()
    assert (first.text, first.supplied_by, first.supplied_at, first.updated_at) == before
    # A high grade makes a review task for the placing council.
    assert Task.objects.filter(kind=TaskKind.HIGH_RISK_REVIEW, created_from=episode).exists()

    html = squash(client.get(url(episode)).content.decode())
    for text in (
        "Seen at Piccadilly station with two older males",
        "British Transport Police",
        "2 February 2026 at 9:40am",
        "Risk grade changed to High risk (2021 list)",
        "Sgt 77, Greater Manchester Police",
        "Current police risk grade",
        "never changed",
    ):
        assert text in html, text
    # Nothing on the page edits or removes an update.
    assert f"/updates/{first.id}" not in html
    assert "Delete" not in html and "Edit" not in html


def test_an_update_needs_its_source_and_a_risk_change_its_grade(world: World, at_monday):
    episode = report(world)
    response = add(signed_in(world.home_staff), episode, kind="risk_change", supplied_by="")
    html = squash(response.content.decode())
    assert response.status_code == 200
    assert "<title>Error: Missing episode" in html
    assert '<a href="#id_supplied_by">Enter who supplied this</a>' in html
    assert "Select the new risk grade" in html
    assert not EpisodeUpdate.objects.exists()


def test_the_updates_address_only_appends(world: World, at_monday):
    episode = report(world)
    client = signed_in(world.home_staff)
    assert client.get(reverse("episode_update_add", args=[episode.id])).status_code == 405


def test_after_the_return_only_information_can_be_added(world: World, at_monday):
    episode = report(world)
    client = signed_in(world.home_staff)
    client.post(reverse("episode_return", args=[episode.id]), RETURN_FORM)
    html = squash(client.get(url(episode)).content.decode())
    assert "Add information received" in html
    assert "A sighting" not in html
    assert "Record the return" not in html
    response = add(client, episode, kind="sighting", text="Seen", supplied_by="Carer")
    assert "The child has returned: add information received instead." in squash(
        response.content.decode()
    )
    add(client, episode, kind="information", text="Said she was in Manchester", supplied_by="Carer")
    assert EpisodeUpdate.objects.get().kind == "information"


def test_those_not_involved_see_page_not_found(world: World, at_monday):
    episode = report(world)
    for user in (world.other_home_staff, world.other_officer, world.other_council_worker):
        client = signed_in(user)
        response = client.get(url(episode))
        absent = client.get(reverse("episode_detail", args=[uuid.uuid4()]))
        assert response.status_code == absent.status_code == 404
        assert without_csrf(response.content.decode()) == without_csrf(absent.content.decode())
        assert (
            add(client, episode, kind="information", text="x", supplied_by="y").status_code == 404
        )
    assert not EpisodeUpdate.objects.exists()


def test_the_host_council_reads_but_its_social_workers_do_not_record(world: World, at_monday):
    from sightline.organisations.models import Role
    from tests import factories

    episode = report(world)
    host_worker = signed_in(factories.user(world.host, Role.SOCIAL_WORKER))
    html = squash(host_worker.get(url(episode)).content.decode())
    assert "Add an update" not in html and "Record the return" not in html
    assert (
        add(host_worker, episode, kind="information", text="x", supplied_by="y").status_code == 404
    )
