"""`sightline api-key create|list|revoke`: API keys of organisations."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.api.selectors import api_keys_list, organisation_find
from sightline.api.services import api_key_create, api_key_revoke
from sightline.core.errors import ValidationError
from sightline.organisations.models import Role

ORGANISATION_HELP = (
    "The organisation: its id, a council's DfE code (356) or ONS code (E08000007), a police "
    "force's code (E23000005), its exact name, or its name as a slug "
    "(brightwater-care-ltd)."
)


class Command(BaseCommand):
    help = "API keys: create one for an organisation (shown once), list them, revoke one."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a key. It is printed once, never again.")
        create.add_argument("--organisation", required=True, help=ORGANISATION_HELP)
        create.add_argument(
            "--role",
            choices=[r.value for r in Role if r != Role.ADMINISTRATOR],
            default=None,
            help="What the key may do. Default: social_worker for a council, "
            "police_missing_officer for a police force, home_manager for a provider.",
        )
        create.add_argument("--name", default="", help="What the key is for, e.g. 'Case system'.")
        listing = sub.add_parser("list", help="List keys (never their secrets).")
        listing.add_argument("--organisation", default=None, help=ORGANISATION_HELP)
        revoke = sub.add_parser("revoke", help="Revoke a key at once.")
        revoke.add_argument("prefix", help="The key's prefix, as shown by 'list'.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "create":
                self._create(**options)
            elif action == "list":
                self._list(**options)
            else:
                key = api_key_revoke(prefix=options["prefix"], actor=None)
                self.stdout.write(f"Revoked API key {key.prefix} of {key.organisation.name}.")
        except ValidationError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, *, organisation: str, role: str | None, name: str, **_: Any) -> None:
        org = organisation_find(ref=organisation)
        key, text = api_key_create(organisation=org, role=role, name=name, actor=None)
        self.stdout.write(
            f"Created API key {key.prefix} ({key.name}) for {org.name}, role {key.role}.\n"
            "This is the only time the key is shown: store it in the partner system's secret "
            "store now. Sightline keeps only a hash of it.\n"
        )
        self.stdout.write(text)

    def _list(self, *, organisation: str | None, **_: Any) -> None:
        org = organisation_find(ref=organisation) if organisation else None
        keys = list(api_keys_list(organisation=org))
        if not keys:
            self.stdout.write("No API keys.")
            return
        self.stdout.write(
            f"{'prefix':<9} {'status':<8} {'role':<23} {'created':<17} {'last used':<17} "
            "organisation: name"
        )
        for key in keys:
            status = "revoked" if key.revoked_at else "active"
            created = key.created_at.strftime("%Y-%m-%d %H:%M")
            used = key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "never"
            self.stdout.write(
                f"{key.prefix:<9} {status:<8} {key.role:<23} {created:<17} {used:<17} "
                f"{key.organisation.name}: {key.name}"
            )
