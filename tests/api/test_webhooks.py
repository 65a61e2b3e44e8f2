"""Webhook subscriptions through the API: an administrator key of Greater Manchester Police
subscribes its partner system to missing alerts, reads the deliveries, replays a failed one,
rotates the secret and deletes the subscription; other keys and organisations get 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sightline.api.services import api_key_create
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import ValidationError
from sightline.notifications import webhooks
from sightline.notifications.models import ContactPoint, Delivery, WebhookSubscription
from sightline.organisations.models import Role
from tests.api.test_missing import report_body
from tests.notifications.conftest import run_worker
from tests.notifications.test_webhook_subscriptions import DocumentedReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner() -> Iterator[DocumentedReceiver]:
    receiver = DocumentedReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def admins(world):
    world.key("gmp_admin", world.gmp, Role.ADMINISTRATOR)
    world.key("kent_admin", world.kent, Role.ADMINISTRATOR)
    return world


def subscribe(world, partner, **changes):
    body = {"name": "GMP case system", "url": partner.url, "kinds": ["missing"], **changes}
    return world.api("gmp_admin").post("/webhook-subscriptions", body)


def changes() -> list[str]:
    return list(
        AuditEvent.objects.filter(verb=AuditVerb.WEBHOOK_SUBSCRIPTION_CHANGED)
        .order_by("seq")
        .values_list("payload__change", flat=True)
    )


def test_an_administrator_key_manages_its_subscription_end_to_end(admins, partner):
    world = admins
    api = world.api("gmp_admin")
    created = subscribe(world, partner)
    assert created.status_code == 201, created.content
    sub = created.json()
    assert sub["secret"].startswith(webhooks.SECRET_PREFIX)
    assert (sub["kinds"], sub["active"]) == (["missing"], True)
    partner.secret = sub["secret"]
    assert "secret" not in api.get(f"/webhook-subscriptions/{sub['id']}").json()
    assert [s["id"] for s in api.get("/webhook-subscriptions").json()["items"]] == [sub["id"]]

    # A missing alert goes to the partner; the first attempt is refused, then replayed.
    partner.script = [400]
    assert world.api("brightwater").post("/missing-episodes", report_body(world)).status_code == 201
    run_worker()
    (failed,) = api.get(f"/webhook-subscriptions/{sub['id']}/deliveries").json()["items"]
    assert (failed["status"], failed["notice_kind"]) == ("permanent-failure", "missing")
    assert "child" not in str(failed).lower()  # the history names no child
    replay = api.post(
        f"/webhook-subscriptions/{sub['id']}/deliveries/{failed['id']}/replay",
        **{"Idempotency-Key": "replay-1"},
    )
    assert replay.status_code == 201, replay.content
    assert replay.json()["replay_of"] == failed["id"]
    again = api.post(f"/webhook-subscriptions/{sub['id']}/deliveries/{failed['id']}/replay")
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "delivery"
    # Not deleted while the replay is still to be sent.
    refused = api.delete(f"/webhook-subscriptions/{sub['id']}")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "subscription"
    run_worker()
    assert [r["valid"] for r in partner.requests] == [True, True]
    statuses = [
        d["status"]
        for d in api.get(f"/webhook-subscriptions/{sub['id']}/deliveries").json()["items"]
    ]
    assert sorted(statuses) == ["delivered", "permanent-failure"]

    changed = api.put(
        f"/webhook-subscriptions/{sub['id']}",
        {
            "name": "GMP case system",
            "url": partner.url,
            "kinds": ["missing", "found"],
            "active": False,
        },
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["kinds"], changed.json()["active"]) == (["found", "missing"], False)
    assert not ContactPoint.objects.filter(subscription_id=sub["id"], enabled=True).exists()
    rotated = api.post(f"/webhook-subscriptions/{sub['id']}/new-secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (sub["secret"], "")
    assert WebhookSubscription.objects.get(pk=sub["id"]).secret == rotated.json()["secret"]

    deleted = api.delete(f"/webhook-subscriptions/{sub['id']}")
    assert deleted.status_code == 204, deleted.content
    assert api.get(f"/webhook-subscriptions/{sub['id']}").status_code == 404
    assert not ContactPoint.objects.filter(address=partner.url).exists()
    assert Delivery.objects.filter(address=partner.url).count() == 2  # the history stays
    assert changes() == ["created", "replayed a delivery", "changed", "new secret", "deleted"]


def test_only_administrator_keys_of_the_organisation_reach_its_subscription(admins, partner):
    world = admins
    sub = subscribe(world, partner).json()
    for who in ("gmp", "kent_admin"):  # a case role of GMP; another organisation's admin
        api = world.api(who)
        listed = api.get("/webhook-subscriptions")
        if who == "gmp":
            assert listed.status_code == 404
        else:
            assert listed.json()["items"] == []
        path = f"/webhook-subscriptions/{sub['id']}"
        for response in (
            api.get(path),
            api.put(path, {"name": "Taken", "url": partner.url, "kinds": ["missing"]}),
            api.delete(path),
            api.post(f"{path}/new-secret"),
            api.get(f"{path}/deliveries"),
        ):
            assert response.status_code == 404, (who, response.content)
    kept = WebhookSubscription.objects.get(pk=sub["id"])
    assert (kept.name, kept.secret) == ("GMP case system", sub["secret"])
    assert (
        world.api("gmp")
        .post("/webhook-subscriptions", {"name": "X", "url": partner.url, "kinds": ["missing"]})
        .status_code
        == 404
    )


def test_a_private_address_is_refused_by_the_api_as_by_the_service(admins, settings):
    settings.SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = []
    world = admins
    url = "https://169.254.169.254/latest/meta-data/"
    response = world.api("gmp_admin").post(
        "/webhook-subscriptions", {"name": "X", "url": url, "kinds": ["missing"]}
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "url"
    with pytest.raises(ValidationError) as refused:
        webhooks.webhook_subscription_create(
            actor=world.gmp.users.get(username__startswith="api:", role=Role.ADMINISTRATOR),
            name="X",
            url=url,
            kinds=["missing"],
        )
    assert refused.value.message == error["message"]
    assert not WebhookSubscription.objects.exists()


def test_an_administrator_key_sees_no_child(admins):
    api = admins.api("gmp_admin")
    assert api.get("/children").json()["items"] == []
    assert api.get(f"/children/{admins.ada.id}").status_code == 404
    assert api.get("/missing-episodes").json()["items"] == []


def test_a_key_is_never_an_administrator_by_default(world):
    key, _ = api_key_create(organisation=world.gmp, actor=None)
    assert key.role == Role.POLICE_MISSING_OFFICER
