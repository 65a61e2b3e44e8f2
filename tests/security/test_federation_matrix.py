"""The authorisation matrix of the two federation addresses (issue 15, part 3).

They are ``Rule.PUBLIC``: the key set is public, and a message is admitted by its HTTP
Message Signature under a key an operator pinned, never by a session. So every kind of
organisation x every role it may hold (signed in, with the second factor), a platform
operator and nobody at all get the same key set, the same refusal for an unsigned or
tampered message, and nothing in any inbox from it."""

from __future__ import annotations

import pytest

from sightline.notifications.models import Notice
from tests.federation.conftest import PeerWorld, notice_from_peer, peer_world  # noqa: F401
from tests.security.test_link_pages import _clients

pytestmark = pytest.mark.django_db


def test_a_session_admits_nobody_to_federation(peer_world: PeerWorld) -> None:  # noqa: F811
    keys = peer_world.client.get("/.well-known/sightline-federation-keys").json()
    for who, client in _clients():
        assert client.get("/.well-known/sightline-federation-keys").json() == keys, who
        request = peer_world.signed(notice_from_peer())
        unsigned = client.post(
            "/federation/v1/messages", data=request["body"], content_type="application/json"
        )
        assert unsigned.status_code == 401, who
        tampered = client.post(
            "/federation/v1/messages",
            data=request["body"].replace(b"Larch", b"Birch"),
            content_type="application/json",
            headers=request["headers"],
        )
        assert tampered.status_code == 401, who
    assert Notice.objects.count() == 0
    # The same signed request is taken from anyone: the signature, not the sender, admits.
    assert peer_world.post(peer_world.signed(notice_from_peer())).status_code == 200
