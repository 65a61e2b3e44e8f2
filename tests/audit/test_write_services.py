"""Every writing service puts its change on the chain, in its own transaction: the verb, the
record it wrote (type and id), the child where there is one, and who did it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from sightline.accounts.services import second_factor_reset
from sightline.api.services import api_key_create, api_key_revoke
from sightline.audit.models import AuditEvent
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import VERBS, AuditVerb
from sightline.children.services import child_create
from sightline.missing.models import FoundBy, ReturnInterview
from sightline.missing.services import (
    alert_policy_set,
    episode_close,
    episode_report,
    episode_update,
    interview_add_information,
    interview_offer,
    interview_service_set,
    safety_profile_update,
    trigger_config_set,
)
from sightline.notifications.models import Notice
from sightline.notifications.services import (
    contact_point_set,
    notice_acknowledge,
    notice_policy_set,
)
from sightline.organisations.models import Role
from sightline.placements.admissions import admission_record
from sightline.placements.contacts import organisation_contact_set
from sightline.placements.services import placement_end, setting_create
from tests import factories as f

pytestmark = pytest.mark.django_db

LAST_SEEN = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)


def _report(world: Any) -> Any:
    return episode_report(
        actor=world["home"],
        child=world.child,
        kind="missing",
        last_seen_at=LAST_SEEN,
        last_seen_place="Near the home",
        reported_to_police=True,
    )


def _close(world: Any) -> Any:
    return episode_close(
        actor=world["home"],
        episode=_report(world),
        returned_at=LAST_SEEN + dt.timedelta(hours=2),
        where_postcode="SK4 2AB",
        found_by=FoundBy.SELF,
    )


def _interview(world: Any) -> ReturnInterview:
    _close(world)
    return ReturnInterview.objects.get(child=world.child)


# Each case: (verb, who acts, the write) -> the record the event must name.
Write = Callable[[Any, Any], Any]
CASES: dict[str, tuple[AuditVerb, str, Write]] = {
    "child created": (
        AuditVerb.CHILD_CREATED,
        "placing",
        lambda w, u: child_create(
            placing_council=w.child.placing_council,
            child_ref="AUD1",
            first_name="Sam",
            last_name="Test",
            date_of_birth=dt.date(2012, 5, 1),
            sex="U",
            actor=u,
        ),
    ),
    "setting created": (
        AuditVerb.SETTING_CREATED,
        "placing",
        lambda w, u: setting_create(
            name="Birch House", postcode="SK4 2AB", sector="private", place_type="K2", actor=u
        ),
    ),
    "placement ended": (
        AuditVerb.PLACEMENT_ENDED,
        "placing",
        lambda w, u: placement_end(actor=u, placement=w.placement, end_date=dt.date(2025, 9, 1)),
    ),
    "admission recorded": (
        AuditVerb.ADMISSION_RECORDED,
        "home",
        lambda w, u: (admission_record(actor=u, placement=w.placement), w.placement)[1],
    ),
    "notice acknowledged": (
        AuditVerb.NOTICE_ACKNOWLEDGED,
        "host_manager",
        lambda w, u: notice_acknowledge(
            notice=Notice.objects.get(child=w.child, recipient=u.organisation), actor=u
        ),
    ),
    "safety profile changed": (
        AuditVerb.SAFETY_PROFILE_CHANGED,
        "home",
        lambda w, u: safety_profile_update(actor=u, child=w.child, description="Tall"),
    ),
    "missing reported": (AuditVerb.MISSING_REPORTED, "home", lambda w, u: _report(w)),
    "missing update": (
        AuditVerb.MISSING_UPDATE,
        "home",
        lambda w, u: episode_update(
            actor=u, episode=_report(w), kind="sighting", text="Seen", supplied_by="Staff"
        ),
    ),
    "missing closed": (AuditVerb.MISSING_CLOSED, "home", lambda w, u: _close(w)),
    "interview recorded": (
        AuditVerb.INTERVIEW_RECORDED,
        "placing",
        lambda w, u: interview_offer(actor=u, interview=_interview(w)),
    ),
    "interview information added": (
        AuditVerb.INTERVIEW_INFORMATION_ADDED,
        "placing",
        lambda w, u: interview_add_information(
            actor=u, interview=_interview(w), text="Known", supplied_by="Carer"
        ),
    ),
    "contact point changed": (
        AuditVerb.CONTACT_POINT_CHANGED,
        "host_manager",
        lambda w, u: contact_point_set(
            organisation=u.organisation,
            kind="placement",
            channel="email",
            address="team@example.gov.uk",
            actor=u,
        ),
    ),
    "contact changed": (
        AuditVerb.CONTACT_CHANGED,
        "police_admin",
        lambda w, u: organisation_contact_set(
            actor=u,
            organisation=u.organisation,
            role="police_spoc",
            name="Missing persons unit",
            phone="01632 960 001",
        ),
    ),
    "notice settings changed": (
        AuditVerb.NOTICE_SETTINGS_CHANGED,
        "police",
        lambda w, u: notice_policy_set(
            organisation=u.organisation, receives_placement_notices=False, actor=u
        ),
    ),
    "alert settings changed": (
        AuditVerb.ALERT_SETTINGS_CHANGED,
        "police_admin",
        lambda w, u: alert_policy_set(
            actor=u, organisation=u.organisation, receives_away_alerts=False
        ),
    ),
    "interview settings changed": (
        AuditVerb.INTERVIEW_SETTINGS_CHANGED,
        "placing_manager",
        lambda w, u: interview_service_set(actor=u, council=w.child.placing_council, service=None),
    ),
    "trigger settings changed": (
        AuditVerb.TRIGGER_SETTINGS_CHANGED,
        "placing_manager",
        lambda w, u: trigger_config_set(
            actor=u, council=w.child.placing_council, episodes=3, days=30
        ),
    ),
    "API key created": (
        AuditVerb.API_KEY_CREATED,
        "police_admin",
        lambda w, u: api_key_create(organisation=u.organisation, name="Niche", actor=u)[0],
    ),
    "API key revoked": (
        AuditVerb.API_KEY_REVOKED,
        "police_admin",
        lambda w, u: api_key_revoke(
            prefix=api_key_create(organisation=u.organisation, actor=u)[0].prefix, actor=u
        ),
    ),
    "second factor reset": (
        AuditVerb.SECOND_FACTOR_RESET,
        "police_admin",
        lambda w, u: (second_factor_reset(actor=u, user=w["police"]), w["police"])[1],
    ),
}


@pytest.fixture
def people(world: Any) -> Any:
    world.people["police_admin"] = f.user(world["police"].organisation, Role.ADMINISTRATOR)
    return world


@pytest.mark.parametrize("case", CASES)
def test_each_write_is_on_the_chain_with_verb_record_and_actor(people: Any, case: str) -> None:
    verb, who, write = CASES[case]
    actor = people[who]
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    record = write(people, actor)
    [event] = AuditEvent.objects.filter(seq__gt=before, verb=verb)
    assert (event.object_type, event.object_id) == (VERBS[verb].object_type, str(record.pk))
    assert (event.user_id, event.username) == (actor.id, actor.username)
    assert event.organisation_id == actor.organisation_id
    assert event.kind == VERBS[verb].kind and event.version == 3
    if hasattr(record, "child_id") or verb == AuditVerb.CHILD_CREATED:
        expected_child = record.pk if verb == AuditVerb.CHILD_CREATED else record.child_id
        assert event.child_id == expected_child
    # Every event written, by whichever service, names its verb and its record.
    assert not AuditEvent.objects.filter(seq__gt=before, verb="").exists()
    assert not AuditEvent.objects.filter(seq__gt=before, object_id="").exists()
    assert audit_verify().intact


def test_a_missing_report_appends_exactly_one_event(world: Any) -> None:
    """One lock of the chain head per report: the event names the police grant it made."""
    before = AuditEvent.objects.count()
    episode = _report(world)
    [event] = AuditEvent.objects.order_by("seq")[before:]
    assert (event.verb, event.object_id) == (AuditVerb.MISSING_REPORTED, str(episode.id))
    assert event.payload == {
        "kind": "missing",
        "police_alerted": True,
        "reported_to_police": True,
    }
    assert event.grant_id is not None and event.child_id == world.child.id


def test_a_write_the_policy_refuses_leaves_no_event(world: Any) -> None:
    from sightline.core.errors import NotFoundOrNotAllowed

    before = AuditEvent.objects.count()
    with pytest.raises(NotFoundOrNotAllowed):
        safety_profile_update(actor=world["kent_manager"], child=world.child, description="x")
    assert AuditEvent.objects.count() == before


def test_the_audit_command_lists_writes_by_verb(world: Any, capsys: Any) -> None:
    placement_end(actor=world["placing"], placement=world.placement, end_date=dt.date(2025, 9, 1))
    call_command("audit", "child", str(world.child.id))
    out = capsys.readouterr().out
    assert "placement recorded" in out and "placement ended" in out


def test_a_missing_report_through_the_api_is_one_event(world: Any) -> None:
    """The API's access check records no look of its own for a write: the report's event
    says who, what and why."""
    import json

    from django.test import Client

    _, key = api_key_create(organisation=world["home"].organisation, name="Home", actor=None)
    before = AuditEvent.objects.count()
    response = Client().post(
        "/api/v1/missing-episodes",
        json.dumps(
            {
                "child_id": str(world.child.id),
                "kind": "missing",
                "last_seen_at": LAST_SEEN.isoformat(),
                "last_seen_place": "Near the home",
                "reported_to_police": True,
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.content
    [event] = AuditEvent.objects.order_by("seq")[before:]
    assert (event.verb, event.object_id) == (AuditVerb.MISSING_REPORTED, response.json()["id"])
    assert event.username.startswith("api:")
