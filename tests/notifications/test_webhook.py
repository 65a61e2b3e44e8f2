"""Signed webhooks to a partner system's receiver, which checks every signature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import time_machine
from django.utils import timezone

from sightline.notifications.models import Channel, Delivery, DeliveryStatus
from sightline.notifications.services import contact_point_set
from sightline.placements.notices import PlacementNoticeKind
from tests.notifications.conftest import (
    DOB_FORMS,
    SURNAME,
    WebhookReceiver,
    World,
    make_world,
    record_out_of_area,
    run_worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(
    webhook_receiver: Callable[[str], WebhookReceiver],
) -> tuple[World, WebhookReceiver]:
    world = make_world()
    secret = "partner-shared-secret-0123456789abcdef"
    hook = webhook_receiver(secret)
    contact_point_set(
        organisation=world.police,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.WEBHOOK,
        address=hook.url,
        secret=secret,
        actor=None,
    )
    return world, hook


def webhook_delivery() -> Delivery:
    return Delivery.objects.select_related("notice").get(channel=Channel.WEBHOOK)


def test_the_partner_receives_a_signed_notice(receiver: tuple[World, WebhookReceiver]):
    world, hook = receiver
    record_out_of_area(world)
    run_worker()

    (request,) = hook.requests
    assert request["valid"]
    delivery = webhook_delivery()
    assert delivery.status == DeliveryStatus.DELIVERED
    body = request["body"]
    assert body["type"] == "notice.placement"
    assert body["notice"]["reference"] == delivery.notice.reference
    assert body["notice"]["child"] == {"id": str(world.child.id), "name": "Robin Q."}
    assert body["notice"]["setting"]["postcode"] == "SK4 2AB"
    assert request["headers"]["Idempotency-Key"] == delivery.reference
    raw = request["raw"].decode()
    assert SURNAME not in raw
    assert not any(form in raw for form in DOB_FORMS)


@pytest.mark.parametrize("refusal", [503, 429, 500])
def test_5xx_and_429_are_retried(receiver: tuple[World, WebhookReceiver], refusal: int):
    world, hook = receiver
    hook.script = [refusal]
    record_out_of_area(world)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run_worker()
    delivery = webhook_delivery()
    assert delivery.status == DeliveryStatus.TEMPORARY_FAILURE
    assert delivery.last_error == f"Webhook HTTP {refusal}"
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [r["valid"] for r in hook.requests] == [True, True]
    # The same body both times: receivers may de-duplicate on it.
    assert hook.requests[0]["raw"] == hook.requests[1]["raw"]


@pytest.mark.parametrize("refusal", [400, 404, 410, 422])
def test_other_4xx_are_not_retried(receiver: tuple[World, WebhookReceiver], refusal: int):
    world, hook = receiver
    hook.script = [refusal]
    record_out_of_area(world)
    run_worker()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=5), tick=False):
        run_worker()
    delivery = webhook_delivery()
    assert delivery.status == DeliveryStatus.PERMANENT_FAILURE
    assert delivery.attempts == 1
    assert len(hook.requests) == 1


def test_a_timeout_is_retried(settings, receiver: tuple[World, WebhookReceiver]):
    world, hook = receiver
    settings.SIGHTLINE_WEBHOOK_TIMEOUT = 0.5
    hook.stall = 1.5
    record_out_of_area(world)
    run_worker()
    delivery = webhook_delivery()
    assert delivery.status == DeliveryStatus.TEMPORARY_FAILURE
    assert delivery.last_error == "Webhook ReadTimeout"


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: tuple[World, WebhookReceiver]):
    world, hook = receiver
    hook.secret = "the partner rotated its secret"
    record_out_of_area(world)
    run_worker()
    assert hook.requests[0]["valid"] is False
    assert webhook_delivery().status == DeliveryStatus.PERMANENT_FAILURE
