"""Signed links for people without an account: bound to one purpose, one notice and one
address; refused when tampered with, expired or signed with a key no longer held; still good
after a key rotation while the old key is kept."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.test import Client

from sightline.notifications import links
from sightline.notifications.directory import address_mark_verified, directory_load
from sightline.notifications.models import DirectoryEntry, Notice
from tests.notifications.conftest import make_world, record_out_of_area

pytestmark = pytest.mark.django_db

ADDRESS = "placements@stockport.example.org"


@pytest.fixture
def notice() -> Notice:
    world = make_world(host_email="")
    directory_load()
    entry = DirectoryEntry.objects.get(organisation=world.host)
    entry.placement_inbox = ADDRESS
    entry.save()
    address_mark_verified(address=ADDRESS, actor=None)
    record_out_of_area(world, start=dt.date(2026, 2, 2))
    return Notice.objects.get(recipient=world.host)


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def test_a_link_reads_back_its_notice_and_address():
    notice_id = uuid.uuid4()
    token = links.acknowledgement_token(notice_id=notice_id, address="A@Example.org")
    claim = links.acknowledgement_read(token)
    assert claim == links.AcknowledgementClaim(notice_id=notice_id, address="a@example.org")


@pytest.mark.parametrize("position", [0, 10, -5, -1])
def test_a_tampered_link_is_refused(position):
    token = links.acknowledgement_token(notice_id=uuid.uuid4(), address=ADDRESS)
    changed = "A" if token[position] != "A" else "B"
    tampered = token[:position] + changed + token[position:][1:]
    with pytest.raises(links.LinkRefused) as caught:
        links.acknowledgement_read(tampered)
    assert caught.value.expired is False


def test_a_link_for_one_purpose_is_refused_for_another():
    url = links.confirmation_url(address=ADDRESS, challenge="abc")
    token = url.rstrip("/").rpartition("/")[2]
    with pytest.raises(links.LinkRefused):
        links.acknowledgement_read(token)


def test_an_expired_link_is_refused_as_expired(settings):
    settings.SIGHTLINE_ACK_LINK_DAYS = 14
    start = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        token = links.acknowledgement_token(notice_id=uuid.uuid4(), address=ADDRESS)
    with time_machine.travel(start + dt.timedelta(days=13, hours=23), tick=False):
        links.acknowledgement_read(token)
    with (
        time_machine.travel(start + dt.timedelta(days=14, seconds=1), tick=False),
        pytest.raises(links.LinkRefused) as caught,
    ):
        links.acknowledgement_read(token)
    assert caught.value.expired is True


def test_a_rotated_key_still_verifies_links_it_signed_until_dropped(settings):
    settings.SIGHTLINE_LINK_KEY = "old-key-" + "x" * 50
    settings.SIGHTLINE_LINK_OLD_KEYS = []
    token = links.acknowledgement_token(notice_id=uuid.uuid4(), address=ADDRESS)
    settings.SIGHTLINE_LINK_KEY = "new-key-" + "y" * 50
    settings.SIGHTLINE_LINK_OLD_KEYS = ["old-key-" + "x" * 50]
    links.acknowledgement_read(token)
    settings.SIGHTLINE_LINK_OLD_KEYS = []
    with pytest.raises(links.LinkRefused):
        links.acknowledgement_read(token)


def test_the_page_refuses_tampered_and_expired_links_clearly(notice, settings):
    client = Client()
    url = _path(links.acknowledgement_url(notice_id=notice.id, address=ADDRESS))
    assert client.get(url).status_code == 200
    tampered = url[:-4] + ("x" if url[-4] != "x" else "y") + url[-3:]
    response = client.get(tampered)
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert notice.reference not in response.content.decode()
    assert client.post(tampered, {"name": "A", "role": "B"}).status_code == 400

    settings.SIGHTLINE_ACK_LINK_DAYS = 1
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        response = client.post(url, {"name": "A", "role": "B"})
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    notice.refresh_from_db()
    assert notice.acknowledged_at is None


def test_a_link_is_bound_to_the_address_it_was_sent_to(notice):
    """A validly signed link for an address the notice never went to is refused: the link
    proves the inbox, not just the notice."""
    client = Client()
    other = _path(links.acknowledgement_url(notice_id=notice.id, address="other@example.org"))
    assert client.get(other).status_code == 400
    assert client.post(other, {"name": "A", "role": "B"}).status_code == 400
    notice.refresh_from_db()
    assert notice.acknowledged_at is None
