"""One child's record: only through access_child, audited, and "not found" when not allowed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from sightline.access.models import AccessRecord
from sightline.organisations.models import Role
from tests import factories
from tests.web.conftest import GMP, KENT_POLICE, World, signed_in, without_csrf


def url(child_id) -> str:
    return reverse("child_detail", args=[child_id])


@pytest.mark.django_db
def test_placing_council_sees_details_history_and_timeline(world: World):
    user = world.user(factories.council_org("352"))
    response = signed_in(user).get(url(world.ada.id))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Ada Ashworth – Sightline</title>" in html
    for text in (
        "Date of birth",
        "1 May 2010",
        "Female",
        "MAN001",
        "Placing council",
        "Manchester",
        "Placement history",
        "Larch House",
        "Stockport",
        "Greater Manchester",
        "Out of area",
        "Current",
        "Timeline",
        "Placement started",
        "Placed at Larch House, Stockport.",
    ):
        assert text in html, text
    # The placing council's placing roles may record a new placement from here.
    assert f"/placements/new/?child={world.ada.id}" in html


@pytest.mark.django_db
def test_viewing_a_child_writes_an_access_record(world: World):
    user = world.user(factories.council_org("352"))
    signed_in(user).get(url(world.ada.id))
    record = AccessRecord.objects.get()
    assert (record.user, record.organisation, record.child, record.action) == (
        user,
        user.organisation,
        world.ada,
        "view",
    )
    assert record.involvement == "placing council"
    assert record.purpose


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_org", "role", "involvement"),
    [
        (
            lambda: factories.council_org("356"),
            Role.MISSING_COORDINATOR,
            "host council of the current placement",
        ),
        (
            lambda: factories.police_org(GMP),
            Role.POLICE_MISSING_OFFICER,
            "police force for the area of the current placement",
        ),
        (
            lambda: factories.provider_org("Brightwater Care Ltd"),
            Role.HOME_MANAGER,
            "provider of the current setting",
        ),
    ],
)
def test_involved_agencies_see_the_child_and_are_audited(world, make_org, role, involvement):
    user = world.user(make_org(), role)
    response = signed_in(user).get(url(world.ada.id))
    assert response.status_code == 200
    assert AccessRecord.objects.get(user=user).involvement == involvement
    # Only the placing council records placements.
    assert "/placements/new/" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_org", "role"),
    [
        (lambda: factories.council_org("383"), Role.SOCIAL_WORKER),
        (lambda: factories.council_org("886"), Role.TEAM_MANAGER),
        (lambda: factories.police_org(KENT_POLICE), Role.POLICE_MISSING_OFFICER),
        (lambda: factories.provider_org("Seaview Homes Ltd"), Role.HOME_MANAGER),
        (lambda: factories.council_org("352"), Role.ANALYST),
    ],
)
def test_uninvolved_user_gets_the_same_page_as_for_a_child_that_does_not_exist(
    world, make_org, role
):
    client = signed_in(world.user(make_org(), role))
    denied = client.get(url(world.ada.id))
    missing = client.get(url(uuid.uuid4()))
    assert denied.status_code == missing.status_code == 404
    assert without_csrf(denied.content.decode()) == without_csrf(missing.content.decode())
    assert "Page not found" in denied.content.decode()
    assert "Ada" not in denied.content.decode()
    assert not AccessRecord.objects.exists()


@pytest.mark.django_db
def test_signed_out_user_is_sent_to_sign_in(world: World):
    response = Client().get(url(world.ada.id))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not AccessRecord.objects.exists()


@pytest.mark.django_db
def test_timeline_is_newest_first(world: World):
    second = factories.setting(world.brightwater, "SK4 2AB", name="Birch House")
    factories.placement(world.ada, second, start=dt.date(2025, 3, 3))
    response = signed_in(world.user(factories.council_org("352"))).get(url(world.ada.id))
    # Placement events only: the notices these placements owe are on the timeline too.
    events = [
        (e.on, e.title)
        for e in response.context["timeline"].events
        if e.kind.startswith("placement")
    ]
    assert events == [
        (dt.date(2025, 3, 3), "Placement started"),
        (dt.date(2025, 3, 3), "Placement ended"),
        (dt.date(2025, 1, 6), "Placement started"),
    ]
    html = response.content.decode()
    assert html.index("Placed at Birch House") < html.index("Left Larch House")


@pytest.mark.django_db
def test_a_planned_placement_is_shown_as_planned_not_current(world: World):
    """A placement recorded before it starts (reg 13(4)) is the child's next home, not where
    the child lives now."""
    from sightline.core.timeutil import today

    factories.placement(
        world.ada,
        factories.setting(world.brightwater, "SK4 2AB", name="Rowan House"),
        home_postcode="M1 1AE",
        start=today() + dt.timedelta(days=14),
    )
    html = signed_in(world.user(factories.council_org("352"))).get(url(world.ada.id))
    text = html.content.decode()
    assert "Rowan House" in text
    assert "Planned: not started yet" in text
