"""`sightline serve`: the web app, behind gunicorn, with static files from whitenoise."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the Sightline web app (gunicorn). PORT and HOST come from the environment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST", "127.0.0.1"),
            help="Address to listen on (default: HOST or 127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="Port to listen on (default: PORT or 8000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
            help="Gunicorn worker processes (default: WEB_CONCURRENCY or 2).",
        )

    def handle(self, *args: Any, host: str, port: int, workers: int, **options: Any) -> None:
        from gunicorn.app.wsgiapp import WSGIApplication

        argv = [
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            # Access log without the query string: it may carry search terms.
            "--access-logformat",
            '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
        ]
        self.stdout.write(f"Sightline is running on http://{host}:{port}/")
        # gunicorn reads its options from sys.argv when the application is built.
        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
