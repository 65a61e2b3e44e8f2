"""``manage.py demo_data``: load the synthetic demo data set and print how to sign in."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import SightlineError
from sightline.synth.demo import DEFAULT_SEED, demo_load, format_sign_ins, format_summary
from sightline.synth.demo.directory import demo_directory_fill


class Command(BaseCommand):
    help = (
        "Load a small synthetic England (councils, police, homes, children, placements and "
        "one sign-in per role) from a seed. Loading the same seed again keeps the data; "
        "another seed replaces it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Seed for the generator (default {DEFAULT_SEED}). Same seed, same data.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the summary as JSON instead of text."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = demo_load(seed=options["seed"])
        except SightlineError as exc:
            raise CommandError(str(exc)) from exc
        demo_directory_fill()
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), indent=2))
            return
        self.stdout.write(format_summary(summary))
        self.stdout.write("")
        self.stdout.write(format_sign_ins(summary))
