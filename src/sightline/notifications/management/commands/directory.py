"""`sightline directory load | import FILE | verify [ADDRESS…] | status`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import ValidationError
from sightline.notifications.directory import (
    DirectoryFileError,
    address_verification_send,
    directory_import,
    directory_load,
    directory_rows_read,
)
from sightline.notifications.models import AddressStatus, DirectoryEntry, InboxAddress


class Command(BaseCommand):
    help = "The directory of councils' and police forces' inboxes for notices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="Add the shipped entries that are missing (keeps edits).")
        imp = sub.add_parser(
            "import", help="Create or update entries from a CSV file: all rows, or none."
        )
        imp.add_argument("file", type=Path)
        verify = sub.add_parser(
            "verify", help="Send a test message with a confirmation link to addresses."
        )
        verify.add_argument("addresses", nargs="*", help="Addresses (default: every unverified)")
        sub.add_parser("status", help="Count entries and addresses by status.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "load":
            summary = directory_load()
            self.stdout.write(
                f"Directory: {summary.created} entries added, {summary.unchanged} kept."
            )
        elif action == "import":
            path: Path = options["file"]
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: cannot read it as UTF-8 text ({exc})") from exc
            try:
                rows = directory_rows_read(text)
            except DirectoryFileError as exc:
                raise CommandError(
                    f"{path}: nothing imported. Put right:\n" + "\n".join(exc.problems)
                ) from exc
            summary = directory_import(rows=rows, actor=None)
            self.stdout.write(
                f"Imported {len(rows)} rows: {summary.created} added, {summary.changed} changed, "
                f"{summary.unchanged} unchanged. {len(summary.addresses_to_verify)} addresses "
                "to verify: run `sightline directory verify`."
            )
        elif action == "verify":
            addresses = options["addresses"] or list(
                InboxAddress.objects.exclude(status=AddressStatus.VERIFIED).values_list(
                    "address", flat=True
                )
            )
            for address in addresses:
                try:
                    row = address_verification_send(address=address, actor=None)
                except ValidationError as exc:
                    raise CommandError(str(exc)) from exc
                self.stdout.write(f"{row.address}: {AddressStatus(row.status).label}")
        else:
            entries = DirectoryEntry.objects.count()
            with_inbox = DirectoryEntry.objects.exclude(placement_inbox="").count()
            self.stdout.write(f"{entries} entries, {with_inbox} with a placement inbox.")
            for status in AddressStatus:
                count = InboxAddress.objects.filter(status=status).count()
                self.stdout.write(f"{status.label:<45} {count:>6}")
