"""`sightline escalate`: escalate late notices now (the worker also does it every cycle)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sightline.notifications.escalation import escalations_run


class Command(BaseCommand):
    help = (
        "Escalate notices not acknowledged in time (to the recipient's managers and the placing "
        "council's nominated officer) and flag notices not sent by their due date (to the "
        "placing council's team manager). Each notice is escalated once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while done := escalations_run():
            total += done
        self.stdout.write(f"Escalated {total} late notice{'s' if total != 1 else ''}.")
