"""The timeline leads with events: each notice's delivery receipts are folded under it, a
reader chooses receipts on their own or views of the record with GOV.UK checkboxes in a GET
form, and the pagination keeps the choice (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from sightline.notifications.models import NoticeEvent, NoticeEventKind
from tests.factories import signed_in
from tests.missing.conftest import World, make_world, report, run_worker

NOW = dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db: None) -> World:
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        w = make_world()
    with time_machine.travel(NOW, tick=False):
        report(w)
        run_worker()
    return w


def _get(user, world: World, **query):
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        return signed_in(user).get(reverse("child_detail", args=[world.child.id]), query)


def _timeline(response) -> str:
    return response.content.decode().split('id="timeline"')[1]


def test_receipts_are_folded_under_the_notice_they_belong_to(world: World):
    receipts = NoticeEvent.objects.filter(event=NoticeEventKind.DELIVERED)
    assert receipts.exists()
    response = _get(world.social_worker, world)
    events = response.context["timeline"].events
    assert not [e for e in events if e.kind == "notice_delivered"]
    sent = [e for e in events if e.kind == "notice_created"]
    assert sent and all(e.receipts for e in sent)
    assert sum(len(e.receipts) for e in sent) == receipts.count()
    assert {r.kind for e in sent for r in e.receipts} == {"notice_delivered"}
    html = _timeline(response)
    assert '<details class="govuk-details app-timeline__receipts">' in html
    assert "Delivery receipts (" in html
    # The events come first: the episode is on the page, not pushed off by receipts.
    assert any(e.kind.startswith("episode_") for e in events)


def test_receipts_alone_are_entries_of_their_own(world: World):
    events = _get(world.social_worker, world, kind="deliveries").context["timeline"].events
    assert events and {e.kind for e in events} == {"notice_delivered"}
    assert not any(e.receipts for e in events)
    # Notices without receipts: the notices, nothing folded.
    events = _get(world.social_worker, world, kind="notices").context["timeline"].events
    assert events and not any(e.receipts for e in events)
    assert "notice_delivered" not in {e.kind for e in events}


def test_views_of_the_record_are_for_those_who_may_see_who_viewed_it(world: World):
    _get(world.home_staff, world)  # a look to see
    manager = _get(world.team_manager, world, kind="views")
    events = manager.context["timeline"].events
    assert events and {e.kind for e in events} == {"view"}
    assert any(world.home_staff.username in e.title for e in events)
    assert 'value="views"' in manager.content.decode()
    # A social worker may not read the audit: no such checkbox, and asking is ignored.
    worker = _get(world.social_worker, world, kind="views")
    assert 'value="views"' not in worker.content.decode()
    assert "There is a problem" not in worker.content.decode()
    assert "view" not in {e.kind for e in worker.context["timeline"].events}
    # Not shown unless chosen.
    default = _get(world.team_manager, world).context["timeline"].events
    assert "view" not in {e.kind for e in default}


@pytest.mark.parametrize("field", ["kind", "episode"])
def test_a_choice_that_is_not_one_is_an_error_and_not_echoed(world: World, field: str):
    response = _get(world.social_worker, world, **{field: "<b>bold"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    assert "Select " in html and "<b>" not in html and "&lt;b&gt;" not in html
    # The error message and the form never repeat the value (the urgent banner's return
    # link carries the page's own address, percent-encoded).
    summary = html[html.index('class="govuk-error-summary"') :].split("</div>")[0]
    form = html[html.index('<form method="get"') :].split("</form>")[0]
    assert "Select " in summary and "bold" not in summary + form
    assert response.context["timeline"].count > 0  # the other filters still apply


def test_the_filters_are_checkboxes_in_a_get_form_and_the_pages_keep_them(world: World):
    html = _get(world.team_manager, world, kind=["deliveries"], page="1").content.decode()
    assert '<form method="get"' in html and 'class="govuk-checkboxes__input"' in html
    labels = [html.index(f'value="{k}"') for k in ("placements", "notices", "deliveries", "views")]
    assert labels == sorted(labels)  # events first
    ticked = html[html.index('value="deliveries"') :].split(">")[0]
    assert 'checked="checked"' in ticked
