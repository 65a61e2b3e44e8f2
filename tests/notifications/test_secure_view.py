"""The secure view: someone at an agency not on Sightline sees the child's details only with
a one-time code sent to the verified inbox the notice went to; time-limited, audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.notifications import links
from sightline.notifications.directory import address_mark_verified, directory_load
from sightline.notifications.models import DirectoryEntry, Notice
from sightline.notifications.secure_view import MAX_ATTEMPTS
from tests.notifications.conftest import SURNAME, SmtpServer, make_world, record_out_of_area

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


def _url(notice: Notice, address: str = ADDRESS) -> str:
    token = links.acknowledgement_token(notice_id=notice.id, address=address)
    return f"/acknowledge/{token}/child/"


def _code(server: SmtpServer) -> str:
    found = re.search(r"Your code is (\d{6})", server.received[-1].message.get_content())
    assert found
    return found.group(1)


def test_a_code_sent_to_the_verified_inbox_opens_the_childs_details(
    notice, smtp_server: SmtpServer
):
    client = Client()
    url = _url(notice)
    first = client.get(url).content.decode()
    assert SURNAME not in first
    assert "Send a code" in first
    client.post(url, {"action": "send"})
    (received,) = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    assert SURNAME not in received.raw
    code = _code(smtp_server)

    wrong = client.post(url, {"action": "check", "code": "000000" if code != "000000" else "1"})
    assert wrong.status_code == 400
    assert "The code is not right" in wrong.content.decode()
    assert SURNAME not in wrong.content.decode()

    client.post(url, {"action": "check", "code": code})
    html = client.get(url).content.decode()
    assert f"Robin {SURNAME}" in html
    assert "17 March 2011" in html
    looks = AuditEvent.objects.filter(verb=AuditVerb.CHILD_VIEWED_BY_CODE)
    assert looks.count() == 1
    assert looks.get().child_id == notice.child_id
    assert ADDRESS not in str(looks.get().payload)
    assert AuditEvent.objects.filter(verb=AuditVerb.SECURE_VIEW_CODE_SENT).count() == 1

    # One use: the code does not open another browser.
    other = Client()
    assert other.post(url, {"action": "check", "code": code}).status_code == 400
    assert SURNAME not in other.get(url).content.decode()

    # Time-limited: after 30 minutes the view is closed again.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)):
        assert SURNAME not in client.get(url).content.decode()


def test_a_code_expires_and_allows_few_attempts(notice, smtp_server: SmtpServer):
    client = Client()
    url = _url(notice)
    client.post(url, {"action": "send"})
    code = _code(smtp_server)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)):
        late = client.post(url, {"action": "check", "code": code})
    assert "The code has expired" in late.content.decode()

    client.post(url, {"action": "send"})
    code = _code(smtp_server)
    for _ in range(MAX_ATTEMPTS):
        client.post(url, {"action": "check", "code": "999999" if code != "999999" else "1"})
    blocked = client.post(url, {"action": "check", "code": code})
    assert "The code has expired" in blocked.content.decode()
    assert SURNAME not in client.get(url).content.decode()


def test_no_code_for_an_address_the_notice_did_not_go_to(notice, smtp_server: SmtpServer):
    client = Client()
    url = _url(notice, "someone@elsewhere.example.org")
    assert client.post(url, {"action": "send"}).status_code == 400
    assert smtp_server.received == []


def test_a_signed_link_for_an_address_the_notice_did_not_go_to_shows_nothing(notice):
    """The signature alone is not enough: the summary (setting, postcode, reference) shows
    only for an address a signed-link delivery of this notice went to."""
    response = Client().get(_url(notice, "someone@elsewhere.example.org"))
    assert response.status_code == 400
    html = response.content.decode()
    assert notice.reference not in html
    assert notice.setting_postcode not in html
    assert Client().get(_url(notice)).status_code == 200
