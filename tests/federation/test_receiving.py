"""Requests from another deployment, through the front door (``POST /federation/v1/messages``):
what a verified notice or acknowledgement does, and how tampering, replays, unknown keys and
floods are refused and recorded (issue 15, part 3)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.resolvers import MappingKeyResolver

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.federation import services
from sightline.federation.keys import new_seed, public_key_from, signing_key_from, thumbprint
from sightline.federation.models import InboundNotice
from sightline.federation.signing import _Message
from sightline.notifications.models import Channel, Delivery, Notice
from sightline.organisations.models import User
from tests.federation.conftest import PEER_URL, PeerWorld, notice_from_peer

pytestmark = pytest.mark.django_db


def refused() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=AuditVerb.FEDERATION_REFUSED).order_by("at"))


def test_the_key_set_is_published_under_thumbprint_ids(settings: Any) -> None:
    client = Client()
    settings.SIGHTLINE_FEDERATION = False
    assert client.get("/.well-known/sightline-federation-keys").status_code == 404
    settings.SIGHTLINE_FEDERATION = True
    settings.SIGHTLINE_FEDERATION_KEY = seed = new_seed()
    old = signing_key_from(new_seed())
    settings.SIGHTLINE_FEDERATION_OLD_KEYS = [old.x]
    keys = client.get("/.well-known/sightline-federation-keys").json()["keys"]
    current = signing_key_from(seed)
    assert [k["kid"] for k in keys] == [current.key_id, old.key_id]
    assert keys[0] == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": current.x,
        "kid": thumbprint(current.x),
        "alg": "EdDSA",
        "use": "sig",
    }


def test_the_library_verifies_rfc_9421_b_2_6_and_signs_it_byte_for_byte() -> None:
    """RFC 9421 Appendix B.2.6 (Ed25519): the example request, key and signature."""
    public = public_key_from("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")
    private = signing_key_from("n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU").private_key
    expected = (
        "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
    )
    headers = {
        "Host": "example.com",
        "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "Content-Type": "application/json",
        "Content-Length": "18",
    }
    covered = ("date", "@method", "@path", "@authority", "content-type", "content-length")
    resolver = MappingKeyResolver(
        public_keys={"test-key-ed25519": public}, private_keys={"test-key-ed25519": private}
    )
    message = _Message("POST", "https://example.com/foo?param=Value&Pet=dog", dict(headers))
    HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=resolver).sign(
        message,
        key_id="test-key-ed25519",
        created=dt.datetime.fromtimestamp(1618884473, tz=dt.UTC),
        label="sig-b26",
        include_alg=False,
        covered_component_ids=covered,
    )
    assert message.headers["Signature"] == f"sig-b26=:{expected}:"
    assert message.headers["Signature-Input"] == (
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"'
    )
    [result] = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=resolver
    ).verify(message, max_age=None)
    assert result.parameters["keyid"] == "test-key-ed25519"
    wrong = dict(message.headers, Signature=f"sig-b26=:{base64.b64encode(bytes(64)).decode()}:")
    with pytest.raises(InvalidSignature):
        HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver).verify(
            _Message(message.method, message.url, wrong), max_age=None
        )


def test_a_signed_notice_lands_in_the_recipients_inbox_once(peer_world: PeerWorld) -> None:
    message = notice_from_peer()
    request = peer_world.signed(message)

    response = peer_world.post(request)

    assert response.status_code == 200, response.content
    notice = Notice.objects.get(recipient=peer_world.stockport)
    assert response.json() == {"reference": notice.reference, "duplicate": False}
    assert (notice.kind, notice.child_id, notice.child_name) == ("placement", None, "Tamsin F.")
    assert notice.sender_name == "Manchester Council (Sightline at sightline.peer.example)"
    assert notice.subject_path == ""  # a page on the other deployment, never linked here
    inbound = InboundNotice.objects.get(notice=notice)
    assert str(inbound.remote_notice_id) == message["notice"]["id"]
    [received] = AuditEvent.objects.filter(verb=AuditVerb.FEDERATION_RECEIVED)
    assert received.payload == {
        "peer": "sightline.peer.example",
        "message": "notice",
        "remote_reference": "SL-AAAA-BBBB-CCCC-DDDD",
    }

    # The very same request again: its nonce is spent.
    replayed = peer_world.post(request)
    assert replayed.status_code == 401
    assert replayed.json()["reason"] == "replayed-nonce"
    # The same message signed afresh (the sender's outbox retrying): taken, nothing changes.
    again = peer_world.post(peer_world.signed(message))
    assert again.status_code == 200
    assert again.json() == {"reference": notice.reference, "duplicate": True}
    assert Notice.objects.count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.FEDERATION_RECEIVED).count() == 1
    assert [e.payload["reason"] for e in refused()] == ["replayed-nonce"]


def test_tampered_requests_are_refused_and_on_the_audit(peer_world: PeerWorld) -> None:
    request = peer_world.signed(notice_from_peer())
    changed = request["body"].replace(b"Larch House", b"Other House")
    assert peer_world.post(request, body=changed).status_code == 401

    # Signed by another key, claiming the trusted key's id.
    impostor = signing_key_from(new_seed())
    forged = peer_world.signed(notice_from_peer())
    other = peer_world.signed(notice_from_peer(), key=impostor)
    forged["headers"]["Signature"] = other["headers"]["Signature"]
    assert peer_world.post(forged).status_code == 401

    # Expired: sent ten minutes after it was signed.
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=10), tick=False):
        stale = peer_world.signed(notice_from_peer())
    assert peer_world.post(stale).status_code == 401

    assert Notice.objects.count() == 0
    events = refused()
    assert len(events) == 3
    assert {e.payload["peer"] for e in events} == {"sightline.peer.example"}
    assert [e.payload["reason"] for e in events] == ["bad-signature"] * 3

    # A key nobody trusts, and no signature at all: refused, logged, not audited (anyone on
    # the internet can send these).
    unknown = peer_world.signed(notice_from_peer(), key=impostor)
    assert peer_world.post(unknown).status_code == 401
    unsigned = peer_world.client.post(
        "/federation/v1/messages", data=request["body"], content_type="application/json"
    )
    assert unsigned.status_code == 401
    assert len(refused()) == 3


def test_a_flood_from_a_peer_is_audited_at_most_so_often(
    peer_world: PeerWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "REFUSALS_AUDITED_PER_HOUR", 2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            request = peer_world.signed(notice_from_peer())
            assert peer_world.post(request, body=b"{}").status_code == 401
    assert len(refused()) == 2
    with time_machine.travel(start + dt.timedelta(hours=1, minutes=1), tick=False):
        request = peer_world.signed(notice_from_peer())
        assert peer_world.post(request, body=b"{}").status_code == 401
    assert [e.payload["suppressed"] for e in refused()] == [0, 0, 3]


def test_a_verified_message_that_cannot_be_taken_is_refused_400(peer_world: PeerWorld) -> None:
    for message, field in [
        (notice_from_peer(kind="escalation"), "notice.kind"),
        (
            {**notice_from_peer(), "recipient": {"kind": "council", "code": "E08000003"}},
            "recipient",
        ),
        ({**notice_from_peer(), "type": "gossip"}, "type"),
        (notice_from_peer(due_at="2026-03-03T17:00:00"), "notice.due_at"),
    ]:
        response = peer_world.post(peer_world.signed(message))
        assert response.status_code == 400, response.content
        assert field in response.json()["error"]
    assert Notice.objects.count() == 0
    assert len(refused()) == 4


def test_an_acknowledgement_from_the_peer_marks_our_notice_acknowledged(
    peer_world: PeerWorld,
) -> None:
    from tests.notifications.conftest import make_world, record_out_of_area

    world = record_out_of_area(make_world())
    notice = Notice.objects.get(recipient=world.host)
    Delivery.objects.create(notice=notice, channel=Channel.FEDERATION, address=PEER_URL)
    ack = {
        "type": "acknowledgement",
        "notice": {"id": str(notice.id), "reference": notice.reference},
        "acknowledged_at": "2026-01-05T10:00:00+00:00",
        "by": {"name": "Test Person", "role": "Missing children coordinator, Stockport"},
    }

    assert peer_world.post(peer_world.signed(ack)).status_code == 200
    notice.refresh_from_db()
    assert notice.acknowledged_at == dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
    assert notice.acknowledged_by_text == "Test Person (Missing children coordinator, Stockport)"
    assert notice.acknowledged_address == PEER_URL
    [event] = AuditEvent.objects.filter(verb=AuditVerb.FEDERATION_ACKNOWLEDGED)
    assert event.payload["peer"] == "sightline.peer.example"
    again = peer_world.post(peer_world.signed(ack))
    assert again.json()["duplicate"] is True
    assert AuditEvent.objects.filter(verb=AuditVerb.FEDERATION_ACKNOWLEDGED).count() == 1

    # A notice this deployment never sent to that peer: not found.
    police_notice = Notice.objects.get(recipient=world.police)
    other = {**ack, "notice": {"id": str(police_notice.id), "reference": "x"}}
    assert peer_world.post(peer_world.signed(other)).status_code == 404
    police_notice.refresh_from_db()
    assert police_notice.acknowledged_at is None


def test_a_recipient_on_another_sightline_is_sent_there_not_emailed(
    peer_world: PeerWorld, settings: Any
) -> None:
    from sightline.notifications.models import DirectoryEntry
    from tests.notifications.conftest import make_child, make_world, record_out_of_area

    world = make_world()
    # Stockport, as seen from here: nobody uses this Sightline for it, its directory entry
    # names its own.
    User.objects.filter(organisation=world.host).update(is_active=False)
    DirectoryEntry.objects.create(
        organisation=world.host, sightline_url=PEER_URL + "/", source="test (synthetic)"
    )
    record_out_of_area(world)
    notice = Notice.objects.get(recipient=world.host)
    assert sorted(notice.deliveries.values_list("channel", "address")) == [
        (Channel.FEDERATION, PEER_URL),
        (Channel.IN_APP, ""),
    ]
    assert notice.undeliverable == ""

    settings.SIGHTLINE_FEDERATION = False
    world.child = make_child()
    record_out_of_area(world, start=dt.date(2026, 2, 2))
    later = Notice.objects.filter(recipient=world.host).exclude(pk=notice.pk).get()
    assert not later.deliveries.filter(channel=Channel.FEDERATION).exists()


def test_production_refuses_federation_without_a_key() -> None:
    from config.settings import production_problems

    on = {"SIGHTLINE_FEDERATION": "on"}
    assert any("SIGHTLINE_FEDERATION_KEY" in p for p in production_problems(on))
    good = {**on, "SIGHTLINE_FEDERATION_KEY": new_seed()}
    assert not any("SIGHTLINE_FEDERATION_KEY" in p for p in production_problems(good))
    assert not any("FEDERATION" in p for p in production_problems({}))


def test_a_missing_alert_from_a_peer_is_urgent_here_too(peer_world: PeerWorld) -> None:
    """Alerts cross like notices, and the receiver's own urgent lane takes them."""
    message = notice_from_peer(
        kind="missing",
        kind_label="Missing alert",
        subject_line="Missing alert: a child placed in Stockport is missing",
        date_label="Last seen",
    )
    assert peer_world.post(peer_world.signed(message)).status_code == 200
    alert = Notice.objects.get(recipient=peer_world.stockport)
    assert (alert.kind, alert.kind_label) == ("missing", "Missing alert")
    assert alert.urgent_ack_due_at is not None


def test_a_key_pinned_for_one_peer_is_refused_for_another(peer_world: PeerWorld) -> None:
    """A deployment that republishes another's public key must not speak for it: trusting the
    key for a second peer is refused, and a key id two peers hold names neither (review)."""
    from sightline.core.errors import ValidationError
    from sightline.federation.models import Peer
    from sightline.federation.signing import peer_for_key

    kid = peer_world.key.key_id
    impostor = Peer.objects.create(
        url="https://impostor.example.org", fetched_keys={kid: peer_world.key.x}
    )
    with pytest.raises(ValidationError):
        services.peer_trust(url=impostor.url, key_ids=[kid], operator="operator")
    assert peer_for_key(kid) == peer_world.peer
    Peer.objects.filter(pk=impostor.pk).update(
        keys={kid: peer_world.key.x}, trusted_at=timezone.now()
    )
    assert peer_for_key(kid) is None
