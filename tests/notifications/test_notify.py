"""GOV.UK Notify through the official client, against a local stub of the Notify API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from sightline.notifications.content import CHILD_IN_MESSAGES
from sightline.notifications.models import Channel, Delivery, DeliveryStatus
from sightline.notifications.services import contact_point_set
from sightline.placements.notices import PlacementNoticeKind
from tests.notifications.conftest import (
    DOB_FORMS,
    SURNAME,
    NotifyStub,
    World,
    make_world,
    record_out_of_area,
    run_worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def notify_world(notify_stub: NotifyStub) -> World:
    world = make_world()  # no team inboxes: GOV.UK Notify only
    contact_point_set(
        organisation=world.host,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.NOTIFY,
        address="notices@stockport.example",
        actor=None,
    )
    return world


def notify_delivery() -> Delivery:
    return Delivery.objects.select_related("notice").get(channel=Channel.NOTIFY)


def test_a_notice_goes_through_notify_with_its_reference(notify_stub: NotifyStub, notify_world):
    record_out_of_area(notify_world)
    run_worker()

    delivery = notify_delivery()
    assert delivery.status == DeliveryStatus.DELIVERED
    (sent,) = notify_stub.notifications
    assert delivery.provider_reference == sent["id"]
    assert sent["reference"] == delivery.reference
    assert sent["email_address"] == "notices@stockport.example"
    personalisation = sent["personalisation"]
    assert personalisation["child"] == CHILD_IN_MESSAGES
    assert personalisation["subject"].startswith("Placement notice: a child placed in Stockport")
    assert personalisation["link"].endswith(f"/notices/{delivery.notice_id}/")
    text = str(personalisation)
    assert SURNAME not in text
    assert not any(form in text for form in DOB_FORMS)
    assert notify_stub.bad_tokens == 0
    assert notify_stub.lookups == []  # a first attempt has nothing to look for


def test_5xx_and_429_are_retried_after_checking_the_reference(notify_stub, notify_world):
    notify_stub.script = [500, 429]
    record_out_of_area(notify_world)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run_worker()
    assert notify_delivery().status == DeliveryStatus.TEMPORARY_FAILURE
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        run_worker()
    assert notify_delivery().status == DeliveryStatus.TEMPORARY_FAILURE
    with time_machine.travel(start + dt.timedelta(seconds=92), tick=False):
        run_worker()
    delivery = notify_delivery()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    assert notify_stub.posts == 3
    assert len(notify_stub.notifications) == 1
    assert notify_stub.lookups == [delivery.reference, delivery.reference]


def test_an_ambiguous_timeout_does_not_send_twice(notify_stub: NotifyStub, notify_world):
    # Notify saves the notification, but answers after the client has given up.
    notify_stub.accept_then_stall = 2.5
    record_out_of_area(notify_world)
    start = timezone.now()
    with time_machine.travel(start, tick=True):
        run_worker()
    delivery = notify_delivery()
    assert delivery.status == DeliveryStatus.TEMPORARY_FAILURE
    assert "503" in delivery.last_error  # the client reports a failed request as 503
    notify_stub.accept_then_stall = 0

    with time_machine.travel(start + dt.timedelta(seconds=40), tick=True):
        run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert notify_stub.posts == 1
    (sent,) = notify_stub.notifications
    assert delivery.provider_reference == sent["id"]


def test_a_bad_request_is_a_permanent_failure(notify_stub: NotifyStub, notify_world):
    notify_stub.script = [400]
    record_out_of_area(notify_world)
    run_worker()
    delivery = notify_delivery()
    assert delivery.status == DeliveryStatus.PERMANENT_FAILURE
    assert delivery.last_error == "GOV.UK Notify HTTP 400 BadRequestError (sending)"


def test_a_wrong_api_key_is_a_technical_failure(settings, notify_stub: NotifyStub, notify_world):
    settings.NOTIFY_API_KEY = notify_stub.api_key[:-36] + "0" * 36  # right service, wrong secret
    record_out_of_area(notify_world)
    run_worker()
    delivery = notify_delivery()
    assert delivery.status == DeliveryStatus.TECHNICAL_FAILURE
    assert delivery.last_error.startswith("GOV.UK Notify HTTP 403")
    assert notify_stub.notifications == []
