"""`sightline notices status` and `sightline notices retry --failed`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.notifications.models import Channel, DeliveryStatus
from sightline.notifications.selectors import delivery_status_counts
from sightline.notifications.services import delivery_retry_failed


class Command(BaseCommand):
    help = "Notice deliveries: counts by channel and status, and queuing failed ones again."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="Count deliveries by channel and status.")
        retry = sub.add_parser(
            "retry", help="Queue failed deliveries again (after putting their cause right)."
        )
        retry.add_argument(
            "--failed",
            action="store_true",
            help="Technical failures (the ones an operator can put right).",
        )
        retry.add_argument(
            "--permanent",
            action="store_true",
            help="Permanent failures too (after fixing addresses).",
        )
        retry.add_argument("--channel", choices=[c.value for c in Channel], default=None)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "status":
            rows = delivery_status_counts()
            if not rows:
                self.stdout.write("No deliveries.")
                return
            self.stdout.write(f"{'channel':<10} {'status':<20} {'count':>8}")
            for row in rows:
                self.stdout.write(f"{row['channel']:<10} {row['status']:<20} {row['count']:>8}")
            return
        statuses = []
        if options["failed"]:
            statuses.append(DeliveryStatus.TECHNICAL_FAILURE)
        if options["permanent"]:
            statuses.append(DeliveryStatus.PERMANENT_FAILURE)
        if not statuses:
            raise CommandError("Say which failures to retry: --failed and/or --permanent.")
        count = delivery_retry_failed(actor=None, statuses=statuses, channel=options["channel"])
        self.stdout.write(f"Queued {count} deliveries again.")
