"""`sightline audit verify|checkpoint|child`: check the audit chain (against checkpoints kept
outside the database); write a checkpoint; list who viewed or changed a child's record, and the
list pages and API pages that named the child."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.audit.checkpoints import checkpoint_place, checkpoint_write, checkpoints_read
from sightline.audit.privileges import app_role_sql
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
        verify = sub.add_parser(
            "verify", help="Check every row of the chain. Exit 0 when intact, 1 when not."
        )
        verify.add_argument(
            "--checkpoints",
            metavar="PLACE",
            help="A checkpoint file (or an extract of the log): the chain must reach, and "
            "match, every checkpoint in it.",
        )
        checkpoint = sub.add_parser(
            "checkpoint",
            help="Write a signed checkpoint of the chain's head to the log and to "
            "SIGHTLINE_AUDIT_CHECKPOINTS (the worker writes one every hour).",
        )
        checkpoint.add_argument(
            "--to", metavar="FILE", help="Append it to this file instead of the setting's."
        )
        privileges = sub.add_parser(
            "privileges",
            help="Print the SQL that gives the application's PostgreSQL role what it needs, "
            "and on the audit only SELECT and INSERT (run it as the owner after migrating).",
        )
        privileges.add_argument("--role", default="sightline_app")
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
            self._verify(checkpoints=options.get("checkpoints"))
        elif action == "checkpoint":
            self._checkpoint(to=options.get("to"))
        elif action == "privileges":
            try:
                self.stdout.write(app_role_sql(options["role"]), ending="")
            except ValueError as exc:
                raise CommandError(f"--role: {exc}") from exc
        else:
            self._child(**options)

    def _verify(self, *, checkpoints: str | None) -> None:
        found = None
        if checkpoints is not None:
            try:
                found = checkpoints_read(checkpoints)
            except OSError as exc:
                raise CommandError(
                    f"--checkpoints: cannot read {checkpoints}: {exc.strerror}.", returncode=1
                ) from exc
            if not found:
                raise CommandError(
                    f"--checkpoints: {checkpoints} holds no audit checkpoint. Give the file "
                    "named by SIGHTLINE_AUDIT_CHECKPOINTS, or the log lines of "
                    "'sightline.audit.checkpoint'.",
                    returncode=1,
                )
        result = audit_verify(checkpoints=found)
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
        if result.latest_checkpoint is not None:
            self.stdout.write(
                f"It reaches and matches all {result.checkpoints} checkpoints; the latest is "
                f"{result.latest_checkpoint.where()}."
            )

    def _checkpoint(self, *, to: str | None) -> None:
        try:
            checkpoint = checkpoint_write(place=to)
        except OSError as exc:
            raise CommandError(
                f"Cannot append the checkpoint to {to or checkpoint_place()}: {exc.strerror}."
            ) from exc
        place = to or checkpoint_place()
        self.stdout.write(
            f"Checkpoint of row {checkpoint.seq} written to the log"
            + (f" and to {place}" if place else " (SIGHTLINE_AUDIT_CHECKPOINTS is not set)")
            + f":\n{checkpoint.line()}"
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
