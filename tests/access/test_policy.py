"""The one access policy: an organisation sees a child only while it is involved."""

import datetime as dt
import uuid

import pytest

from sightline.access.models import AccessRecord
from sightline.access.policy import (
    Action,
    Involvement,
    access_child,
    children_visible_to,
    involvements,
    require_write,
)
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.organisations.models import Role
from sightline.placements.services import placement_end
from tests import factories as f

pytestmark = pytest.mark.django_db

GMP = "E23000005"  # Greater Manchester Police
MET = "E23000001"  # Metropolitan Police


@pytest.fixture
def world():
    """Southwark (210) places a child in a Stockport (356) home run by a private provider."""
    provider = f.provider_org()
    home = f.setting(provider, postcode="SK4 2AB")
    child = f.child(placing_code="210")
    f.placement(child, home, start=dt.date(2025, 3, 3), home_postcode="SE1 2QH")
    return {
        "child": child,
        "placing": f.user(f.council_org("210"), Role.SOCIAL_WORKER),
        "host": f.user(f.council_org("356"), Role.MISSING_COORDINATOR),
        "police": f.user(f.police_org(GMP), Role.POLICE_MISSING_OFFICER),
        "home": f.user(provider, Role.HOME_MANAGER),
        "other_council": f.user(f.council_org("352"), Role.SOCIAL_WORKER),
        "other_police": f.user(f.police_org(MET), Role.POLICE_MISSING_OFFICER),
        "other_home": f.user(f.provider_org("Elsewhere Homes Ltd"), Role.HOME_MANAGER),
    }


def test_involved_organisations_see_the_child(world):
    child = world["child"]
    assert involvements(world["placing"], child) == {Involvement.PLACING_COUNCIL}
    assert involvements(world["host"], child) == {Involvement.HOST_COUNCIL}
    assert involvements(world["police"], child) == {Involvement.HOST_POLICE}
    assert involvements(world["home"], child) == {Involvement.PROVIDER}
    for who in ("placing", "host", "police", "home"):
        assert list(children_visible_to(world[who])) == [child], who
        access_child(world[who], child.id, action=Action.VIEW, purpose="test")


def test_uninvolved_organisations_see_nothing_and_cannot_tell_it_exists(world):
    child = world["child"]
    for who in ("other_council", "other_police", "other_home"):
        user = world[who]
        assert list(children_visible_to(user)) == []
        with pytest.raises(NotFoundOrNotAllowed) as not_allowed:
            access_child(user, child.id, action=Action.VIEW, purpose="test")
        with pytest.raises(NotFoundOrNotAllowed) as not_found:
            access_child(user, uuid.uuid4(), action=Action.VIEW, purpose="test")
        assert str(not_allowed.value) == str(not_found.value)
    assert AccessRecord.objects.count() == 0


def test_each_look_is_recorded(world):
    child = world["child"]
    access_child(world["police"], child.id, action=Action.VIEW, purpose="child page")
    record = AccessRecord.objects.get()
    assert record.user == world["police"]
    assert record.organisation == world["police"].organisation
    assert record.child == child
    assert record.purpose == "child page"
    assert "police force" in record.involvement


def test_ending_the_placement_ends_host_access_at_once(world):
    child = world["child"]
    placement = child.placements.get()
    placement_end(actor=world["placing"], placement=placement, end_date=dt.date(2025, 6, 1))
    for who in ("host", "police", "home"):
        assert list(children_visible_to(world[who])) == [], who
        with pytest.raises(NotFoundOrNotAllowed):
            access_child(world[who], child.id, action=Action.VIEW, purpose="test")
    # The placing council keeps its access.
    assert list(children_visible_to(world["placing"])) == [child]


def test_a_disabled_user_sees_nothing(world):
    user = world["placing"]
    user.is_active = False
    user.save()
    assert list(children_visible_to(user)) == []
    with pytest.raises(NotFoundOrNotAllowed):
        access_child(user, world["child"].id, action=Action.VIEW, purpose="test")


def test_only_the_placing_council_may_record_a_placement(world):
    child = world["child"]
    access_child(world["placing"], child.id, action=Action.RECORD_PLACEMENT, purpose="test")
    for who in ("host", "police", "home"):
        with pytest.raises(NotFoundOrNotAllowed):
            access_child(world[who], child.id, action=Action.RECORD_PLACEMENT, purpose="test")


def test_a_malformed_id_looks_like_any_other_missing_child(world):
    with pytest.raises(NotFoundOrNotAllowed):
        access_child(world["placing"], "not-a-uuid", action=Action.VIEW, purpose="test")


def test_a_write_takes_its_requests_check_only_for_the_same_user_child_and_action(world):
    """``require_write(checked=...)`` (issue 13) saves the second check of a report; any
    other access is checked afresh, so it can never widen what a user may do."""
    child = world["child"]
    checked = access_child(
        world["home"], child.id, action=Action.RECORD_EPISODE, purpose="test", record=False
    )
    assert (
        require_write(world["home"], checked.child, action=Action.RECORD_EPISODE, checked=checked)
        is checked
    )
    # Another user, another action, or another instance of the child: a fresh check.
    with pytest.raises(NotFoundOrNotAllowed):
        require_write(
            world["other_home"], checked.child, action=Action.RECORD_EPISODE, checked=checked
        )
    fresh = require_write(world["home"], checked.child, action=Action.VIEW, checked=checked)
    assert fresh is not checked and fresh.action == Action.VIEW
    assert (
        require_write(world["home"], child, action=Action.RECORD_EPISODE, checked=checked)
        is not checked
    )
    # The placement ended: a check made before it is not reused for a new instance.
    placement_end(
        actor=world["placing"], placement=child.placements.get(), end_date=dt.date(2025, 6, 1)
    )
    with pytest.raises(NotFoundOrNotAllowed):
        require_write(world["home"], child, action=Action.RECORD_EPISODE, checked=checked)
