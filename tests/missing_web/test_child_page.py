"""The child's record: episodes, the report button, the safety profile link, tasks for the
placing council, and every episode, update, return, interview and task on the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sightline.missing.models import ReturnInterview
from sightline.missing.services import (
    episode_close,
    episode_update,
    interview_decline,
    interview_offer,
)
from tests.missing_web.conftest import World, report, signed_in, squash

pytestmark = pytest.mark.django_db


def child_page(world: World, user) -> str:
    response = signed_in(user).get(reverse("child_detail", args=[world.child.id]))
    assert response.status_code == 200
    return squash(response.content.decode())


def test_the_home_reports_from_the_child_page(world: World, at_monday):
    html = child_page(world, world.home_staff)
    assert reverse("episode_new", args=[world.child.id]) in html
    assert "Report missing or away" in html
    assert reverse("safety_profile", args=[world.child.id]) in html
    assert "Robin has not been reported missing or away." in html


def test_who_sees_the_buttons(world: World, at_monday):
    # The host council's coordinator may report but not read the profile; the police read
    # the profile only during an episode.
    coordinator = child_page(world, world.coordinator)
    assert "Report missing or away" in coordinator
    assert reverse("safety_profile", args=[world.child.id]) not in coordinator
    police = child_page(world, world.officer)
    assert reverse("safety_profile", args=[world.child.id]) not in police
    report(world)
    police = child_page(world, world.officer)
    assert reverse("safety_profile", args=[world.child.id]) in police
    # While the child is missing there is nothing new to report: the banner links the episode.
    assert "Report missing or away" not in police
    assert "Robin is missing. Last seen 2 February 2026 at 9am." in police


def test_episodes_and_the_timeline(world: World, at_monday):
    episode = report(world)
    episode_update(
        actor=world.officer,
        episode=episode,
        kind="risk_change",
        risk_grade="high",
        text="Seen with adults known to police",
        supplied_by="Sgt 77",
    )
    at_monday.shift(dt.timedelta(hours=2))
    from sightline.core.timeutil import now

    episode_close(
        actor=world.home_staff,
        episode=episode,
        returned_at=now(),
        where_postcode="sw1a 1aa",
        found_by="police",
    )
    interview = ReturnInterview.objects.get()
    at_monday.shift(dt.timedelta(hours=1))
    interview_offer(actor=world.social_worker, interview=interview)
    interview_decline(actor=world.social_worker, interview=interview, reason="Did not want to")

    html = child_page(world, world.social_worker)
    for text in (
        "Missing and away episodes",
        reverse("episode_detail", args=[episode.id]),
        "High risk (2021 list)",
        "3 hours",
        "Declined",
        reverse("interview_detail", args=[interview.id]),
        # Timeline
        "Went missing from Larch House",
        "Last seen at 9am. Reported by Brightwater Care Ltd.",
        "Police risk grade changed to High risk (2021 list)",
        "Supplied by Sgt 77 at 10am. Seen with adults known to police",
        "Found",
        "Found outside the host area. Found in another force area.",
        "Return home interview due",
        "Return home interview offered",
        "Return home interview declined",
        "Task for Southwark Council: Review: graded high risk while missing",
        "Task for Southwark Council: Complete an exploitation screening",
        # Tasks, for the placing council
        "Tasks for your council",
        "Found in another police force area",
    ):
        assert text in html, text


def test_tasks_are_shown_only_to_the_placing_council(world: World, at_monday):
    report(world, risk_grade="high")
    assert "Tasks for your council" in child_page(world, world.team_manager)
    for user in (world.coordinator, world.officer, world.home_staff):
        assert "Tasks for your council" not in child_page(world, user)
