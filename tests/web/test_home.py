"""Each organisation's home page lists its own children, and only those."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sightline.organisations.models import Role
from tests import factories
from tests.web.conftest import GMP, KENT_POLICE, WEST_YORKSHIRE, World, signed_in


def lists(response) -> dict[str, set[str]]:
    return {t.caption: {row.name for row in t.rows} for t in response.context["tables"]}


def get_home(user, **query):
    response = signed_in(user).get(reverse("home"), query)
    assert response.status_code == 200
    return response


def all_lists(user) -> dict[str, set[str]]:
    """Every list the organisation has (a council has two, one a page, ``?list=``)."""
    response = get_home(user)
    found = lists(response)
    for tab in response.context.get("tabs") or []:
        if not tab.current:
            found |= lists(get_home(user, list=tab.worklist.key))
    return found


ALL = {"Ada Ashworth", "Ben Bramhall", "Cat Canterbury"}


def assert_only(response, names: set[str]) -> None:
    html = response.content.decode()
    for name in names:
        assert name in html
    for name in ALL - names:
        assert name not in html


@pytest.mark.django_db
def test_signed_out_user_is_sent_to_sign_in():
    response = Client().get(reverse("home"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


@pytest.mark.django_db
def test_placing_council_sees_the_children_it_placed(world: World):
    user = world.user(factories.council_org("352"))
    assert all_lists(user) == {
        "Children we placed": {"Ada Ashworth"},
        "Children placed in our area by other councils": set(),
    }
    response = get_home(user)
    assert_only(response, {"Ada Ashworth"})
    assert "Record a placement" in response.content.decode()
    html = get_home(user, list="area").content.decode()
    assert "No other council has a child placed in your area at the moment." in html


@pytest.mark.django_db
def test_host_council_sees_children_other_councils_placed_in_its_area(world: World):
    user = world.user(factories.council_org("356"), Role.MISSING_COORDINATOR)
    assert all_lists(user) == {
        "Children we placed": {"Ben Bramhall"},
        "Children placed in our area by other councils": {"Ada Ashworth"},
    }
    response = get_home(user)
    assert_only(response, {"Ben Bramhall"})
    assert_only(get_home(user, list="area"), {"Ada Ashworth"})
    # A missing coordinator does not record placements.
    assert "Record a placement" not in response.content.decode()


@pytest.mark.django_db
def test_row_shows_setting_host_distance_placing_council_and_start(world: World):
    response = get_home(world.user(factories.council_org("356")), list="area")
    ada = next(iter(response.context["tables"][0].rows))
    assert (ada.child_ref, ada.setting, ada.host_council, ada.placing_council) == (
        "MAN001",
        "Larch House",
        "Stockport",
        "Manchester",
    )
    assert ada.distance_miles is not None and ada.distance_miles > 0
    html = response.content.decode()
    for text in (
        "MAN001",
        "Larch House",
        "Manchester",
        "6 January 2025",
        f'href="/children/{world.ada.id}/"',
    ):
        assert text in html


@pytest.mark.django_db
def test_host_police_force_sees_children_placed_in_its_area(world: World):
    response = get_home(world.user(factories.police_org(GMP), Role.POLICE_MISSING_OFFICER))
    assert lists(response) == {
        "Children placed in our force area": {"Ada Ashworth", "Ben Bramhall"}
    }
    assert_only(response, {"Ada Ashworth", "Ben Bramhall"})


@pytest.mark.django_db
def test_other_police_force_sees_its_own_area_only(world: World):
    response = get_home(world.user(factories.police_org(KENT_POLICE), Role.POLICE_MISSING_OFFICER))
    assert lists(response) == {"Children placed in our force area": {"Cat Canterbury"}}


@pytest.mark.django_db
def test_provider_sees_children_living_in_its_settings(world: World):
    response = get_home(world.user(world.brightwater, Role.HOME_MANAGER))
    assert lists(response) == {"Children living here": {"Ada Ashworth"}}
    assert_only(response, {"Ada Ashworth"})
    response = get_home(world.user(world.seaview, Role.HOME_STAFF))
    assert lists(response) == {"Children living here": {"Cat Canterbury"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_org", "role", "caption"),
    [
        (lambda: factories.council_org("383"), Role.SOCIAL_WORKER, "Children we placed"),
        (
            lambda: factories.police_org(WEST_YORKSHIRE),
            Role.POLICE_MISSING_OFFICER,
            "Children placed in our force area",
        ),
        (
            lambda: factories.provider_org("Unrelated Care Ltd"),
            Role.HOME_MANAGER,
            "Children living here",
        ),
    ],
)
def test_unrelated_organisation_sees_nobody(world: World, make_org, role, caption):
    response = get_home(world.user(make_org(), role))
    assert all(not names for names in lists(response).values())
    assert caption in response.content.decode()
    assert_only(response, set())


@pytest.mark.django_db
def test_ended_placement_stops_host_seeing_the_child(world: World):
    from sightline.placements.services import placement_end

    placement = world.ada.placements.get()
    placement_end(actor=None, placement=placement, end_date=placement.start_date)
    response = get_home(world.user(factories.police_org(GMP), Role.POLICE_MISSING_OFFICER))
    assert lists(response) == {"Children placed in our force area": {"Ben Bramhall"}}
    # The placing council still sees its child, with no current placement.
    response = get_home(world.user(factories.council_org("352")))
    assert "No current placement" in response.content.decode()


@pytest.mark.django_db
def test_analyst_is_told_their_role_shows_no_children(world: World):
    response = get_home(world.user(factories.council_org("352"), Role.ANALYST))
    assert lists(response) == {}
    assert "Your role does not include seeing children's records" in response.content.decode()
    assert_only(response, set())
