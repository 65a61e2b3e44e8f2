"""`sightline demo`: migrate, load synthetic demo data, then run the web app and the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Set up the demo: migrate the database, load a synthetic England from a seed (safe to "
        "re-run), print one sign-in per role, then serve the web app and run the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2019, help="Seed for the synthetic data.")
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Load the data and print the sign-ins, then exit.",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="Port for the web app (default: PORT or 8000).",
        )

    def handle(self, *args: Any, seed: int, no_serve: bool, port: int, **options: Any) -> None:
        if settings.MODE == "production":
            raise CommandError(
                "The demo loads synthetic data and must not run against a production database. "
                "Set SIGHTLINE_MODE=demo."
            )
        from sightline.core.errors import SightlineError
        from sightline.synth.demo import demo_load, format_sign_ins, format_summary
        from sightline.synth.demo.directory import demo_directory_fill

        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Everything but the sign-ins goes to a log file: the password must be the last thing
        # on the screen, not under the web app's and the worker's lines (issue 14).
        log_path = settings.VAR_DIR / "demo.log"
        with log_path.open("w", encoding="utf-8") as log:
            self.stdout.write(f"Setting up the demo (seed {seed}); details in {log_path}")
            call_command("migrate", interactive=False, verbosity=0, stdout=log)
            try:
                summary = demo_load(seed=seed)
            except SightlineError as exc:
                raise CommandError(str(exc)) from exc
            # Synthetic front doors for every council and force (synth/demo/directory.py).
            demo_directory_fill()
            log.write(format_summary(summary) + "\n\n")
            log.write(self._build_evidence_extract())
        if no_serve:
            self.stdout.write("\n" + format_sign_ins(summary))
            return
        self._run_web_and_worker(port, log_path, sign_ins=format_sign_ins(summary))

    def _build_evidence_extract(self) -> str:
        """The analysts' Evidence pages read an extract of the database; build it now so that
        they show the demo's placements and missing history at once. (In production it is
        rebuilt daily by ``sightline evidence extract``.)"""
        from sightline.evidence import frames, sources

        extract = sources.from_database()
        out = frames.extract_dir()
        frames.save(extract, out)
        return (
            f"Built the evidence extract in {out}: {extract.spells.height:,} placements, "
            f"{extract.missing.height:,} missing and away episodes. Run `sightline evidence "
            "extract` to bring in episodes recorded since.\n"
        )

    def _run_web_and_worker(self, port: int, log_path: Path, *, sign_ins: str) -> None:
        exe = [sys.executable, "-m", "sightline.cli"]
        # PORT for the worker too: the links in its e-mails follow the port served.
        env = {**os.environ, "SIGHTLINE_MODE": settings.MODE, "PORT": str(port)}
        log = log_path.open("a", encoding="utf-8")
        procs = [
            subprocess.Popen(  # noqa: S603
                command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            for command in ([*exe, "serve", "--port", str(port)], [*exe, "worker"])
        ]
        self.stdout.write(
            f"The web app and the worker log to {log_path}.\n"
            f"Open http://127.0.0.1:{port}/ and sign in. Press Ctrl+C to stop.\n\n" + sign_ins
        )

        def stop(*_: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        log.close()
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            raise CommandError(f"The web app or the worker stopped with an error; see {log_path}.")
