"""The `sightline` command: Sightline's Django management commands with the settings preset.

``sightline geography postcode "SK4 2AB"`` is ``manage.py geography postcode "SK4 2AB"``.
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "demo": "Migrate, load synthetic demo data, print sign-ins, run the web app and worker.",
    "serve": "Serve the web app (gunicorn).",
    "worker": "Run the background worker.",
    "migrate": "Create or update the database tables.",
    "geography": "Look up postcodes, distances and the council and police reference data.",
    "demo_data": "Load the synthetic demo data only.",
    "synth": "Generate a calibrated synthetic England as SSDA903 returns; check its calibration.",
    "notices": "Delivery counts by channel and status; retry failed deliveries.",
    "directory": "Councils' and forces' inboxes: load, import FILE, verify, status.",
    "federation": "Sightline to Sightline: keygen, this deployment's keys, trust URL, peers.",
    "escalate": "Escalate notices not acknowledged or not sent on time (the worker does this).",
    "language": "Check text for victim-blaming language; list the phrases and suggestions.",
    "api-key": "Create, list and revoke API keys of organisations (a key is shown once).",
    "access": "Print the access policy: who may do what, through which relationship.",
    "returns": "Import, validate and export SSDA903 returns (CSV or XML).",
    "audit": "Verify the keyed audit (against checkpoints); write a checkpoint; list who viewed "
    "or changed a child's record.",
    "check": "Check the configuration (add --deploy for production checks).",
    "createsuperuser": "Create a platform operator (a superuser of no organisation).",
    "evidence": "Build the evidence extract (Parquet) the dashboards read.",
    "report": "Write the inquiry report (HTML) for an area and years: report inquiry --area ...",
    "otp": "Reset a user's authenticator app; in the demo only, print a user's current code.",
    "axes_reset_username": "Unlock a username locked out after too many wrong passwords.",
}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = [
        "usage: sightline COMMAND [options]",
        "",
        "Sightline keeps children in care in sight of every agency responsible for them.",
        "",
        "Commands:",
        *(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()),
        "",
        "Run 'sightline COMMAND --help' for a command's options.",
        "'sightline help --all' lists every administrative command.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not args or args[0] in {"-h", "--help"} or args == ["help"]:
        print(_usage())
        return
    if args[:2] == ["help", "--all"]:
        args = ["help"]
    if args[0] == "help" or "-h" in args or "--help" in args:
        # Help reads no data, so it needs no secret key, database or production set-up.
        os.environ["SIGHTLINE_MODE"] = "demo"
    elif args[0] == "demo":
        os.environ.setdefault("SIGHTLINE_MODE", "demo")
    else:
        _choose_mode(args[0])
    if args[0] == "returns":
        _returns_runtime()
    if args[:2] == ["returns", "validate"]:
        # It reads a file (and the geography tables) and writes nothing: it needs none of
        # what the apps register for pages and the worker, nor the modules that brings in
        # (about 0.3 s of CPU and 23 MiB, a fifteenth of a national return's validation).
        from sightline.core.appconfig import REGISTRIES

        os.environ.setdefault(REGISTRIES, "off")
    from django.core.management import ManagementUtility

    if args[0] not in {"help", "demo"} and "-h" not in args and "--help" not in args:
        _prepare_embedded_database(migrate=args[0] != "migrate")
    ManagementUtility(["sightline", *args]).execute()


SERVICE_COMMANDS = {"serve", "worker"}


def _returns_runtime() -> None:
    """How ``sightline returns`` runs polars, set before polars is loaded (it reads both
    variables once, then). Either may be set to choose otherwise.

    - One thread (``POLARS_MAX_THREADS``). A return is read and checked one part at a time
      (ADR 55), mostly in operations on a few thousand rows each, where a second thread
      mostly waits for work: on two cores it saved a tenth of the wall time of a national
      return and cost a fifth more CPU. A validation should not take every core of a server
      that also runs the web app and the worker.
    - One allocator arena (``_RJEM_MALLOC_CONF``: polars' jemalloc). By default each thread
      gets an arena of its own (four per core), and memory freed in one is not reused in
      another: one arena keeps the peak about 15 MiB lower.

    Polars itself sets the allocator's variable when it is imported (its own options, then
    any given), so a process started by one that imported polars inherits options without
    ``narenas``: the arena is added to them unless they name one.

    ``docs/performance.md`` has the measurements."""
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    options = os.environ.get("_RJEM_MALLOC_CONF", "")
    if "narenas" not in options:
        os.environ["_RJEM_MALLOC_CONF"] = ",".join(o for o in (options, "narenas:1") if o)


def _choose_mode(command: str) -> None:
    """Without SIGHTLINE_MODE, settings mean production. On a fresh checkout (no DATABASE_URL
    either) the README's commands such as ``sightline geography postcode`` run on the embedded
    demo database instead, and say so. The service itself (``serve``, ``worker``) never
    falls back to the demo: started without its settings, it refuses to start."""
    if "SIGHTLINE_MODE" in os.environ or os.environ.get("DATABASE_URL"):
        return
    if command in SERVICE_COMMANDS:
        return
    os.environ["SIGHTLINE_MODE"] = "demo"
    print(
        "sightline: SIGHTLINE_MODE and DATABASE_URL are not set, so this runs in demo mode on "
        "the embedded database. Production deployments set SIGHTLINE_MODE=production.",
        file=sys.stderr,
    )


def _prepare_embedded_database(*, migrate: bool = True) -> None:
    """On the embedded SQLite database of a demo, create it on first use so that commands
    such as `sightline geography postcode` work on a fresh checkout (for `sightline migrate`
    itself, only its folder)."""
    import django
    from django.conf import settings

    django.setup()
    db = settings.DATABASES["default"]
    if settings.MODE != "demo" or db["ENGINE"] != "django.db.backends.sqlite3":
        return
    from pathlib import Path

    path = Path(str(db["NAME"]))
    if path.exists():
        return
    from django.core.management import call_command

    path.parent.mkdir(parents=True, exist_ok=True)
    if not migrate:
        return
    print(f"Creating the embedded database at {path} ...", file=sys.stderr)
    call_command("migrate", interactive=False, verbosity=0)


if __name__ == "__main__":
    main()
