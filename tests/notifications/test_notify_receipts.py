"""GOV.UK Notify's delivery receipts: the callback, its bearer token, and reconciliation with
the outbox. The message goes out through the real Notify client to the local Notify stub;
the receipt is posted to the callback as Notify documents it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.missing.notices import AlertKind
from sightline.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EscalationReason,
    Notice,
    NoticeEvent,
    NoticeEventKind,
    NoticeKind,
)
from sightline.notifications.receipts import receipt_timeout
from sightline.notifications.services import contact_point_set, urgent_settings_set
from sightline.organisations.models import Role
from sightline.placements.notices import PlacementNoticeKind
from tests import factories
from tests.notifications.conftest import NotifyStub, World, make_world, record_out_of_area
from tests.notifications.conftest import run_worker as worker

pytestmark = pytest.mark.django_db

TOKEN = "notify-callback-token-for-tests-only-0123456789"
ADDRESS = "notices@stockport.example"


@pytest.fixture
def receipts_on(settings: Any, notify_stub: NotifyStub) -> NotifyStub:
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN
    return notify_stub


@pytest.fixture
def sent(receipts_on: NotifyStub) -> tuple[World, Delivery]:
    """A placement notice e-mailed to Stockport through Notify: accepted, awaiting receipt.
    Southwark, the sender, has a named duty contact."""
    world = make_world()
    contact_point_set(
        organisation=world.host,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.NOTIFY,
        address=ADDRESS,
        actor=None,
    )
    duty = factories.user(world.placing, Role.TEAM_MANAGER)
    urgent_settings_set(
        organisation=world.placing,
        ack_minutes=30,
        duty_contact=duty,
        duty_phone="07700 900 456",
        actor=None,
    )
    world.extra["duty"] = duty
    record_out_of_area(world)
    worker()
    delivery = Delivery.objects.select_related("notice").get(channel=Channel.NOTIFY)
    assert delivery.status == DeliveryStatus.ACCEPTED
    return world, delivery


def receipt(delivery: Delivery, status: str, **extra: Any) -> dict[str, Any]:
    """A receipt as GOV.UK Notify posts it (its callback documentation)."""
    body = {
        "id": delivery.provider_reference,
        "reference": delivery.reference,
        "to": delivery.address,
        "status": status,
        "created_at": "2026-01-05T10:00:00.000000Z",
        "completed_at": "2026-01-05T10:00:05.000000Z",
        "sent_at": "2026-01-05T10:00:01.000000Z",
        "notification_type": "email",
    }
    body.update(extra)
    return body


def post(body: Any, *, token: str | None = TOKEN) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return Client().post(
        reverse("notify_receipt_callback"), body, content_type="application/json", **headers
    )


def reload(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)


def test_the_message_goes_to_notify_and_waits_for_its_receipt(sent):
    _, delivery = sent
    assert delivery.provider_reference  # Notify's id
    assert delivery.sent_at is not None and delivery.delivered_at is None
    assert not delivery.is_final


def test_without_the_token_setting_notify_acceptance_counts_as_delivered(notify_stub, settings):
    settings.NOTIFY_CALLBACK_TOKEN = ""
    world = make_world()
    contact_point_set(
        organisation=world.host,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.NOTIFY,
        address=ADDRESS,
        actor=None,
    )
    record_out_of_area(world)
    worker()
    assert Delivery.objects.get(channel=Channel.NOTIFY).status == DeliveryStatus.DELIVERED
    # ...and the callback is switched off.
    assert post({"id": str(uuid.uuid4()), "status": "delivered"}).status_code == 404


def test_a_delivered_receipt_delivers(sent):
    _, delivery = sent
    response = post(receipt(delivery, "delivered"))
    assert response.status_code == 200
    assert response.json() == {"outcome": "applied"}
    delivery = reload(delivery)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.delivered_at.isoformat().startswith("2026-01-05T10:00:05")
    assert delivery.events.filter(event=NoticeEventKind.DELIVERED).count() == 1
    assert not Notice.objects.filter(kind=NoticeKind.ESCALATION).exists()


def test_a_permanent_failure_fails_the_delivery_and_escalates_once_and_a_replay_changes_nothing(
    sent,
):
    world, delivery = sent
    body = receipt(delivery, "permanent-failure")
    assert post(body).json() == {"outcome": "applied"}

    delivery = reload(delivery)
    assert delivery.status == DeliveryStatus.PERMANENT_FAILURE
    assert delivery.failed_at is not None
    assert "permanent-failure" in delivery.last_error
    assert ADDRESS not in delivery.last_error
    notice = delivery.notice
    escalation = Notice.objects.get(escalates=notice)
    assert escalation.escalation_reason == EscalationReason.DELIVERY_FAILED
    assert escalation.recipient == world.placing  # the sender, to reach Stockport another way
    addresses = set(escalation.deliveries.values_list("channel", "address"))
    assert (Channel.EMAIL, world.extra["duty"].email) in addresses
    assert (Channel.SMS, "+447700900456") in addresses
    # On the notice's history and the audit.
    history = list(notice.events.values_list("event", "detail"))
    assert (NoticeEventKind.PERMANENT_FAILURE, f"{Channel.NOTIFY}: {delivery.last_error}") in [
        (e, d) for e, d in history
    ]
    assert any(e == NoticeEventKind.ESCALATED and "Could not be delivered" in d for e, d in history)
    assert AuditEvent.objects.filter(
        verb=AuditVerb.NOTICE_ESCALATED, object_id=str(notice.id)
    ).exists()

    events = NoticeEvent.objects.count()
    escalations = Notice.objects.filter(kind=NoticeKind.ESCALATION).count()
    before = reload(delivery)
    # Replayed, and a contradicting late receipt: neither moves a final status.
    for again in (body, receipt(delivery, "delivered")):
        response = post(again)
        assert response.status_code == 200
        assert response.json() == {"outcome": "unchanged"}
    after = reload(delivery)
    assert (after.status, after.failed_at, after.updated_at) == (
        before.status,
        before.failed_at,
        before.updated_at,
    )
    assert NoticeEvent.objects.count() == events
    assert Notice.objects.filter(kind=NoticeKind.ESCALATION).count() == escalations


def test_a_delivered_delivery_is_not_failed_by_a_later_receipt(sent):
    _, delivery = sent
    post(receipt(delivery, "delivered"))
    assert post(receipt(delivery, "permanent-failure")).json() == {"outcome": "unchanged"}
    assert reload(delivery).status == DeliveryStatus.DELIVERED
    assert not Notice.objects.filter(kind=NoticeKind.ESCALATION).exists()


def test_a_temporary_failure_at_notify_is_a_technical_failure_that_escalates(sent):
    _, delivery = sent
    post(receipt(delivery, "temporary-failure"))
    delivery = reload(delivery)
    assert delivery.status == DeliveryStatus.TECHNICAL_FAILURE
    assert Notice.objects.filter(
        escalates=delivery.notice, escalation_reason=EscalationReason.DELIVERY_FAILED
    ).exists()


def test_an_interim_status_changes_nothing(sent):
    _, delivery = sent
    assert post(receipt(delivery, "sending")).json() == {"outcome": "unchanged"}
    assert reload(delivery).status == DeliveryStatus.ACCEPTED


def test_the_receipt_is_found_by_reference_when_no_notify_id_is_recorded_yet(sent):
    _, delivery = sent
    Delivery.objects.filter(pk=delivery.pk).update(provider_reference="")
    notify_id = str(uuid.uuid4())
    body = receipt(delivery, "delivered", id=notify_id)
    assert post(body).json() == {"outcome": "applied"}
    delivery = reload(delivery)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.provider_reference == notify_id


def test_a_receipt_with_our_reference_but_another_notify_id_matches_nothing(sent):
    """The reference is guessable; the stored Notify id is never replaced by another."""
    _, delivery = sent
    stored = delivery.provider_reference
    body = receipt(delivery, "permanent-failure", id=str(uuid.uuid4()))
    assert post(body).json() == {"outcome": "unknown"}
    delivery = reload(delivery)
    assert delivery.status == DeliveryStatus.ACCEPTED
    assert delivery.provider_reference == stored
    assert not Notice.objects.filter(kind=NoticeKind.ESCALATION).exists()


def test_an_unknown_receipt_is_acknowledged_and_logged_without_the_address(sent, caplog):
    _, delivery = sent
    body = receipt(delivery, "delivered", id=str(uuid.uuid4()), reference="SL-NOPE-0000ABCD")
    body["to"] = "someone.private@example.org"
    response = post(body)
    assert response.status_code == 200
    assert response.json() == {"outcome": "unknown"}
    assert reload(delivery).status == DeliveryStatus.ACCEPTED
    assert "no known delivery" in caplog.text
    assert "someone.private" not in caplog.text


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x", TOKEN[:-1]])
def test_a_missing_or_wrong_token_is_refused_and_logged_not_audited(sent, token, caplog):
    """Anyone may call the callback: refusals are logged (the reason only), and never grow
    the audit chain, however many there are."""
    _, delivery = sent
    body = receipt(delivery, "permanent-failure")
    before = AuditEvent.objects.count()
    for _ in range(3):
        response = post(body, token=token)
        assert response.status_code == 401
    assert reload(delivery).status == DeliveryStatus.ACCEPTED
    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(verb=AuditVerb.CALLBACK_REFUSED).exists()
    assert caplog.text.count("GOV.UK Notify callback refused") == 3
    assert ("no bearer token" in caplog.text) or ("wrong bearer token" in caplog.text)
    assert ADDRESS not in caplog.text and delivery.reference not in caplog.text


def test_a_body_that_is_not_a_receipt_is_refused_400(sent):
    _, delivery = sent
    assert post("not json at all").status_code == 400
    assert post({"status": "delivered"}).status_code == 400
    assert post(receipt(delivery, "lost-in-the-post")).status_code == 400
    assert reload(delivery).status == DeliveryStatus.ACCEPTED


def test_only_post(receipts_on):
    response = Client().get(
        reverse("notify_receipt_callback"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 405


def test_the_sender_sees_the_notice_could_not_be_delivered(sent):
    world, delivery = sent
    post(receipt(delivery, "permanent-failure"))
    manager = factories.user(world.placing, Role.TEAM_MANAGER)
    client = factories.signed_in(manager)
    page = client.get(reverse("notice_inbox")).content.decode()
    assert "Could not be delivered" in page
    detail = client.get(reverse("notice_detail", args=[delivery.notice_id])).content.decode()
    assert "Permanent failure" in detail


def test_a_receipt_that_beats_the_worker_wins_and_the_worker_changes_nothing(receipts_on):
    """Notify answered the worker and called back before the worker recorded its answer."""
    from sightline.notifications.channels import accepted
    from sightline.notifications.delivery import delivery_claim_next, delivery_record_result

    world = make_world()
    contact_point_set(
        organisation=world.host,
        kind=PlacementNoticeKind.PLACEMENT,
        channel=Channel.NOTIFY,
        address=ADDRESS,
        actor=None,
    )
    record_out_of_area(world)
    claimed = None
    while claimed is None or claimed.channel != Channel.NOTIFY:
        claimed = delivery_claim_next()
        assert claimed is not None
    assert claimed.status == DeliveryStatus.SENDING
    notify_id = str(uuid.uuid4())
    body = receipt(claimed, "delivered", id=notify_id)
    assert post(body).json() == {"outcome": "applied"}

    assert delivery_record_result(delivery=claimed, result=accepted(notify_id)) is False
    delivery = reload(claimed)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.provider_reference == notify_id
    assert delivery.lease_token is None
    assert delivery.events.count() == 1


# --- No receipt: the sweeper ----------------------------------------------------------------


def test_a_message_left_accepted_past_the_timeout_fails_with_no_receipt_and_escalates(sent):
    """Notify took it but never said: after 72 hours (the documented default) the worker's
    receipt sweep records a final failure and escalates it to the sender's duty contact; a
    receipt that comes after that changes nothing."""
    world, delivery = sent
    with time_machine.travel(delivery.sent_at + dt.timedelta(hours=71, minutes=59), tick=False):
        worker()
    assert reload(delivery).status == DeliveryStatus.ACCEPTED
    with time_machine.travel(delivery.sent_at + dt.timedelta(hours=72, minutes=1), tick=False):
        worker()
    delivery = reload(delivery)
    assert delivery.status == DeliveryStatus.TECHNICAL_FAILURE
    assert delivery.last_error == "No delivery receipt from GOV.UK Notify within 72 hours"
    assert delivery.events.filter(
        event=NoticeEventKind.TECHNICAL_FAILURE, detail__contains="No delivery receipt"
    ).exists()
    escalation = Notice.objects.get(
        escalates=delivery.notice, escalation_reason=EscalationReason.DELIVERY_FAILED
    )
    assert escalation.recipient == world.placing
    assert (Channel.EMAIL, world.extra["duty"].email) in set(
        escalation.deliveries.values_list("channel", "address")
    )
    before = reload(delivery)
    events = NoticeEvent.objects.count()
    assert post(receipt(delivery, "delivered")).json() == {"outcome": "unchanged"}
    after = reload(delivery)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert NoticeEvent.objects.count() == events


def test_the_receipt_timeout_is_configurable_and_a_receipt_in_time_is_kept(sent, settings):
    _, delivery = sent
    settings.SIGHTLINE_RECEIPT_TIMEOUT_HOURS = 2
    post(receipt(delivery, "delivered"))
    with time_machine.travel(delivery.sent_at + dt.timedelta(hours=3), tick=False):
        worker()
    assert reload(delivery).status == DeliveryStatus.DELIVERED
    assert not Notice.objects.filter(escalates=delivery.notice).exists()


def test_urgent_alerts_wait_for_their_receipt_an_hour_by_default(settings):
    assert receipt_timeout(str(PlacementNoticeKind.PLACEMENT)) == dt.timedelta(hours=72)
    assert receipt_timeout(str(AlertKind.MISSING)) == dt.timedelta(hours=1)
    settings.SIGHTLINE_URGENT_RECEIPT_TIMEOUT_HOURS = 0.5
    assert receipt_timeout(str(AlertKind.MISSING)) == dt.timedelta(minutes=30)
