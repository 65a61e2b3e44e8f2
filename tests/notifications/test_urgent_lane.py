"""The urgent lane (issue 14, part 2): missing, away and child safe alerts wait in a lane of
their own, shown by a banner on every page of the organisation they are addressed to,
acknowledged in bulk, and escalated to a named duty contact when not acknowledged within the
organisation's target. Time is controlled (time_machine); GOV.UK Notify is the local stub.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.missing.models import RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.notifications.escalation import escalations_run
from sightline.notifications.models import (
    Channel,
    EscalationReason,
    Notice,
    NoticeEventKind,
    NoticeKind,
    NoticePolicy,
)
from sightline.notifications.services import notices_acknowledge, urgent_settings_set
from sightline.organisations.models import Role
from tests import factories
from tests.missing.conftest import World, make_child, make_world, report
from tests.notifications.conftest import NotifyStub, run_worker

pytestmark = pytest.mark.django_db

# Monday 2 February 2026, 10:00 in London (GMT).
START = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db: None) -> Iterator[World]:
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield make_world()


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def alert_to(world: World, org) -> Notice:  # type: ignore[no-untyped-def]
    return Notice.objects.get(kind="missing", recipient=org)


def second_child_missing(world: World) -> None:
    """Another child of the same home goes missing: a second alert to the same agencies."""
    child = make_child(ref="Q2")
    factories.placement(child, world.setting, start=dt.date(2026, 1, 5), home_postcode="SE1 0AA")
    report(world, child=child)


# --- The deadline -----------------------------------------------------------------------


def test_urgent_alerts_carry_the_recipients_target_others_do_not(world: World, clock):
    urgent_settings_set(
        organisation=world.host, ack_minutes=10, duty_contact=None, duty_phone="", actor=None
    )
    report(world)
    assert alert_to(world, world.host).urgent_ack_due_at == START + dt.timedelta(minutes=10)
    # The default target is 30 minutes.
    assert alert_to(world, world.police).urgent_ack_due_at == START + dt.timedelta(minutes=30)
    from sightline.placements.notices import notices_for_placement_recorded

    notices_for_placement_recorded(placement=world.placement, actor=None)
    assert Notice.objects.filter(kind="placement").exists()
    assert not Notice.objects.filter(kind="placement", urgent_ack_due_at__isnull=False).exists()


# --- The banner -------------------------------------------------------------------------


def _queries(client, path: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        html = client.get(path).content.decode()
    return html, len(queries.captured_queries)


def test_the_banner_counts_the_organisations_unacknowledged_urgent_alerts(world: World, clock):
    client = factories.signed_in(world.coordinator)
    # The banner's count comes with the inbox's: a page costs one query more (the oldest
    # alert, on a partial index) while alerts wait, and nothing more when none do.
    client.get(reverse("your_alerts"))
    html, without = _queries(client, reverse("your_alerts"))
    assert "urgent alert" not in html
    report(world)
    html, with_one = _queries(client, reverse("your_alerts"))
    assert "1 urgent alert not acknowledged" in html
    assert alert_to(world, world.host).reference in html
    assert with_one == without + 1

    second_child_missing(world)
    html, with_two = _queries(client, reverse("your_alerts"))
    assert "2 urgent alerts not acknowledged" in html
    assert with_two == with_one
    assert "urgent alerts not acknowledged" in client.get(reverse("missing_now")).content.decode()
    # The banner never names the child.
    banner = html.split('id="app-urgent-banner-title"')[1].split("</form>")[0]
    assert world.child.last_name not in banner and "Robin" not in banner

    # Not shown to an organisation the alerts are not addressed to.
    other = factories.signed_in(world.other_council_worker)
    assert "urgent alert" not in other.get(reverse("home")).content.decode()

    # Gone when acknowledged.
    notices_acknowledge(
        notice_ids=Notice.objects.filter(recipient=world.host, kind="missing").values_list(
            "id", flat=True
        ),
        actor=world.coordinator,
    )
    assert "urgent alert" not in client.get(reverse("home")).content.decode()


def test_acknowledging_from_the_banner_returns_to_the_page_it_arrived_on(world: World, clock):
    report(world)
    alert = alert_to(world, world.host)
    client = factories.signed_in(world.coordinator)
    response = client.post(
        reverse("urgent_acknowledge"), {"notice": str(alert.id), "next": "/missing/?page=1"}
    )
    assert response.status_code == 302
    assert response.url == "/missing/?page=1"
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.coordinator
    assert alert.acknowledged_at == START
    assert (
        AuditEvent.objects.filter(
            verb=AuditVerb.NOTICE_ACKNOWLEDGED, object_id=str(alert.id)
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_the_banner_only_returns_to_a_page_of_this_site(world: World, clock, target: str):
    report(world)
    client = factories.signed_in(world.coordinator)
    response = client.post(
        reverse("urgent_acknowledge"),
        {"notice": str(alert_to(world, world.host).id), "next": target},
    )
    assert response.status_code == 302
    assert response.url == reverse("urgent_lane")


# --- The lane and bulk acknowledgement ---------------------------------------------------


def test_the_lane_lists_alerts_oldest_first_naming_the_child_only_when_allowed(world: World, clock):
    report(world)
    clock.shift(dt.timedelta(minutes=5))
    second_child_missing(world)
    alerts = list(
        Notice.objects.filter(recipient=world.host, kind="missing").order_by("created_at")
    )
    client = factories.signed_in(world.coordinator)
    html = client.get(reverse("urgent_lane")).content.decode()
    assert html.index(alerts[0].reference) < html.index(alerts[1].reference)
    assert "Robin Q." in html
    listed = AuditEvent.objects.filter(verb=AuditVerb.CHILDREN_LISTED, user_id=world.coordinator.pk)
    assert listed.count() == 1

    # An analyst of the same council reads that alerts wait, not who they are about.
    analyst = factories.user(world.host, Role.ANALYST)
    html = factories.signed_in(analyst).get(reverse("urgent_lane")).content.decode()
    assert "Robin Q." not in html
    assert alerts[0].subject_line in html
    assert "Only social workers" in html


def test_bulk_acknowledgement_through_the_page_one_audit_event_each(world: World, clock):
    report(world)
    second_child_missing(world)
    alerts = list(Notice.objects.filter(recipient=world.host, kind="missing"))
    assert len(alerts) == 2
    client = factories.signed_in(world.coordinator)
    response = client.post(
        reverse("urgent_acknowledge"),
        {"notice": [str(a.id) for a in alerts], "next": reverse("urgent_lane")},
    )
    assert response.status_code == 302
    assert response.url == reverse("urgent_lane")
    for alert in alerts:
        alert.refresh_from_db()
        assert alert.acknowledged_by == world.coordinator
        assert alert.events.filter(event=NoticeEventKind.ACKNOWLEDGED).count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.NOTICE_ACKNOWLEDGED).count() == 2
    page = client.get(reverse("urgent_lane")).content.decode()
    assert "2 urgent alerts acknowledged" in page
    assert "There are no urgent alerts to acknowledge" in page


def test_bulk_acknowledgement_refuses_what_the_user_cannot_acknowledge_naming_it(
    world: World, clock
):
    report(world)
    mine = alert_to(world, world.host)
    theirs = alert_to(world, world.police)
    client = factories.signed_in(world.coordinator)
    response = client.post(
        reverse("urgent_acknowledge"), {"notice": [str(mine.id), str(theirs.id)]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert f"{theirs.id} (not found)" in html
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.acknowledged_at is None and theirs.acknowledged_at is None  # all or nothing
    assert not AuditEvent.objects.filter(verb=AuditVerb.NOTICE_ACKNOWLEDGED).exists()

    # A role that may not acknowledge is told which alert, by its reference.
    analyst = factories.user(world.host, Role.ANALYST)
    with pytest.raises(ValidationError) as refused:
        notices_acknowledge(notice_ids=[mine.id], actor=analyst)
    assert mine.reference in refused.value.message
    with pytest.raises(ValidationError) as nothing:
        notices_acknowledge(notice_ids=[], actor=world.coordinator)
    assert nothing.value.field == "notices"
    with pytest.raises(ValidationError) as unreadable:
        notices_acknowledge(notice_ids=["not-an-id"], actor=world.coordinator)
    assert "not-an-id (not found)" in unreadable.value.message


def test_bulk_acknowledgement_service_leaves_acknowledged_alerts_as_they_were(world: World, clock):
    report(world)
    second_child_missing(world)
    first, second = Notice.objects.filter(recipient=world.host, kind="missing").order_by(
        "created_at"
    )
    notices_acknowledge(notice_ids=[first.id], actor=world.coordinator)
    clock.shift(dt.timedelta(minutes=3))
    manager = factories.user(world.host, Role.TEAM_MANAGER)
    done = notices_acknowledge(notice_ids=[first.id, second.id], actor=manager)
    assert [n.acknowledged_by for n in done] == [world.coordinator, manager]
    assert AuditEvent.objects.filter(verb=AuditVerb.NOTICE_ACKNOWLEDGED).count() == 2


# --- The target, the duty contact and escalation ------------------------------------------


@pytest.fixture
def duty(world: World):  # type: ignore[no-untyped-def]
    manager = factories.user(world.host, Role.TEAM_MANAGER)
    urgent_settings_set(
        organisation=world.host,
        ack_minutes=10,
        duty_contact=manager,
        duty_phone="07700 900 123",
        actor=None,
    )
    return manager


def test_an_alert_not_acknowledged_within_the_target_goes_to_the_duty_contact(
    world: World, clock, duty, notify_stub: NotifyStub
):
    report(world)
    alert = alert_to(world, world.host)
    clock.shift(dt.timedelta(minutes=9, seconds=59))
    assert not Notice.objects.filter(
        escalation_reason=EscalationReason.URGENT_NOT_ACKNOWLEDGED
    ).exists()
    escalations_run()
    assert not Notice.objects.filter(escalates=alert).exists()

    clock.shift(dt.timedelta(seconds=2))
    escalations_run()
    escalation = Notice.objects.get(escalates=alert)
    assert escalation.kind == NoticeKind.ESCALATION
    assert escalation.escalation_reason == EscalationReason.URGENT_NOT_ACKNOWLEDGED
    assert escalation.recipient == world.host
    addresses = set(escalation.deliveries.values_list("channel", "address"))
    assert (Channel.EMAIL, duty.email) in addresses
    assert (Channel.SMS, "+447700900123") in addresses
    # On the alert's history and on the audit.
    event = alert.events.get(event=NoticeEventKind.ESCALATED)
    assert "Not acknowledged by 10:10 on 2 February 2026" in event.detail
    audit = AuditEvent.objects.get(verb=AuditVerb.NOTICE_ESCALATED, object_id=str(alert.id))
    assert audit.payload == {"reason": "urgent-not-ack", "escalations": 1}
    # Once only.
    clock.shift(dt.timedelta(minutes=5))
    escalations_run()
    assert Notice.objects.filter(escalates=alert).count() == 1
    # The duty phone gets a text through GOV.UK Notify, naming no child.
    run_worker()
    texts = [n for n in notify_stub.notifications if n["type"] == "sms"]
    assert [t["phone_number"] for t in texts] == ["+447700900123"]
    assert world.child.first_name not in texts[0]["personalisation"]["body"]
    assert escalation.reference in texts[0]["personalisation"]["body"]
    # The police force, which named nobody, has its own 30 minutes: not yet late.
    police_alert = alert_to(world, world.police)
    assert not Notice.objects.filter(escalates=police_alert).exists()


def test_an_alert_acknowledged_in_time_is_not_escalated(world: World, clock, duty):
    report(world)
    notices_acknowledge(notice_ids=[alert_to(world, world.host).id], actor=world.coordinator)
    clock.shift(dt.timedelta(minutes=11))
    escalations_run()
    assert not Notice.objects.filter(escalates=alert_to(world, world.host)).exists()


def test_with_no_duty_contact_the_managers_are_told(world: World, clock):
    manager = factories.user(world.host, Role.TEAM_MANAGER)
    report(world)
    clock.shift(dt.timedelta(minutes=31))
    escalations_run()
    escalation = Notice.objects.get(escalates=alert_to(world, world.host))
    assert set(
        escalation.deliveries.filter(channel=Channel.EMAIL).values_list("address", flat=True)
    ) >= {manager.email}
    assert not escalation.deliveries.filter(channel=Channel.SMS).exists()


def test_the_settings_refuse_bad_input_naming_the_field(world: World):
    stranger = factories.user(world.placing, Role.SOCIAL_WORKER)
    cases = [
        ({"ack_minutes": 0}, "ack_minutes"),
        ({"ack_minutes": 1441}, "ack_minutes"),
        ({"duty_contact": stranger, "duty_phone": "07700900123"}, "duty_contact"),
        ({"duty_contact": world.coordinator, "duty_phone": ""}, "duty_phone"),
        ({"duty_phone": "0161 496 0000"}, "duty_phone"),
        ({"duty_phone": "07700 90012"}, "duty_phone"),
    ]
    for change, field in cases:
        values = {"ack_minutes": 30, "duty_contact": None, "duty_phone": "", **change}
        with pytest.raises(ValidationError) as refused:
            urgent_settings_set(organisation=world.host, actor=None, **values)
        assert refused.value.field == field, change
    assert not NoticePolicy.objects.filter(organisation=world.host).exists()
    with pytest.raises(NotFoundOrNotAllowed):
        urgent_settings_set(
            organisation=world.host,
            ack_minutes=20,
            duty_contact=None,
            duty_phone="",
            actor=world.coordinator,
        )


def test_the_settings_page_is_for_managers_and_administrators(world: World, clock):
    manager = factories.user(world.host, Role.TEAM_MANAGER)
    assert factories.signed_in(world.coordinator).get(reverse("notice_settings")).status_code == 404
    client = factories.signed_in(manager)
    assert client.get(reverse("notice_settings")).status_code == 200
    bad = client.post(
        reverse("notice_settings"),
        {"ack_minutes": "15", "duty_contact": str(manager.pk), "duty_phone": "12345"},
    )
    assert "Enter a UK mobile phone number" in bad.content.decode()
    assert not NoticePolicy.objects.filter(organisation=world.host).exists()
    response = client.post(
        reverse("notice_settings"),
        {"ack_minutes": "15", "duty_contact": str(manager.pk), "duty_phone": "+44 7700 900 456"},
    )
    assert response.status_code == 302
    policy = NoticePolicy.objects.get(organisation=world.host)
    assert (policy.urgent_ack_minutes, policy.duty_contact, policy.duty_phone) == (
        15,
        manager,
        "+447700900456",
    )
    audit = AuditEvent.objects.get(verb=AuditVerb.URGENT_SETTINGS_CHANGED)
    assert audit.payload == {"ack_minutes": 15, "duty_phone": True, "duty_contact": str(manager.pk)}
    assert "07700" not in str(audit.payload)
