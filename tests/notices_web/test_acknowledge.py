"""Acknowledging a notice: once, by the recipient organisation, recording who and when."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sightline.notifications.models import Notice, NoticeEvent, NoticeEventKind
from sightline.organisations.models import Role
from tests import factories
from tests.notices_web.conftest import RECORDED_AT, World, signed_in, user

pytestmark = pytest.mark.django_db


def ack_url(notice: Notice) -> str:
    return reverse("notice_acknowledge", args=[notice.id])


def test_acknowledge_records_who_and_when_once(world: World, frozen):
    coordinator = user(world.stockport, Role.MISSING_COORDINATOR)
    client = signed_in(coordinator)
    at = RECORDED_AT + dt.timedelta(hours=3)
    frozen.move_to(at)
    response = client.post(ack_url(world.host_notice), follow=True)
    assert response.redirect_chain == [(reverse("notice_detail", args=[world.host_notice.id]), 302)]
    html = response.content.decode()
    assert "Notice acknowledged" in html
    assert f"Acknowledged by {coordinator.get_full_name()} on 5 January 2026 at 1pm." in html
    assert "Acknowledge</button>" not in html.replace("\n", "")
    notice = world.host_notice
    assert (notice.acknowledged_by, notice.acknowledged_at) == (coordinator, at)

    # A second time, by someone else, changes nothing.
    frozen.move_to(at + dt.timedelta(hours=1))
    colleague = user(world.stockport, Role.TEAM_MANAGER)
    again = signed_in(colleague).post(ack_url(notice), follow=True)
    assert "This notice was already acknowledged" in again.content.decode()
    notice.refresh_from_db()
    assert (notice.acknowledged_by, notice.acknowledged_at) == (coordinator, at)
    events = NoticeEvent.objects.filter(notice=notice, event=NoticeEventKind.ACKNOWLEDGED)
    assert [(e.actor, e.at) for e in events] == [(coordinator, at)]
    # The police force's notice is still its own to acknowledge.
    assert world.police_notice.acknowledged_at is None


def test_the_sender_and_other_organisations_cannot_acknowledge(world: World):
    for org, role in (
        (world.southwark, Role.NOMINATED_OFFICER),
        (factories.council_org("383"), Role.MISSING_COORDINATOR),
        (world.police, Role.POLICE_MISSING_OFFICER),  # the host council's notice
    ):
        response = signed_in(user(org, role)).post(ack_url(world.host_notice))
        assert response.status_code == 404, org
    assert world.host_notice.acknowledged_at is None


def test_roles_that_do_not_act_on_cases_cannot_acknowledge(world: World):
    analyst = signed_in(user(world.stockport, Role.ANALYST))
    page = analyst.get(reverse("notice_detail", args=[world.host_notice.id])).content.decode()
    assert "Acknowledge</button>" not in page.replace("\n", "")
    assert "Only social workers" in page
    assert analyst.post(ack_url(world.host_notice)).status_code == 404
    assert world.host_notice.acknowledged_at is None


def test_acknowledging_needs_a_post(world: World):
    client = signed_in(user(world.stockport, Role.MISSING_COORDINATOR))
    assert client.get(ack_url(world.host_notice)).status_code == 405
    assert world.host_notice.acknowledged_at is None


def test_police_acknowledge_their_own_notice(world: World):
    officer = user(world.police, Role.POLICE_MISSING_OFFICER)
    signed_in(officer).post(ack_url(world.police_notice))
    assert world.police_notice.acknowledged_by == officer
    assert world.host_notice.acknowledged_at is None
