"""Per-user subscriptions (issue 14, part 2): a person chooses which alerts reach them, how
(e-mail, or a text message through GOV.UK Notify's ``send_sms`` with the official client,
here against the local stub) and when (on-duty days and hours, London time, windows crossing
midnight allowed). The organisation's addresses still get everything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import ValidationError
from sightline.missing.models import RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.notifications.models import (
    AlertPreferences,
    AlertSubscription,
    Channel,
    ContactPoint,
    Delivery,
    DeliveryStatus,
)
from sightline.notifications.services import contact_point_set
from sightline.notifications.subscriptions import alert_preferences_set, on_duty, uk_mobile
from sightline.organisations.models import Role
from tests import factories
from tests.missing.conftest import World, make_world, report
from tests.notifications.conftest import NotifyStub, run_worker

pytestmark = pytest.mark.django_db

# Friday 6 February 2026 (GMT): 23:30 is night; 07:30 the next morning is Saturday.
FRIDAY_NIGHT = dt.datetime(2026, 2, 6, 23, 30, tzinfo=dt.UTC)
NIGHT_MOBILE = "+447700900111"
DAY_MOBILE = "+447700900222"


@pytest.fixture
def world(db: None) -> Iterator[World]:
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield make_world()


def prefs(days: str = "0123456", start: str | None = None, end: str | None = None):  # type: ignore[no-untyped-def]
    return AlertPreferences(
        days=days,
        starts_at=dt.time.fromisoformat(start) if start else None,
        ends_at=dt.time.fromisoformat(end) if end else None,
    )


def london(day: int, hour: int, minute: int = 0, month: int = 2) -> dt.datetime:
    # February: London is on GMT. July: BST, an hour ahead of UTC.
    local = dt.datetime(2026, month, day, hour, minute)
    offset = 1 if month in (4, 5, 6, 7, 8, 9) else 0
    return (local - dt.timedelta(hours=offset)).replace(tzinfo=dt.UTC)


def test_on_duty_days_and_windows_in_london_time():
    assert on_duty(None, at=FRIDAY_NIGHT)
    assert on_duty(prefs("4"), at=london(6, 23))  # Friday, all day
    assert not on_duty(prefs("0123"), at=london(6, 23))
    office = prefs("01234", "09:00", "17:00")
    assert on_duty(office, at=london(6, 9))
    assert not on_duty(office, at=london(6, 17))
    assert not on_duty(office, at=london(7, 10))  # Saturday
    # 22:00 to 07:00 on Fridays only: Friday night and the small hours of Saturday.
    nights = prefs("4", "22:00", "07:00")
    assert on_duty(nights, at=london(6, 22))
    assert on_duty(nights, at=london(7, 6, 59))
    assert not on_duty(nights, at=london(7, 7))
    assert not on_duty(nights, at=london(6, 6, 59))  # Friday morning belongs to Thursday
    assert not on_duty(nights, at=london(6, 21, 59))
    # British Summer Time: 09:00 in London on 10 July is 08:00 UTC.
    summer = prefs("4", "09:00", "17:00")
    assert on_duty(summer, at=london(10, 9, month=7))
    assert not on_duty(summer, at=dt.datetime(2026, 7, 10, 16, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    "given", ["07700 900111", "07700-900-111", "+44 7700 900111", "0044 (7700) 900111"]
)
def test_a_uk_mobile_is_kept_in_one_form(given: str):
    assert uk_mobile(given) == NIGHT_MOBILE


@pytest.mark.parametrize("given", ["0161 496 0000", "07700 90011", "+33 6 12 34 56 78", "x"])
def test_anything_else_is_not_a_uk_mobile(given: str):
    with pytest.raises(ValidationError) as refused:
        uk_mobile(given)
    assert refused.value.field == "mobile"


def test_a_missing_alert_is_texted_at_night_to_the_person_on_duty_not_to_one_off_duty(
    world: World, notify_stub: NotifyStub
):
    night = factories.user(world.host, Role.MISSING_COORDINATOR, username="nightcoord")
    day = factories.user(world.host, Role.MISSING_COORDINATOR, username="daycoord")
    alert_preferences_set(
        actor=night,
        subscriptions=[("missing", Channel.SMS), ("missing", Channel.EMAIL)],
        mobile="07700 900111",
        days=range(7),
        starts_at=dt.time(22, 0),
        ends_at=dt.time(7, 0),
    )
    alert_preferences_set(
        actor=day,
        subscriptions=[("missing", Channel.SMS)],
        mobile="07700 900222",
        days=range(5),
        starts_at=dt.time(9, 0),
        ends_at=dt.time(17, 0),
    )
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        report(world)
        run_worker()

    texts = [n for n in notify_stub.notifications if n["type"] == "sms"]
    assert [t["phone_number"] for t in texts] == [NIGHT_MOBILE]
    body = texts[0]["personalisation"]["body"]
    assert "Missing alert" in body
    assert world.child.first_name not in body and world.child.last_name not in body
    sms = Delivery.objects.get(channel=Channel.SMS)
    assert sms.status == DeliveryStatus.DELIVERED
    assert sms.notice.recipient == world.host
    assert sms.provider_reference == texts[0]["id"]
    # The night coordinator's e-mail too; the day coordinator's nothing.
    emails = set(Delivery.objects.filter(channel=Channel.EMAIL).values_list("address", flat=True))
    assert night.email in emails
    assert day.email not in emails
    assert not Delivery.objects.filter(address=DAY_MOBILE).exists()
    # The organisation's own address still gets the alert.
    assert world.host.email in emails


def test_a_subscription_adds_to_the_contact_points_never_replaces_them(
    world: World, notify_stub: NotifyStub
):
    contact_point_set(
        organisation=world.host,
        kind="missing",
        channel=Channel.SMS,
        address="07700 900333",
        actor=None,
    )
    person = factories.user(world.host, Role.MISSING_COORDINATOR)
    alert_preferences_set(
        actor=person, subscriptions=[("missing", Channel.SMS)], mobile="07700 900333"
    )
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        report(world)
    # One text to the number, whoever asked for it.
    assert Delivery.objects.filter(channel=Channel.SMS, address="+447700900333").count() == 1
    assert ContactPoint.objects.get(channel=Channel.SMS).address == "+447700900333"


def test_texts_are_not_queued_while_notify_is_switched_off(world: World):
    person = factories.user(world.host, Role.MISSING_COORDINATOR)
    alert_preferences_set(
        actor=person, subscriptions=[("missing", Channel.SMS)], mobile="07700 900111"
    )
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        report(world)
    assert not Delivery.objects.filter(channel=Channel.SMS).exists()


def test_bad_subscriptions_are_refused_naming_the_field_and_nothing_is_saved(world: World):
    person = factories.user(world.host, Role.MISSING_COORDINATOR)
    cases = [
        ({"subscriptions": [("missing", Channel.SMS)]}, "mobile"),
        ({"subscriptions": [], "mobile": "0161 496 0000"}, "mobile"),
        ({"subscriptions": [("no-such-kind", Channel.EMAIL)]}, "kinds"),
        ({"subscriptions": [("missing", Channel.WEBHOOK)]}, "channels"),
        ({"subscriptions": [], "days": []}, "days"),
        ({"subscriptions": [], "days": [7]}, "days"),
        ({"subscriptions": [], "starts_at": dt.time(22)}, "ends_at"),
        ({"subscriptions": [], "ends_at": dt.time(7)}, "starts_at"),
        ({"subscriptions": [], "starts_at": dt.time(8), "ends_at": dt.time(8)}, "ends_at"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationError) as refused:
            alert_preferences_set(actor=person, **values)  # type: ignore[arg-type]
        assert refused.value.field == field, values
    assert not AlertPreferences.objects.exists()
    assert not AlertSubscription.objects.exists()


def test_your_alerts_page_saves_and_refuses_bad_input(world: World):
    person = factories.user(world.host, Role.MISSING_COORDINATOR)
    client = factories.signed_in(person)
    page = client.get(reverse("your_alerts")).content.decode()
    assert "Missing alert" in page and "Your alerts" in page

    bad = client.post(
        reverse("your_alerts"),
        {
            "sms_kinds": ["missing"],
            "mobile": "01614960000",
            "days": ["4"],
            "starts_at": "25:00",
            "ends_at": "07:00",
        },
    )
    html = bad.content.decode()
    assert "There is a problem" in html
    assert "Enter the time you start on the 24-hour clock, like 22:00" in html
    assert not AlertPreferences.objects.exists()
    bad = client.post(
        reverse("your_alerts"),
        {"sms_kinds": ["missing"], "mobile": "01614960000", "days": ["4"]},
    )
    assert "Enter a UK mobile phone number" in bad.content.decode()
    assert not AlertPreferences.objects.exists()

    saved = client.post(
        reverse("your_alerts"),
        {
            "sms_kinds": ["missing", "found"],
            "email_kinds": ["away"],
            "mobile": "07700 900111",
            "days": ["4", "5"],
            "starts_at": "22:00",
            "ends_at": "7:00",
        },
    )
    assert saved.status_code == 302
    preferences = AlertPreferences.objects.get(user=person)
    assert (preferences.mobile, preferences.days) == (NIGHT_MOBILE, "45")
    assert (preferences.starts_at, preferences.ends_at) == (dt.time(22), dt.time(7))
    assert set(AlertSubscription.objects.values_list("kind", "channel")) == {
        ("missing", "sms"),
        ("found", "sms"),
        ("away", "email"),
    }
    audit = AuditEvent.objects.get(verb=AuditVerb.ALERT_SUBSCRIPTIONS_CHANGED)
    assert audit.payload["mobile"] is True
    assert "07700" not in str(audit.payload)
    again = client.get(reverse("your_alerts")).content.decode()
    assert 'value="22:00"' in again and 'value="+447700900111"' in again
