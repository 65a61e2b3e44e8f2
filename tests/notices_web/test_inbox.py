"""The inbox: each organisation sees the notices it received (and sent), and nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from sightline.organisations.models import Role
from sightline.placements.notices import placement_notices
from tests import factories
from tests.notices_web.conftest import (
    WEST_YORKSHIRE,
    World,
    make_child,
    record,
    signed_in,
    squash,
    tag,
    user,
)

pytestmark = pytest.mark.django_db

INBOX = "/notices/"


def test_host_council_sees_the_placement_notice_it_received(world: World):
    response = signed_in(user(world.stockport, Role.MISSING_COORDINATOR)).get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Notices – Sightline</title>" in html
    notice = world.host_notice
    assert reverse("notice_detail", args=[notice.id]) in html
    assert notice.reference in html
    assert "Placement notice" in html
    assert "Robin Q." in html  # the notice's own minimal content
    assert "Southwark" in html  # from
    assert "7 January 2026" in html  # acknowledge by
    assert tag("New", "blue") in squash(html)
    # Only its own: not the police force's notice.
    assert world.police_notice.reference not in html
    assert "1 notice to acknowledge." in html


def test_inbox_lists_only_the_organisations_own_notices(world: World):
    other = make_child("886", first_name="Cat")
    kent_home = factories.setting(factories.provider_org("Seaview Homes Ltd"), "CT1 2EH")
    kent_notice_holder = record(other, kent_home)  # Kent places in Kent: no notice
    assert not placement_notices(placement=kent_notice_holder).exists()
    leeds = signed_in(user(factories.council_org("383")))
    html = leeds.get(INBOX).content.decode()
    assert world.host_notice.reference not in html
    assert world.police_notice.reference not in html
    assert "Your organisation has not received any notices." in html

    police = signed_in(user(world.police, Role.POLICE_MISSING_OFFICER)).get(INBOX)
    html = police.content.decode()
    assert world.police_notice.reference in html
    assert world.host_notice.reference not in html
    # A police force sends no notices: no Sent tab.
    assert 'href="#sent"' not in html

    west_yorkshire = signed_in(user(factories.police_org(WEST_YORKSHIRE), Role.ANALYST))
    assert world.police_notice.reference not in west_yorkshire.get(INBOX).content.decode()


def test_placing_council_sees_what_it_sent_in_the_sent_tab(world: World):
    response = signed_in(user(world.southwark)).get(INBOX)
    html = response.content.decode()
    assert 'href="#sent"' in html
    sent = html[html.index('id="sent"') :]
    assert world.host_notice.reference in sent
    assert world.police_notice.reference in sent
    assert "Stockport Council" in sent
    assert "Greater Manchester Police" in sent
    # Southwark received nothing.
    received = html[html.index('id="received"') : html.index('id="sent"')]
    assert "Your organisation has not received any notices." in received


def test_status_tags_new_overdue_and_acknowledged(world: World, frozen):
    frozen.move_to(dt.datetime(2026, 1, 8, 0, 0, 1, tzinfo=dt.UTC))
    client = signed_in(user(world.stockport, Role.MISSING_COORDINATOR))
    html = squash(client.get(INBOX).content.decode())
    assert tag("Overdue", "red") in html
    assert tag("New", "blue") not in html
    client.post(reverse("notice_acknowledge", args=[world.host_notice.id]))
    html = squash(client.get(INBOX).content.decode())
    assert tag("Acknowledged", "green") in html
    assert "You have no notices to acknowledge." in html


def test_navigation_shows_the_inbox_with_the_count_to_acknowledge_and_compliance(world: World):
    client = signed_in(user(world.stockport, Role.MISSING_COORDINATOR))
    html = client.get("/").content.decode()
    assert 'href="/notices/"' in html
    assert (
        'Inbox <span class="app-count">1<span class="govuk-visually-hidden"> to acknowledge' in html
    )
    assert 'href="/compliance/"' in html
    client.post(reverse("notice_acknowledge", args=[world.host_notice.id]))
    html = client.get("/").content.decode()
    assert "app-count" not in html
    # A provider has an inbox but no compliance view.
    home = signed_in(user(world.brightwater, Role.HOME_MANAGER)).get("/").content.decode()
    assert 'href="/notices/"' in home
    assert 'href="/compliance/"' not in home


def test_signed_out_user_is_sent_to_sign_in(world: World):
    response = Client().get(INBOX)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={INBOX}"
