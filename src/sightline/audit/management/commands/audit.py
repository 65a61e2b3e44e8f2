"""`sightline audit verify|child`: check the audit chain; list who viewed or changed a child's
record, and the list pages and API pages that named the child."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.audit.selectors import CSV_HEADER, audit_for_child, audit_verify, csv_row
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb


class Command(BaseCommand):
    help = (
        "The audit of children's information: verify the hash chain (exit 1 and the first "
        "altered or missing row when broken), or list who viewed or changed one child's record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify", help="Check every row of the chain. Exit 0 when intact, 1 when not."
        )
        child = sub.add_parser(
            "child",
            help="Who viewed or changed a child's record, and which lists named the child.",
        )
        child.add_argument("child_id", help="The child's Sightline id (a UUID).")
        child.add_argument("--format", choices=["text", "csv"], default="text")
        child.add_argument(
            "--purpose",
            default="Subject access or s.62 request (command line)",
            help="Why you are reading the audit; it is recorded.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            self._verify()
        else:
            self._child(**options)

    def _verify(self) -> None:
        result = audit_verify()
        if not result.intact:
            raise CommandError(
                f"The audit chain is broken at row {result.seq}"
                + (f" (id {result.event_id})" if result.event_id else "")
                + f". {result.problem} {result.checked} rows before it are intact.",
                returncode=1,
            )
        self.stdout.write(
            f"The audit chain is intact: {result.checked} rows. Last hash: {result.head_hash}"
        )

    def _child(self, *, child_id: str, format: str, purpose: str, **_: Any) -> None:
        try:
            key = uuid.UUID(child_id.strip())
        except ValueError as exc:
            raise CommandError(
                f"child_id: '{child_id}' is not a Sightline child id. Give the UUID shown in "
                "the address of the child's page."
            ) from exc
        lines = list(audit_for_child(child_id=key))
        audit_append(
            actor=None,
            verb=AuditVerb.AUDIT_VIEWED,
            obj=key,
            child=key,
            payload={"via": "command line"},
            purpose=purpose,
        )
        if format == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow(CSV_HEADER)
            for line in lines:
                writer.writerow(csv_row(line))
            return
        if not lines:
            self.stdout.write(
                f"No one has viewed or changed the record of child {key}, and no list named it."
            )
            return
        rows = f"{len(lines)} row" + ("" if len(lines) == 1 else "s")
        self.stdout.write(
            f"Who viewed or changed the record of child {key}, and the lists that named it "
            f"({rows}):"
        )
        for line in lines:
            at = line.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            grant = f" [grant {line.grant_id}]" if line.grant_id else ""
            self.stdout.write(
                f"{line.seq:>8}  {at}  {line.kind:<8} {line.action:<28} "
                f"{line.username} ({line.organisation}): {line.purpose}{grant}"
            )
