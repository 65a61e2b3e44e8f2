"""Webhook subscriptions per organisation: who may manage them, the secret shown once, the
delivery history, replay of a failed delivery, and the signature checked by the receiver code
documented in docs/notices.md, running in a real local HTTP server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.notifications import webhooks
from sightline.notifications.models import (
    Channel,
    ContactPoint,
    Delivery,
    DeliveryStatus,
    WebhookSubscription,
)
from sightline.organisations.models import Role
from sightline.placements.notices import PlacementNoticeKind
from tests import factories
from tests.notifications.conftest import (
    SURNAME,
    World,
    make_child,
    make_world,
    record_out_of_area,
    run_worker,
)

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "notices.md"
PLACEMENT = str(PlacementNoticeKind.PLACEMENT)


def documented_receiver() -> Any:
    """The receiver example of docs/notices.md, exactly as published."""
    text = DOCS.read_text()
    block = re.search(
        r"<!-- receiver-example:start -->\s*```python\n(.*?)```\s*<!-- receiver-example:end -->",
        text,
        re.S,
    )
    assert block, "docs/notices.md has lost its receiver example"
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), str(DOCS), "exec"), namespace)  # our own published example
    return namespace["verify_sightline_webhook"]


class DocumentedReceiver:
    """A partner's HTTP endpoint that checks each request with the documented code and
    answers 401 to a bad signature, else as scripted (204 by default)."""

    def __init__(self) -> None:
        self.secret = ""
        self.verify = documented_receiver()
        self.requests: list[dict[str, Any]] = []
        self.script: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                valid = receiver.verify(receiver.secret, headers, body)
                receiver.requests.append({"valid": valid, "body": body, "headers": headers})
                status = (receiver.script.pop(0) if receiver.script else 204) if valid else 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/sightline"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def partner() -> Iterator[DocumentedReceiver]:
    receiver = DocumentedReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def world() -> World:
    world = make_world()
    world.extra["admin"] = factories.user(world.police, Role.ADMINISTRATOR)
    return world


def subscribe(world: World, partner: DocumentedReceiver, **kw: Any) -> WebhookSubscription:
    saved = webhooks.webhook_subscription_create(
        actor=world.extra["admin"],
        name="Force case system",
        url=partner.url,
        kinds=kw.pop("kinds", [PLACEMENT]),
        **kw,
    )
    partner.secret = saved.secret
    return saved.subscription


# --- Signature ------------------------------------------------------------------------------


def test_the_documented_receiver_verifies_a_real_delivery_and_refuses_a_tampered_one(
    world: World, partner: DocumentedReceiver
):
    subscription = subscribe(world, partner)
    record_out_of_area(world)
    run_worker()

    (request,) = partner.requests
    assert request["valid"]
    delivery = Delivery.objects.get(contact_point__subscription=subscription)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert request["headers"]["Idempotency-Key"] == delivery.reference
    body = json.loads(request["body"])
    assert body["notice"]["reference"] == delivery.notice.reference
    assert SURNAME not in request["body"].decode()

    verify = partner.verify
    headers = request["headers"]
    assert verify(partner.secret, headers, request["body"])
    reference = delivery.notice.reference.encode()
    tampered = request["body"].replace(reference, reference[:-1] + b"X")
    assert tampered != request["body"]
    assert not verify(partner.secret, headers, tampered)
    assert not verify("whsec_not-the-secret", headers, request["body"])
    stale = {**headers, "X-Sightline-Timestamp": str(int(headers["X-Sightline-Timestamp"]) - 301)}
    assert not verify(partner.secret, stale, request["body"])


def test_a_subscription_receives_no_child_setting_or_area_only_ids_times_and_links(
    world: World, partner: DocumentedReceiver
):
    """Its administrators may see no child: the partner fetches details through the API."""
    subscribe(world, partner)
    record_out_of_area(world)
    run_worker()
    (request,) = partner.requests
    body = json.loads(request["body"])
    notice = Delivery.objects.get(contact_point__subscription__isnull=False).notice
    assert set(body) == {"type", "delivery", "notice"}
    assert set(body["notice"]) == {
        "id",
        "reference",
        "kind",
        "created_at",
        "due_at",
        "acknowledge_by",
        "url",
        "api",
    }
    assert body["notice"]["id"] == str(notice.id)
    assert body["notice"]["api"]["acknowledge"].endswith(f"/api/v1/notices/{notice.id}/acknowledge")
    raw = request["body"].decode()
    for detail in (
        notice.child_name,
        str(notice.child_id),
        notice.setting_name,
        notice.setting_postcode,
        notice.area_name,
        "Robin",
        SURNAME,
    ):
        assert detail and detail not in raw, detail


def test_a_new_secret_signs_from_then_on(world: World, partner: DocumentedReceiver):
    subscription = subscribe(world, partner)
    old = partner.secret
    saved = webhooks.webhook_subscription_new_secret(
        actor=world.extra["admin"], subscription_id=subscription.pk
    )
    assert saved.secret and saved.secret != old
    partner.secret = saved.secret
    record_out_of_area(world)
    run_worker()
    (request,) = partner.requests
    assert request["valid"]
    assert not partner.verify(old, request["headers"], request["body"])


# --- Replay ---------------------------------------------------------------------------------


def test_a_failed_delivery_is_replayed_with_the_same_idempotency_key(
    world: World, partner: DocumentedReceiver
):
    subscription = subscribe(world, partner)
    partner.script = [410]  # the partner's endpoint refuses it: a permanent failure
    record_out_of_area(world)
    run_worker()
    failed = Delivery.objects.get(contact_point__subscription=subscription)
    assert failed.status == DeliveryStatus.PERMANENT_FAILURE

    admin = world.extra["admin"]
    client = factories.signed_in(admin)
    page = client.get(reverse("webhook_detail", args=[subscription.pk])).content.decode()
    assert failed.notice.reference in page and "Send again" in page
    assert "Webhook HTTP 410" in page
    assert SURNAME not in page and "Robin" not in page  # the history names no child

    response = client.post(reverse("webhook_replay", args=[subscription.pk, failed.pk]))
    assert response.status_code == 302
    replay = Delivery.objects.get(retry_of=failed)
    assert replay.status == DeliveryStatus.CREATED
    run_worker()
    replay.refresh_from_db()
    assert replay.status == DeliveryStatus.DELIVERED
    first, second = partner.requests
    assert second["valid"]
    assert second["headers"]["Idempotency-Key"] == first["headers"]["Idempotency-Key"]
    assert second["headers"]["Idempotency-Key"] == failed.reference
    assert second["headers"]["X-Sightline-Delivery"] == str(replay.id)
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PERMANENT_FAILURE  # the failed row stays final

    # Once per failed delivery, and never a delivered one.
    for delivery in (failed, replay):
        with pytest.raises(ValidationError):
            webhooks.webhook_delivery_replay(
                actor=admin, subscription_id=subscription.pk, delivery_id=delivery.pk
            )
    assert Delivery.objects.filter(contact_point__subscription=subscription).count() == 2
    changes = AuditEvent.objects.filter(verb=AuditVerb.WEBHOOK_SUBSCRIPTION_CHANGED)
    assert [e.payload["change"] for e in changes.order_by("at", "id")] == [
        "created",
        "replayed a delivery",
    ]
    page = client.get(reverse("webhook_detail", args=[subscription.pk])).content.decode()
    assert "Sent again" in page


def test_a_failed_delivery_is_not_replayed_to_a_changed_address(
    world: World, partner: DocumentedReceiver
):
    """Replay resends to where the message was meant to go, never to a new address."""
    subscription = subscribe(world, partner)
    partner.script = [410]
    record_out_of_area(world)
    run_worker()
    failed = Delivery.objects.get(contact_point__subscription=subscription)
    assert failed.status == DeliveryStatus.PERMANENT_FAILURE
    admin = world.extra["admin"]
    other = DocumentedReceiver()
    try:
        webhooks.webhook_subscription_update(
            actor=admin,
            subscription_id=subscription.pk,
            name="Force case system",
            url=other.url,
            kinds=[PLACEMENT],
            active=True,
        )
        with pytest.raises(ValidationError) as refused:
            webhooks.webhook_delivery_replay(
                actor=admin, subscription_id=subscription.pk, delivery_id=failed.pk
            )
        assert "no longer has" in refused.value.message
        assert not Delivery.objects.filter(retry_of=failed).exists()
        run_worker()
        assert other.requests == []
    finally:
        other.stop()


def test_the_audit_records_the_addresss_host_never_the_url_or_secret(
    world: World, partner: DocumentedReceiver
):
    subscribe(world, partner)
    (event,) = AuditEvent.objects.filter(verb=AuditVerb.WEBHOOK_SUBSCRIPTION_CHANGED)
    assert event.payload["host"] == "127.0.0.1"
    assert partner.url not in str(event.payload)
    assert "/hooks/sightline" not in str(event.payload)
    assert partner.secret not in str(event.payload)


def test_a_switched_off_subscription_receives_nothing_and_replays_nothing(
    world: World, partner: DocumentedReceiver
):
    subscription = subscribe(world, partner, active=False)
    record_out_of_area(world)
    run_worker()
    assert partner.requests == []
    assert not Delivery.objects.filter(contact_point__subscription=subscription).exists()


def test_changing_kinds_and_address_moves_its_contact_points(
    world: World, partner: DocumentedReceiver
):
    subscription = subscribe(world, partner)
    admin = world.extra["admin"]
    webhooks.webhook_subscription_update(
        actor=admin,
        subscription_id=subscription.pk,
        name="Force case system",
        url="https://partner.example/hooks",
        kinds=["missing"],
        active=True,
    )
    points = {p.kind: p for p in ContactPoint.objects.filter(subscription=subscription)}
    assert points[PLACEMENT].enabled is False
    assert points["missing"].enabled is True
    assert {p.address for p in points.values()} == {"https://partner.example/hooks"}
    assert all(p.secret == "" for p in points.values())  # the subscription's secret signs


# --- Who may manage them --------------------------------------------------------------------


def test_an_administrator_adds_one_on_the_web_and_sees_its_secret_once(world: World):
    admin = world.extra["admin"]
    client = factories.signed_in(admin)
    assert client.get(reverse("webhook_list")).status_code == 200
    response = client.post(
        reverse("webhook_add"),
        {
            "name": "Control room",
            "url": "https://control.example.police.uk/sightline",
            "kinds": [PLACEMENT, "missing"],
            "active": "yes",
        },
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get(organisation=world.police)
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert subscription.kinds == sorted([PLACEMENT, "missing"])
    detail = client.get(reverse("webhook_detail", args=[subscription.pk])).content.decode()
    listing = client.get(reverse("webhook_list")).content.decode()
    assert subscription.secret not in detail + listing
    assert "Control room" in listing

    (event,) = AuditEvent.objects.filter(verb=AuditVerb.WEBHOOK_SUBSCRIPTION_CHANGED)
    assert event.object_id == str(subscription.pk)
    assert event.payload == {
        "change": "created",
        "kinds": subscription.kinds,
        "active": True,
        "host": "control.example.police.uk",
    }
    assert event.user_id == admin.pk


def test_the_form_refuses_bad_input_with_a_message(world: World, settings):
    client = factories.signed_in(world.extra["admin"])
    settings.MODE = "production"
    response = client.post(
        reverse("webhook_add"),
        {"name": "X", "url": "http://partner.example/hook", "kinds": [PLACEMENT], "active": "yes"},
    )
    assert response.status_code == 200
    assert "starting https://" in response.content.decode()
    response = client.post(
        reverse("webhook_add"), {"name": "X", "url": "https://partner.example/h", "active": "yes"}
    )
    assert "Select the kinds of notice to send" in response.content.decode()
    assert not WebhookSubscription.objects.exists()

    webhooks.webhook_subscription_create(
        actor=world.extra["admin"], name="A", url="https://partner.example/h", kinds=[PLACEMENT]
    )
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_subscription_create(
            actor=world.extra["admin"],
            name="B",
            url="https://partner.example/h",
            kinds=[PLACEMENT],
        )
    assert refused.value.field == "url"
    with pytest.raises(ValidationError):
        webhooks.webhook_subscription_create(
            actor=world.extra["admin"], name="C", url="https://p.example/c", kinds=["nonsense"]
        )


@pytest.mark.parametrize("role", [Role.ANALYST, Role.POLICE_MISSING_OFFICER])
def test_people_who_are_not_administrators_get_page_not_found(world: World, role: str):
    user = factories.user(world.police, role)
    client = factories.signed_in(user)
    saved = webhooks.webhook_subscription_create(
        actor=world.extra["admin"], name="A", url="https://partner.example/h", kinds=[PLACEMENT]
    )
    sub = saved.subscription
    assert client.get(reverse("webhook_list")).status_code == 404
    assert client.get(reverse("webhook_add")).status_code == 404
    assert client.get(reverse("webhook_detail", args=[sub.pk])).status_code == 404
    assert client.post(reverse("webhook_new_secret", args=[sub.pk])).status_code == 404
    with pytest.raises(NotFoundOrNotAllowed):
        webhooks.webhook_subscription_create(
            actor=user, name="B", url="https://partner.example/b", kinds=[PLACEMENT]
        )
    sub.refresh_from_db()
    assert sub.secret == saved.secret


def test_another_organisations_administrator_gets_page_not_found(world: World):
    saved = webhooks.webhook_subscription_create(
        actor=world.extra["admin"], name="A", url="https://partner.example/h", kinds=[PLACEMENT]
    )
    sub = saved.subscription
    stranger = factories.user(world.placing, Role.ADMINISTRATOR)
    client = factories.signed_in(stranger)
    assert client.get(reverse("webhook_list")).status_code == 200  # their own, empty
    assert "partner.example" not in client.get(reverse("webhook_list")).content.decode()
    assert client.get(reverse("webhook_detail", args=[sub.pk])).status_code == 404
    response = client.post(
        reverse("webhook_detail", args=[sub.pk]),
        {"name": "Mine now", "url": "https://evil.example/", "kinds": [PLACEMENT], "active": "yes"},
    )
    assert response.status_code == 404
    assert client.post(reverse("webhook_new_secret", args=[sub.pk])).status_code == 404
    # A delivery of the subscription, replayed by a stranger: not found either.
    world.child = make_child()
    record_out_of_area(world)
    delivery = Delivery.objects.filter(channel=Channel.WEBHOOK).first()
    assert delivery is not None
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PERMANENT_FAILURE)
    assert client.post(reverse("webhook_replay", args=[sub.pk, delivery.pk])).status_code == 404
    sub.refresh_from_db()
    assert (sub.name, sub.url, sub.secret) == ("A", "https://partner.example/h", saved.secret)
    assert not Delivery.objects.filter(retry_of=delivery).exists()


def test_the_inbox_links_administrators_to_their_subscriptions(world: World):
    link = reverse("webhook_list")
    admin_page = factories.signed_in(world.extra["admin"]).get(reverse("notice_inbox"))
    assert link in admin_page.content.decode()
    officer = factories.user(world.police, Role.POLICE_MISSING_OFFICER)
    other_page = factories.signed_in(officer).get(reverse("notice_inbox"))
    assert link not in other_page.content.decode()
