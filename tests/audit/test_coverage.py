"""Every read of a child's record and every write to it leaves an audit row: who, which
organisation, when, which child, what, and why (or through which grant)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from sightline.api.services import api_key_create
from sightline.audit.models import AuditEvent, AuditKind
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import AuditVerb
from sightline.missing.services import episode_report, safety_profile_update
from sightline.placements.services import placement_end
from tests.factories import signed_in

pytestmark = pytest.mark.django_db


def _rows(child, **filters):
    return list(AuditEvent.objects.filter(child_id=child.id, **filters).order_by("seq"))


def test_recording_the_placement_is_a_write_naming_the_placement(world):
    [row] = _rows(world.child, verb=AuditVerb.PLACEMENT_RECORDED)
    assert row.kind == AuditKind.WRITE
    assert (row.user_id, row.organisation_id) == (
        world["placing"].id,
        world["placing"].organisation_id,
    )
    assert (row.object_type, row.object_id) == ("placement", str(world.placement.id))


def test_opening_the_child_page_is_a_read_with_its_purpose(world):
    assert (
        signed_in(world["host"]).get(reverse("child_detail", args=[world.child.id])).status_code
        == 200
    )
    [row] = _rows(world.child, kind=AuditKind.READ)
    assert (row.verb, row.payload, row.purpose) == (
        AuditVerb.CHILD_VIEWED,
        {"action": "view"},
        "Open the child's record",
    )
    assert row.user_id == world["host"].id and row.username == world["host"].username
    assert "host council" in row.involvement


def test_the_profile_edit_and_the_missing_report_are_writes(world):
    home = world["home"]
    safety_profile_update(actor=home, child=world.child, description="Tall, short dark hair")
    episode_report(
        actor=home,
        child=world.child,
        kind="missing",
        last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        last_seen_place="Near the home",
        reported_to_police=True,
    )
    writes = [(r.verb, r.user_id) for r in _rows(world.child, kind=AuditKind.WRITE)]
    assert (AuditVerb.SAFETY_PROFILE_CHANGED, home.id) in writes
    assert (AuditVerb.MISSING_REPORTED, home.id) in writes
    # The police grant the report made is named on the report's own event: one event.
    [grant] = _rows(world.child, verb=AuditVerb.MISSING_REPORTED)
    assert grant.user_id == home.id and grant.grant_id is not None
    assert not _rows(world.child, kind=AuditKind.GRANT)
    # The police read the profile through it, and the row names the grant.
    police = signed_in(world["police"])
    assert police.get(reverse("safety_profile", args=[world.child.id])).status_code == 200
    [read] = _rows(world.child, kind=AuditKind.READ, payload__action="view safety profile")
    assert read.grant_id == grant.grant_id
    assert audit_verify().intact


def test_ending_the_placement_is_a_write(world):
    placement_end(actor=world["placing"], placement=world.placement, end_date=dt.date(2025, 9, 1))
    [row] = _rows(world.child, verb=AuditVerb.PLACEMENT_ENDED)
    assert row.kind == AuditKind.WRITE and row.user_id == world["placing"].id


def test_a_csv_listing_children_records_one_read_naming_each(world):
    episode_report(
        actor=world["home"],
        child=world.child,
        kind="missing",
        last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
        last_seen_place="Near the home",
        reported_to_police=True,
    )
    response = signed_in(world["host"]).get(reverse("missing_now"), {"format": "csv"})
    assert response.status_code == 200 and world.child.child_ref in response.content.decode()
    # One event for the download, naming each child in it (audit.lists).
    [row] = AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_EXPORTED)
    assert row.user_id == world["host"].id and "CSV" in row.purpose
    assert list(row.listed_children.values_list("child_id", flat=True)) == [world.child.id]
    # The page itself is one list read, not a look at each child nor another export.
    signed_in(world["host"]).get(reverse("missing_now"))
    assert AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_EXPORTED).count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_LISTED).count() == 1
    assert not _rows(world.child, kind=AuditKind.READ)


def test_an_api_read_is_a_read_by_the_keys_service_user(world):
    _, key = api_key_create(
        organisation=world["police"].organisation, role=None, name="Niche", actor=None
    )
    response = Client().get(
        f"/api/v1/children/{world.child.id}",
        {"purpose": "Welfare check"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    [row] = _rows(world.child, kind=AuditKind.READ)
    assert row.username.startswith("api:") and row.purpose == "Welfare check"
    assert row.organisation_id == world["police"].organisation_id
