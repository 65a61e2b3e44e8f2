"""The Tasks page (what the triggers asked an organisation to do) and the list of recent
episodes with durations and its CSV download; missing alerts link to their episode."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from sightline.missing.models import FoundBy, Task, TaskKind, TaskStatus
from sightline.missing.notices import AlertKind
from sightline.missing.services import episode_close
from sightline.notifications.models import Notice
from sightline.placements.notices import PlacementNoticeKind
from tests.missing.conftest import MONDAY
from tests.missing_web.conftest import SURNAME, World, report, signed_in, squash

pytestmark = pytest.mark.django_db


def three_episodes(world: World) -> None:
    """Three short episodes in three days: the default rule (3 in 30 days) sets a task."""
    for days in (3, 2, 1):
        start = MONDAY - dt.timedelta(days=days)
        episode = report(
            world,
            last_seen_at=start,
            risk_grade=None,
            reported_to_police=False,
            police_reference="",
        )
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=start + dt.timedelta(hours=2),
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
        )


def test_the_placing_council_sees_and_closes_its_strategy_discussion_task(world, at_monday):
    three_episodes(world)
    task = Task.objects.get(kind=TaskKind.STRATEGY_DISCUSSION)
    assert task.assignee == world.placing
    client = signed_in(world.social_worker)
    # The rules' tasks are in the one task list (issue 17): their old list leads there, and
    # the navigation has one Tasks item, "Your tasks", counting them.
    assert client.get(reverse("task_list"))["Location"] == reverse("your_tasks")
    html = squash(client.get(reverse("your_tasks")).content.decode())
    assert 'Your tasks <span class="app-count">1' in html
    assert f'href="{reverse("task_list")}"' not in html
    assert "Set by Sightline" in html
    assert "Strategy discussion: repeated episodes" in html
    assert f"Robin {SURNAME}" in html
    detail = reverse("task_detail", args=[task.id])
    assert detail in html

    page = squash(client.get(detail).content.decode())
    assert "The episode that started it" in page
    assert "Close the task" in page

    # Nothing chosen: errors name the fields, nothing is saved.
    response = client.post(detail, {"status": "", "outcome": ""})
    assert response.status_code == 200
    page = squash(response.content.decode())
    assert "Select whether the task is done or no longer needed" in page
    assert "Enter what was done, or why the task is no longer needed" in page
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN

    response = client.post(
        detail,
        {
            "status": "done",
            "outcome": "Strategy discussion held on 3 February; safety plan agreed.",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.completed_by == world.social_worker
    assert task.outcome.startswith("Strategy discussion held")
    assert response["Location"] == reverse("your_tasks")
    html = squash(client.get(reverse("your_tasks")).content.decode())
    assert "Nothing to do." in html
    assert "Closed in the last 30 days" in html
    assert "Strategy discussion" in html and "Done" in html
    # A closed task shows what was done and offers no form.
    page = squash(client.get(detail).content.decode())
    assert "Safety plan agreed" in page or "safety plan agreed" in page
    assert "Close the task" not in page


def test_other_organisations_cannot_see_the_task(world, at_monday):
    three_episodes(world)
    task = Task.objects.get(kind=TaskKind.STRATEGY_DISCUSSION)
    detail = reverse("task_detail", args=[task.id])
    for outsider in (
        world.coordinator,
        world.officer,
        world.home_manager,
        world.other_council_worker,
    ):
        assert signed_in(outsider).get(detail).status_code == 404
        assert (
            signed_in(outsider).post(detail, {"status": "done", "outcome": "x"}).status_code == 404
        )
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_recent_episodes_show_durations_and_download_with_end_times(world, at_monday):
    three_episodes(world)
    open_now = report(world)
    client = signed_in(world.coordinator)
    html = squash(client.get(reverse("episode_list")).content.decode())
    assert "4 episodes in the last 90 days, 1 still open." in html
    assert "2 hours" in html
    assert "Not back yet" in html
    response = client.get(reverse("episode_list"), {"days": "90", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 4
    ended = [r for r in rows if r["end"]]
    assert len(ended) == 3
    assert {r["duration_hours"] for r in ended} == {"2.0"}
    assert next(r for r in rows if not r["end"])["episode_id"] == str(open_now.id)
    body = response.content.decode()
    assert SURNAME not in body and "Robin" not in body
    # An unknown period falls back to 90 days; a period with nothing says so.
    assert client.get(reverse("episode_list"), {"days": "7"}).status_code == 200


def test_other_councils_see_no_episodes(world, at_monday):
    three_episodes(world)
    html = squash(
        signed_in(world.other_council_worker).get(reverse("episode_list")).content.decode()
    )
    assert "No episodes in the last 90 days." in html


def test_a_missing_alert_links_to_its_episode(world, at_monday):
    episode = report(world)
    notice = Notice.objects.get(kind=AlertKind.MISSING, recipient=world.police)
    html = squash(
        signed_in(world.officer).get(reverse("notice_detail", args=[notice.id])).content.decode()
    )
    assert reverse("episode_detail", args=[episode.id]) in html
    placement_notice = Notice.objects.filter(kind=PlacementNoticeKind.PLACEMENT).first()
    if placement_notice is not None:
        page = signed_in(world.coordinator).get(
            reverse("notice_detail", args=[placement_notice.id])
        )
        assert "View the episode" not in page.content.decode()
