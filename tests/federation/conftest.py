"""A peer deployment, as this one sees it: its key pinned, its requests signed for real."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from sightline.federation import messages
from sightline.federation.keys import SigningKey, new_seed, signing_key_from
from sightline.federation.models import Peer
from sightline.federation.services import MESSAGES_PATH
from sightline.federation.signing import signed_request
from sightline.organisations.models import Organisation, Role
from tests import factories

PEER_URL = "https://sightline.peer.example"


@dataclass
class PeerWorld:
    peer: Peer
    key: SigningKey
    stockport: Organisation
    client: Client

    def signed(self, message: dict[str, Any], *, key: SigningKey | None = None) -> dict[str, Any]:
        """The body and headers of a request the peer signed, addressed to this deployment."""
        body = messages.encode(message)
        prepared = signed_request(
            url=settings.SIGHTLINE_BASE_URL + MESSAGES_PATH, body=body, key=key or self.key
        )
        headers = {
            name: prepared.headers[name]
            for name in ("Signature", "Signature-Input", "Content-Digest")
        }
        return {"body": body, "headers": headers}

    def post(self, request: dict[str, Any], *, body: bytes | None = None) -> Any:
        return self.client.post(
            MESSAGES_PATH,
            data=request["body"] if body is None else body,
            content_type="application/json",
            headers=request["headers"],
        )


def notice_from_peer(**changes: Any) -> dict[str, Any]:
    """A placement notice as the peer's outbox sends it (synthetic)."""
    notice = {
        "id": str(uuid.uuid4()),
        "reference": "SL-AAAA-BBBB-CCCC-DDDD",
        "kind": "placement",
        "kind_label": "Placement notice",
        "subject_line": "Placement notice: a child placed in Stockport",
        "child_name": "Tamsin F.",
        "setting_name": "Larch House",
        "setting_postcode": "SK4 2AB",
        "area_name": "Stockport",
        "date_label": "Placed from",
        "placing_council_name": "Manchester",
        "sender_name": "Manchester Council",
        "sender_contact": "placements@manchester.example",
        "effective_date": "2026-03-02",
        "due_at": dt.datetime(2026, 3, 3, 17, tzinfo=dt.UTC).isoformat(),
        "chase_acknowledgement": True,
    }
    notice.update(changes)
    return {
        "type": "notice",
        "notice": notice,
        "recipient": {"kind": "council", "code": "E08000007"},
    }


@pytest.fixture
def peer_world(db: None, settings: Any) -> PeerWorld:
    settings.SIGHTLINE_FEDERATION = True
    settings.SIGHTLINE_FEDERATION_KEY = new_seed()
    key = signing_key_from(new_seed())
    peer = Peer.objects.create(
        url=PEER_URL,
        keys={key.key_id: key.x},
        fetched_keys={key.key_id: key.x},
        trusted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        trusted_by="operator",
    )
    stockport = factories.council_org("356")
    factories.user(stockport, Role.MISSING_COORDINATOR, username="coordinator.stockport")
    return PeerWorld(peer=peer, key=key, stockport=stockport, client=Client())
