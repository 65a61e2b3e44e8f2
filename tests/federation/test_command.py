"""`sightline federation keygen | keys | peers` (``trust`` runs against a live peer in
``test_two_deployments.py``)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from sightline.federation.keys import b64url_decode, signing_key_from
from tests.federation.conftest import PEER_URL, PeerWorld

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("federation", *args, stdout=out)
    return out.getvalue()


def test_keygen_keys_and_peers(peer_world: PeerWorld, settings: Any) -> None:
    seed = run("keygen").strip()
    assert len(b64url_decode(seed)) == 32
    assert run("keygen").strip() != seed
    settings.SIGHTLINE_FEDERATION_KEY = seed
    printed = run("keys")
    key_id = signing_key_from(seed).key_id
    assert printed.startswith(f"Signing key id: {key_id}\n")
    assert json.loads(printed.split("\n", 1)[1])["keys"][0]["kid"] == key_id
    assert run("peers").split() == [PEER_URL, "trusted", "2026-01-01", peer_world.key.key_id]

    settings.SIGHTLINE_FEDERATION_KEY = ""
    with pytest.raises(CommandError, match="SIGHTLINE_FEDERATION_KEY is not set"):
        run("keys")
    with pytest.raises(CommandError, match="must start https://"):
        run("trust", "http://peer.example.gov.uk")
