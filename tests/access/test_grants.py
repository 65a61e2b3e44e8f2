"""Time-boxed grants: an organisation is involved with a child only while its grant runs."""

import datetime as dt
import uuid

import pytest
import time_machine

from sightline.access.models import AccessGrant, AccessRecord, GrantReason
from sightline.access.policy import (
    POLICY,
    Action,
    Involvement,
    access_child,
    children_visible_to,
    grant_create,
    grant_end,
    involvements,
    require,
)
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.organisations.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)
MET = "E23000001"


@pytest.fixture
def world():
    """Southwark places a child in Stockport; the Metropolitan Police are not involved."""
    with time_machine.travel(START - dt.timedelta(days=30), tick=False):
        provider = f.provider_org()
        home = f.setting(provider, postcode="SK4 2AB")
        child = f.child(placing_code="210")
        f.placement(child, home, start=dt.date(2026, 1, 5), home_postcode="SE1 2QH")
    met = f.police_org(MET)
    return {
        "child": child,
        "met": met,
        "met_officer": f.user(met, Role.POLICE_MISSING_OFFICER),
        "home": f.user(provider, Role.HOME_MANAGER),
    }


def test_a_grant_involves_the_organisation_only_between_its_times(world):
    child, officer = world["child"], world["met_officer"]
    ends = START + dt.timedelta(hours=10)
    with time_machine.travel(START, tick=False):
        grant = grant_create(
            actor=world["home"],
            organisation=world["met"],
            child=child,
            reason=GrantReason.MISSING_EPISODE,
            starts_at=START,
            ends_at=ends,
            about_id=uuid.uuid4(),
            purpose="test",
        )
    cases = [
        (START - dt.timedelta(seconds=1), False),
        (START, True),
        (ends - dt.timedelta(seconds=1), True),
        (ends, False),
    ]
    for at, inside in cases:
        with time_machine.travel(at, tick=False):
            assert (Involvement.MISSING_GRANT in involvements(officer, child)) is inside, at
            assert (list(children_visible_to(officer)) == [child]) is inside, at
            if inside:
                access = access_child(
                    officer, child.id, action=Action.VIEW_SAFETY_PROFILE, purpose="search"
                )
                assert access.grant == grant
                require(officer, child, action=Action.RECORD_EPISODE)
            else:
                with pytest.raises(NotFoundOrNotAllowed):
                    access_child(officer, child.id, action=Action.VIEW_SAFETY_PROFILE, purpose="x")
    reads = AccessRecord.objects.filter(action="view safety profile")
    assert reads.count() == 2
    assert {r.grant for r in reads} == {grant}
    created = AccessRecord.objects.get(action="grant")
    assert created.grant == grant and created.user == world["home"]


def test_an_open_grant_runs_until_it_is_ended_and_only_gets_shorter(world):
    with time_machine.travel(START, tick=False):
        grant = grant_create(
            actor=None,
            organisation=world["met"],
            child=world["child"],
            reason=GrantReason.MISSING_EPISODE,
            starts_at=START,
            ends_at=None,
            about_id=None,
            purpose="test",
        )
    assert not AccessRecord.objects.exists()  # no user made it: nothing to attribute
    with time_machine.travel(START + dt.timedelta(days=365), tick=False):
        assert Involvement.MISSING_GRANT in involvements(world["met_officer"], world["child"])
    grant_end(actor=None, grant=grant, ends_at=START + dt.timedelta(hours=5))
    grant_end(actor=None, grant=grant, ends_at=START + dt.timedelta(hours=50))
    assert grant.ends_at == START + dt.timedelta(hours=5)


def test_a_grants_times_and_each_shortening_are_on_the_audit_chain(world):
    """An expiry moved in the grants table without an event is found by comparing the table
    with the chain: the creating event holds the scheduled end, each shortening its own."""
    ends = START + dt.timedelta(hours=10)
    with time_machine.travel(START, tick=False):
        grant = grant_create(
            actor=world["home"],
            organisation=world["met"],
            child=world["child"],
            reason=GrantReason.RETURN_INTERVIEW,
            starts_at=START,
            ends_at=ends,
            about_id=uuid.uuid4(),
            purpose="test",
        )
        grant_end(actor=None, grant=grant, ends_at=START + dt.timedelta(hours=3))
        grant_end(actor=None, grant=grant, ends_at=START + dt.timedelta(hours=8))  # not longer
    events = AuditEvent.objects.filter(object_id=str(grant.id)).order_by("seq")
    assert [(e.verb, e.payload) for e in events] == [
        (
            AuditVerb.ACCESS_GRANTED,
            {
                "reason": "return interview",
                "organisation_id": str(world["met"].id),
                "starts_at": "2026-02-02T10:00:00.000000Z",
                "ends_at": "2026-02-02T20:00:00.000000Z",
            },
        ),
        (
            AuditVerb.ACCESS_GRANT_ENDED,
            {
                "reason": "return interview",
                "ends_at": "2026-02-02T13:00:00.000000Z",
                "previous_ends_at": "2026-02-02T20:00:00.000000Z",
            },
        ),
    ]
    assert all(e.grant_id == grant.id for e in events)


def test_a_grant_is_created_once_per_record(world):
    about = uuid.uuid4()
    kwargs = {
        "actor": world["home"],
        "organisation": world["met"],
        "child": world["child"],
        "reason": GrantReason.MISSING_EPISODE,
        "starts_at": START,
        "ends_at": None,
        "about_id": about,
        "purpose": "test",
    }
    assert grant_create(**kwargs) == grant_create(**kwargs)
    assert AccessGrant.objects.count() == 1
    with pytest.raises(ValidationError):
        grant_create(**{**kwargs, "about_id": None, "ends_at": START - dt.timedelta(hours=1)})


def test_grants_open_only_what_the_policy_table_says():
    # Police: the profile only through a missing-episode grant, never by placement alone.
    assert POLICY[Action.VIEW_SAFETY_PROFILE][Role.POLICE_MISSING_OFFICER] == {
        Involvement.MISSING_GRANT
    }
    # No role sees the profile through an interview grant.
    for role, allowed in POLICY[Action.VIEW_SAFETY_PROFILE].items():
        assert Involvement.INTERVIEW_GRANT not in allowed, role
    # Only the home keeps the profile.
    assert set(POLICY[Action.EDIT_SAFETY_PROFILE]) == {Role.HOME_MANAGER, Role.HOME_STAFF}


def test_a_grant_to_one_user_does_not_involve_colleagues(world):
    colleague = f.user(world["met"], Role.POLICE_MISSING_OFFICER)
    with time_machine.travel(START, tick=False):
        grant_create(
            actor=world["home"],
            organisation=world["met"],
            user=world["met_officer"],
            child=world["child"],
            reason=GrantReason.MISSING_EPISODE,
            starts_at=START,
            ends_at=None,
            about_id=uuid.uuid4(),
            purpose="test",
        )
        assert Involvement.MISSING_GRANT in involvements(world["met_officer"], world["child"])
        assert involvements(colleague, world["child"]) == set()
        assert list(children_visible_to(colleague)) == []
