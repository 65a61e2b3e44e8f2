"""`sightline worker`: the background worker (Django Tasks on the database)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Run the background worker: takes queued tasks from the database and runs them. "
        "Several workers may run at once; each task is taken by one of them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="Run every queued task, then exit."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between polls when the queue is empty.",
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Exit after running this many tasks."
        )

    def handle(
        self, *args: Any, batch: bool, interval: float, max_tasks: int | None, **options: Any
    ) -> None:
        kwargs: dict[str, Any] = {
            "queue_name": "*",
            "interval": interval,
            "reload": False,
            "verbosity": options.get("verbosity", 1),
        }
        if batch:
            kwargs["batch"] = True
        if max_tasks is not None:
            kwargs["max_tasks"] = max_tasks
        call_command("db_worker", **kwargs)
