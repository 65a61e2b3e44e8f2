"""Which notices placements produce, to whom, when due, and what they hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from sightline.core.calendar import end_of_day, start_of_day
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.notifications.access import access_notice
from sightline.notifications.content import notice_subject
from sightline.notifications.models import (
    Channel,
    ContactPoint,
    Delivery,
    DeliveryStatus,
    Notice,
    NoticeEvent,
)
from sightline.notifications.selectors import notice_events_for_child
from sightline.notifications.services import (
    contact_point_set,
    notice_acknowledge,
    notice_policy_set,
)
from sightline.organisations.models import Organisation, OrganisationKind, Role
from sightline.placements.notices import (
    PlacementNoticeKind,
    notices_for_admission,
    notices_for_placement_ended,
    notices_for_placement_recorded,
)
from sightline.placements.services import placement_end
from tests import factories
from tests.notifications.conftest import (
    DATE_OF_BIRTH,
    SURNAME,
    World,
    make_child,
    make_world,
    record_out_of_area,
)

pytestmark = pytest.mark.django_db


def test_an_out_of_area_placement_sends_notices_to_the_host_council_and_police(world: World):
    record_out_of_area(world, start=dt.date(2026, 1, 12))

    notices = Notice.objects.filter(subject_id=world.placement.id).order_by("recipient__kind")
    assert [(n.kind, n.recipient) for n in notices] == [
        (PlacementNoticeKind.PLACEMENT, world.host),
        (PlacementNoticeKind.PLACEMENT, world.police),
    ]
    for notice in notices:
        assert notice.sender == world.placing
        assert notice.child_name == "Robin Q."
        assert notice.setting_postcode == "SK4 2AB"
        assert notice.area_name == "Stockport"
        assert notice.effective_date == dt.date(2026, 1, 12)
        assert notice.placing_council_name == world.placing.name
        assert notice.sender_contact == "placements@southwark.example"
        # Due before the placement starts (reg 13(4)).
        assert notice.due_at == start_of_day(dt.date(2026, 1, 12))
        assert notice.reference.startswith("SL-")
    # Stored content never holds the surname or the date of birth.
    for values in Notice.objects.values():
        text = " ".join(str(v) for v in values.values())
        assert SURNAME not in text
        assert DATE_OF_BIRTH.isoformat() not in text


def test_every_notice_is_in_the_inbox_and_goes_to_the_team_inbox_by_email(world: World):
    record_out_of_area(world)
    host_notice = Notice.objects.get(recipient=world.host)
    police_notice = Notice.objects.get(recipient=world.police)

    host_deliveries = {(d.channel, d.address, d.status) for d in host_notice.deliveries.all()}
    assert host_deliveries == {
        (Channel.IN_APP, "", DeliveryStatus.DELIVERED),
        (Channel.EMAIL, "notices@stockport.example", DeliveryStatus.CREATED),
    }
    # The force has no team inbox: the Sightline inbox only.
    assert [(d.channel, d.status) for d in police_notice.deliveries.all()] == [
        (Channel.IN_APP, DeliveryStatus.DELIVERED)
    ]
    assert NoticeEvent.objects.filter(notice=host_notice, event="created").count() == 1


def test_an_emergency_placement_notice_is_due_within_5_working_days():
    world = make_world()
    # Friday 19 December 2025: 22, 23, 24 December, then Christmas Day and Boxing Day (bank
    # holidays) and a weekend, then 29 and 30 December.
    record_out_of_area(world, start=dt.date(2025, 12, 19), is_emergency=True)
    notice = Notice.objects.get(recipient=world.host)
    assert notice.due_at == end_of_day(dt.date(2025, 12, 30))


def test_a_placement_inside_the_placing_councils_area_sends_no_placement_notice():
    stockport_child = make_child(placing_code="356")
    provider = factories.provider_org()
    placement = factories.placement(stockport_child, factories.setting(provider, "SK4 2AB"))
    assert placement.out_of_area is False
    assert notices_for_placement_recorded(placement=placement, actor=None) == []


def test_a_police_force_can_switch_placement_notices_off():
    world = make_world()
    notice_policy_set(organisation=world.police, receives_placement_notices=False, actor=None)
    record_out_of_area(world)
    assert list(Notice.objects.values_list("recipient", flat=True)) == [world.host.id]


def test_a_council_cannot_switch_placement_notices_off():
    world = make_world()
    with pytest.raises(ValidationError):
        notice_policy_set(organisation=world.host, receives_placement_notices=False, actor=None)


def test_recipients_missing_from_sightline_are_created_from_the_reference_geography():
    child = make_child(placing_code="210")
    provider = factories.provider_org()
    assert not Organisation.objects.filter(kind=OrganisationKind.COUNCIL).exists()
    placement = factories.placement(child, factories.setting(provider, "SK4 2AB"))
    with transaction.atomic():
        notices = notices_for_placement_recorded(placement=placement, actor=None)
    assert sorted(n.recipient.name for n in notices) == [
        "Greater Manchester Police",
        "Stockport Council",
    ]
    assert notices[0].sender is not None and notices[0].sender.name == "Southwark Council"


def test_recording_the_notices_twice_does_not_duplicate_them(world: World):
    record_out_of_area(world)
    assert world.placement is not None
    again = notices_for_placement_recorded(placement=world.placement, actor=None)
    assert Notice.objects.count() == 2
    assert {n.id for n in again} == set(Notice.objects.values_list("id", flat=True))
    assert Delivery.objects.count() == 3


def test_the_home_sends_an_admission_notice_to_the_host_council(world: World):
    record_out_of_area(world, start=dt.date(2026, 4, 2))  # Thursday before Good Friday
    assert world.placement is not None
    with transaction.atomic():
        (notice,) = notices_for_admission(placement=world.placement, actor=None)
    assert notice.kind == PlacementNoticeKind.ADMISSION
    assert notice.recipient == world.host
    assert notice.sender == world.provider
    # "Without delay": by the end of the next working day (Good Friday and Easter Monday).
    assert notice.due_at == end_of_day(dt.date(2026, 4, 7))
    assert notice_subject(notice) == (
        "Admission notice: a child placed by Southwark Council admitted to a home in Stockport"
    )


def test_an_ending_placement_sends_discharge_notices_to_the_same_recipients(world: World):
    record_out_of_area(world, start=dt.date(2026, 1, 5))
    assert world.placement is not None
    notice_policy_set(organisation=world.police, receives_placement_notices=False, actor=None)
    placement = placement_end(actor=None, placement=world.placement, end_date=dt.date(2026, 3, 6))
    with transaction.atomic():
        notices = notices_for_placement_ended(placement=placement, actor=None)
    # The police had the placement notice, so they hear of the discharge too.
    assert sorted((n.kind, n.recipient.kind) for n in notices) == [
        (PlacementNoticeKind.DISCHARGE, OrganisationKind.COUNCIL),
        (PlacementNoticeKind.DISCHARGE, OrganisationKind.POLICE),
    ]
    assert all(n.effective_date == dt.date(2026, 3, 6) for n in notices)
    assert all(n.due_at == end_of_day(dt.date(2026, 3, 9)) for n in notices)


def test_the_recipient_acknowledges_once_and_others_cannot(world: World):
    record_out_of_area(world)
    notice = Notice.objects.get(recipient=world.host)
    coordinator = factories.user(world.host, Role.MISSING_COORDINATOR)
    colleague = factories.user(world.host, Role.TEAM_MANAGER)
    outsider = factories.user(world.placing, Role.SOCIAL_WORKER)
    analyst = factories.user(world.host, Role.ANALYST)

    for user in (outsider, analyst):
        with pytest.raises(NotFoundOrNotAllowed):
            notice_acknowledge(notice=notice, actor=user)
    notice_acknowledge(notice=notice, actor=coordinator)
    first_at = notice.acknowledged_at
    notice_acknowledge(notice=notice, actor=colleague)

    notice.refresh_from_db()
    assert notice.acknowledged_by == coordinator
    assert notice.acknowledged_at == first_at
    assert NoticeEvent.objects.filter(notice=notice, event="acknowledged").count() == 1
    events = [e.event for e in notice_events_for_child(child=world.child)]
    assert "acknowledged" in events and "created" in events


def test_a_notice_is_visible_to_its_sender_and_recipient_only(world: World):
    record_out_of_area(world)
    notice = Notice.objects.get(recipient=world.host)
    for org in (world.host, world.placing):
        reader = factories.user(org, Role.SOCIAL_WORKER)
        assert access_notice(reader, notice.id, purpose="Read the notice").notice == notice
    stranger = factories.user(world.police, Role.POLICE_MISSING_OFFICER)
    for notice_id in (notice.id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFoundOrNotAllowed):
            access_notice(stranger, notice_id, purpose="Read the notice")


def test_contact_points_choose_the_channels(settings, world: World):
    settings.NOTIFY_API_KEY = ""
    hook = contact_point_set(
        organisation=world.police,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.WEBHOOK,
        address="https://force.example/sightline",
        actor=None,
    )
    assert len(hook.secret) >= 32
    contact_point_set(
        organisation=world.police,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.NOTIFY,
        address="mispers@force.example",
        actor=None,
    )
    # A disabled contact point for the team inbox's address switches the inbox off.
    contact_point_set(
        organisation=world.host,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.EMAIL,
        address="notices@stockport.example",
        enabled=False,
        actor=None,
    )
    record_out_of_area(world)

    police = Notice.objects.get(recipient=world.police)
    # GOV.UK Notify is off (no key), so its contact point is skipped.
    assert sorted(police.deliveries.values_list("channel", flat=True)) == ["inapp", "webhook"]
    host = Notice.objects.get(recipient=world.host)
    assert list(host.deliveries.values_list("channel", flat=True)) == ["inapp"]
    assert ContactPoint.objects.count() == 3


def test_contact_point_addresses_are_checked(world: World):
    with pytest.raises(ValidationError):
        contact_point_set(
            organisation=world.host,
            kind=PlacementNoticeKind.PLACEMENT,
            channel=Channel.EMAIL,
            address="not an address",
            actor=None,
        )
    with pytest.raises(ValidationError):
        contact_point_set(
            organisation=world.host,
            kind=PlacementNoticeKind.PLACEMENT,
            channel=Channel.WEBHOOK,
            address="ftp://example.com/x",
            actor=None,
        )
