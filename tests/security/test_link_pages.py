"""The authorisation matrix of the pages reached by a signed link (issue 15): acknowledging a
notice without an account, and confirming a directory address.

They are ``Rule.PUBLIC``: the link (and, for the child's details, a one-time code sent to
the verified inbox), not the session, admits. So every kind of organisation x
every role it may hold (signed in, with the second factor), a platform operator and nobody
at all get the same answer from the same link: the notice's non-personal summary for a good
link, the same refusal for a tampered one, and never the child's name. Only a good link
acknowledges, and only once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import Client

from sightline.notifications import links
from sightline.notifications.directory import address_mark_verified, directory_load
from sightline.notifications.models import DirectoryEntry, InboxAddress, Notice
from sightline.organisations.models import ROLES_BY_KIND, Organisation, OrganisationKind
from tests import factories
from tests.notifications.conftest import SURNAME, make_world, record_out_of_area

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


def _organisation(kind: str) -> Organisation:
    if kind == OrganisationKind.COUNCIL:
        return factories.council_org("356")  # the recipient itself
    if kind == OrganisationKind.POLICE:
        return factories.police_org("E23000005")
    if kind == OrganisationKind.PROVIDER:
        return factories.provider_org()
    return Organisation.objects.create(kind=kind, name=f"A {kind}")


def _clients() -> Iterator[tuple[str, Client]]:
    yield "nobody signed in", Client()
    yield "platform operator", factories.signed_in(factories.platform_operator())
    for kind, roles in ROLES_BY_KIND.items():
        org = _organisation(kind)
        for role in sorted(roles):
            yield f"{kind} {role}", factories.signed_in(factories.user(org, role))


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def test_everyone_gets_the_same_answer_from_the_same_link(notice):
    good = _path(links.acknowledgement_url(notice_id=notice.id, address=ADDRESS))
    tampered = good[:-4] + ("x" if good[-4] != "x" else "y") + good[-3:]
    confirm_bad = "/directory/confirm/not-a-token/"
    for who, client in _clients():
        page = client.get(good)
        html = page.content.decode()
        assert page.status_code == 200, who
        assert notice.reference in html, who
        assert "Robin" not in html and SURNAME not in html, who
        # The child's details: never without the one-time code, whoever is signed in.
        secure = client.get(good + "child/")
        assert secure.status_code == 200, who
        assert "Robin" not in secure.content.decode(), who
        assert SURNAME not in secure.content.decode(), who
        assert client.get(tampered).status_code == 400, who
        assert client.get(tampered + "child/").status_code == 400, who
        assert client.post(tampered, {"name": "X", "role": "Y"}).status_code == 400, who
        assert client.get(confirm_bad).status_code == 400, who
        assert client.post(confirm_bad).status_code == 400, who
    notice.refresh_from_db()
    assert notice.acknowledged_at is None
    assert InboxAddress.objects.get(address=ADDRESS).status == "verified"


def test_only_the_link_acknowledges_and_only_once(notice):
    good = _path(links.acknowledgement_url(notice_id=notice.id, address=ADDRESS))
    answers = []
    for _who, client in _clients():
        answers.append(client.post(good, {"name": "Jo Bloggs", "role": "Duty manager"}))
    assert answers[0].status_code == 302
    assert all(a.status_code in (200, 302) for a in answers[1:])
    notice.refresh_from_db()
    assert notice.acknowledged_by_name == "Jo Bloggs"
    assert notice.events.filter(event="acknowledged").count() == 1
