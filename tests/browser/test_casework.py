"""Casework in a real browser (issue 17): a social worker records a strategy meeting whose
actions become tasks owned by three agencies, then sets a task that looks like one of them:
the likely duplicate is flagged before it is saved, with a link to the existing task, and
saved only once confirmed. Every page is checked with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest

from sightline.casework.models import CaseTask
from sightline.core.timeutil import today
from sightline.geography.services import reference_data_load
from tests.browser.conftest import assert_accessible, sign_in
from tests.missing.conftest import World, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db) -> World:
    reference_data_load()  # emptied by the transactional tests' flush
    return make_world()


def _date(page, name: str, day: dt.date) -> None:
    for n, value in enumerate((day.day, day.month, day.year)):
        page.locator(f"input[name='{name}_{n}']").fill(str(value))


def test_a_meeting_sets_tasks_for_three_agencies_and_a_duplicate_is_flagged(
    live_server, page, world: World
) -> None:
    from playwright.sync_api import expect

    due = today() + dt.timedelta(days=7)
    sign_in(page, live_server.url, world.social_worker.username)
    page.goto(f"{live_server.url}/children/{world.child.id}/")
    page.get_by_role("button", name="Tasks and meetings").click()
    expect(page.get_by_role("heading", name="Tasks and meetings")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Record a strategy meeting").click()
    expect(page.get_by_role("heading", name="Record a strategy meeting")).to_be_visible()
    assert_accessible(page)
    _date(page, "held_date", today() - dt.timedelta(days=1))
    page.locator("input[name='held_time']").fill("10am")
    for person in (world.social_worker, world.officer, world.home_manager):
        page.locator(f"input[name='attendee_people'][value='{person.pk}']").check()
    page.get_by_label("What did the meeting decide?").fill(
        "Robin is visited this week; the police share what they know; the home updates "
        "the safety plan."
    )
    actions = [
        ("Visit Robin at the home", "visit", world.social_worker),
        ("Share intelligence on the address", "information", world.officer),
        ("Update the safety plan", "safety_plan", world.home_manager),
    ]
    for n, (title, kind, owner) in enumerate(actions):
        page.locator(f"input[name='action_{n}_title']").fill(title)
        page.locator(f"select[name='action_{n}_kind']").select_option(kind)
        page.locator(f"select[name='action_{n}_owner']").select_option(str(owner.pk))
        _date(page, f"action_{n}_due", due)
    page.get_by_role("button", name="Save the meeting").click()

    expect(page.get_by_role("heading", name="Strategy meeting", exact=False)).to_be_visible()
    assert_accessible(page)
    table = page.get_by_role("table")
    for title, _, owner in actions:
        expect(table).to_contain_text(title)
        expect(table).to_contain_text(owner.organisation.name)
    assert {t.organisation_id for t in CaseTask.objects.all()} == {
        world.placing.id,
        world.police.id,
        world.provider.id,
    }

    # The social worker then asks the home for the same visit: flagged before it is saved.
    page.goto(f"{live_server.url}/children/{world.child.id}/tasks/new/")
    assert_accessible(page)
    page.get_by_label("What kind of task is it?").select_option("other")
    page.get_by_label("What needs to be done?").fill("Home visit to Robin")
    page.get_by_label("Who owns it?").select_option(str(world.home_manager.pk))
    _date(page, "due_date", due + dt.timedelta(days=2))
    page.get_by_role("button", name="Save the task").click()

    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    duplicates = page.locator("#likely-duplicates")
    expect(duplicates.get_by_role("link", name="Visit Robin at the home")).to_be_visible()
    assert_accessible(page)
    assert CaseTask.objects.count() == 3
    page.get_by_label("It is a different task: save it anyway").check()
    page.get_by_role("button", name="Save the task").click()

    expect(page.get_by_role("heading", name="Tasks and meetings")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Home visit to Robin")
    assert CaseTask.objects.count() == 4
    assert CaseTask.objects.get(title="Home visit to Robin").confirmed_beside is not None
