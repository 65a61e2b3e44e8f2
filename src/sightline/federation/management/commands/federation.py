"""`sightline federation keygen | keys | trust URL [--key KID…] | peers`."""

from __future__ import annotations

import getpass
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import ValidationError
from sightline.federation.keys import new_seed, published_keys, signing_key
from sightline.federation.models import Peer
from sightline.federation.services import peer_keys_fetch, peer_trust


class Command(BaseCommand):
    help = "Sightline to Sightline: this deployment's keys and the peers it trusts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("keygen", help="Print a new signing key for SIGHTLINE_FEDERATION_KEY.")
        sub.add_parser("keys", help="Print this deployment's key id and published key set.")
        trust = sub.add_parser(
            "trust",
            help="Fetch a peer's key set; with --key, pin the keys its operator confirmed.",
        )
        trust.add_argument("url", help="The peer's base address, as in the directory.")
        trust.add_argument(
            "--key",
            action="append",
            default=[],
            dest="keys",
            help="A key id (thumbprint) the peer's operator read out to you; repeat for more.",
        )
        sub.add_parser("peers", help="List peers, whether trusted, and their pinned key ids.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "keygen":
            self.stdout.write(new_seed())
            return
        if action == "keys":
            key = signing_key()
            if key is None:
                raise CommandError("SIGHTLINE_FEDERATION_KEY is not set")
            self.stdout.write(f"Signing key id: {key.key_id}")
            self.stdout.write(json.dumps(published_keys(), indent=2))
            if not settings.SIGHTLINE_FEDERATION:
                self.stdout.write("Federation is off (SIGHTLINE_FEDERATION): nothing is published.")
            return
        if action == "peers":
            for peer in Peer.objects.all():
                state = f"trusted {peer.trusted_at:%Y-%m-%d}" if peer.trusted else "not trusted"
                self.stdout.write(f"{peer.url}  {state}  {', '.join(sorted(peer.keys)) or '-'}")
            return
        url = options["url"]
        try:
            peer = peer_keys_fetch(url=url)
            if not options["keys"]:
                self.stdout.write(f"{peer.url} publishes these key ids:")
                for kid in sorted(peer.fetched_keys):
                    self.stdout.write(f"  {kid}")
                self.stdout.write(
                    "Compare them with the ids its operator reads out to you (sightline "
                    "federation keys, on their side), then run again with --key ID for each."
                )
                return
            peer = peer_trust(url=url, key_ids=options["keys"], operator=getpass.getuser())
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Trusted {peer.url} with key(s) {', '.join(sorted(peer.keys))}.")
