"""One notice: its content and delivery per channel, for its recipient and sender only."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.access.policy import Action
from sightline.notifications.services import contact_point_set
from sightline.organisations.models import Role
from tests import factories
from tests.notices_web.conftest import (
    DATE_OF_BIRTH,
    GMP,
    SURNAME,
    World,
    make_child,
    record,
    signed_in,
    squash,
    tag,
    user,
)

pytestmark = pytest.mark.django_db


def url(notice_id) -> str:
    return reverse("notice_detail", args=[notice_id])


def test_recipient_sees_the_content_and_each_channel(world: World):
    contact_point_set(
        organisation=world.stockport,
        kind="placement",
        channel="email",
        address="missing@stockport.example",
        actor=None,
    )
    child = make_child(first_name="Sam")
    record(child, world.setting)
    notice = child.notices.get(recipient=world.stockport)
    response = signed_in(user(world.stockport, Role.MISSING_COORDINATOR)).get(url(notice.id))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<title>Placement notice {notice.reference} – Sightline</title>" in html
    for text in (
        "Sam Q.",
        "Larch House, SK4 2AB (Stockport)",
        "Placed from",
        "12 January 2026",
        "Southwark",
        "5 January 2026 at 10am",  # sent
        "By the end of 7 January 2026",  # acknowledge
        "Before 12 January 2026",  # due
        "Not yet",
        # Delivery per channel, with GOV.UK tags.
        "Sightline inbox",
        "Stockport Council inbox",
        "E-mail",
        "missing@stockport.example",
        tag("Delivered", "green"),
        tag("Queued", "grey"),
    ):
        assert text in squash(html), text
    assert ">Acknowledge</button>" in html or "Acknowledge\n</button>" in html
    assert SURNAME not in html
    assert DATE_OF_BIRTH.strftime("%-d %B %Y") not in html
    # Reading the child's details on a notice is a look at the child, recorded as one.
    [look] = AccessRecord.objects.all()
    assert (look.child_id, look.action) == (child.id, str(Action.VIEW_NOTICE))
    # The host council is involved only from the start date: no link to the record yet.
    assert reverse("child_detail", args=[child.id]) not in html


def test_sender_sees_the_notice_without_the_acknowledge_button(world: World):
    response = signed_in(user(world.southwark)).get(url(world.host_notice.id))
    assert response.status_code == 200
    html = response.content.decode()
    assert world.host_notice.reference in html
    assert "Acknowledge</button>" not in html.replace("\n", "")
    # The placing council may open the child's record from the notice.
    assert reverse("child_detail", args=[world.robin.id]) in html


@pytest.mark.parametrize(
    ("make_org", "role"),
    [
        (lambda: factories.council_org("383"), Role.MISSING_COORDINATOR),
        (lambda: factories.police_org(GMP), Role.POLICE_MISSING_OFFICER),  # another notice
        (lambda: factories.provider_org("Brightwater Care Ltd"), Role.HOME_MANAGER),
        (lambda: factories.council_org("886"), Role.ADMINISTRATOR),
    ],
)
def test_other_organisations_get_the_same_page_as_for_no_notice(world: World, make_org, role):
    client = signed_in(user(make_org(), role))
    denied = client.get(url(world.host_notice.id))
    missing = client.get(url(uuid.uuid4()))
    assert denied.status_code == missing.status_code == 404
    strip = lambda r: r.content.decode().split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert strip(denied) == strip(missing)
    assert "Page not found" in denied.content.decode()
    assert world.host_notice.reference not in denied.content.decode()
    assert client.get("/notices/not-a-uuid/").status_code == 404


def test_the_link_in_an_email_asks_for_sign_in_first(world: World):
    link = url(world.host_notice.id)
    response = Client().get(link)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={link}"
    coordinator = user(world.stockport, Role.MISSING_COORDINATOR, username="mia")
    client = Client()
    signed = client.post(
        response.url, {"username": "mia", "password": factories.PASSWORD}, follow=False
    )
    assert coordinator.is_active
    assert signed.status_code == 302
    assert signed.url == link
    # Then the second factor, which returns to the link.
    assert factories.enter_code(client, coordinator, next_url=link).url == link
    assert client.get(link).status_code == 200
