"""``python -m benchmarks.notices``: the run, from a fresh database to the report.

1. A fresh database (a SQLite file in a temporary directory, or a new PostgreSQL database,
   dropped afterwards), migrated; a local SMTP sink in its own process; ``EMAIL_URL`` pointed
   at it.
2. Synthetic children and children's homes (real postcodes), written through the services;
   every council and force with a team inbox, so each placement owes two e-mails.
3. N out-of-area placements recorded with ``placement_record``, one transaction each, as the
   web form records them; each notice's ``created_at`` is what latency is measured from.
4. ``sightline worker`` processes deliver until every e-mail delivery is final. In
   ``backlog`` mode (the default) they start after the recording; in ``live`` mode before it,
   so that latency is what a user sees while placements are being recorded.
5. The same messages, byte for byte, sent again with raw ``smtplib`` to the same sink: one
   connection per message, then one connection for all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from benchmarks.environment import production_settings
from benchmarks.notices.cpu import PhaseCpu
from benchmarks.notices.database import FreshDatabase, describe_url
from benchmarks.notices.sink import Receipt, SmtpSink
from benchmarks.notices.workers import REPO, Workers

RESULTS_DIR = REPO / "benchmarks" / "results"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
SMTP_TIMEOUT = 10.0

log = logging.getLogger("benchmarks.notices")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.notices",
        description=(
            "Record out-of-area placements, deliver every notice e-mail to a local SMTP sink "
            "with `sightline worker`, and compare with raw smtplib sending the same messages."
        ),
    )
    parser.add_argument("--placements", type=int, default=10_000, help="default: 10000")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--mode",
        choices=["backlog", "live"],
        default="backlog",
        help=(
            "backlog: record everything, then start the workers (throughput); live: start "
            "the workers first and deliver while recording (latency). Default backlog."
        ),
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="placements per second to record at (default 0: as fast as possible)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="the workers' --interval, seconds between polls when idle (default 1, as shipped)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help=(
            "admin connection used to create and drop the benchmark database "
            f"(default $BENCH_POSTGRES_URL or {DEFAULT_POSTGRES})"
        ),
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="give up delivering after this many s"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the temporary directory"
    )
    args = parser.parse_args(argv)
    if args.placements < 1 or args.workers < 1:
        parser.error("--placements and --workers must be at least 1")
    return args


# --- Statistics ---------------------------------------------------------------------------


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def distribution(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.nan


# --- Environment --------------------------------------------------------------------------


def configure_environment(*, database_url: str, smtp_port: int, var_dir: Path) -> dict[str, str]:
    """The environment of this process and of the workers: a production configuration,
    pointed at the benchmark's database and SMTP sink, with GOV.UK Notify off."""
    for name in list(os.environ):
        if name.startswith(("DATABASE_", "EMAIL_", "NOTIFY_")) or name in {
            "SIGHTLINE_MODE",
            "SIGHTLINE_VAR_DIR",
            "SIGHTLINE_BASE_URL",
            "DEFAULT_FROM_EMAIL",
        }:
            del os.environ[name]
    os.environ.update(production_settings(database_url))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        DEFAULT_FROM_EMAIL="Sightline <no-reply@sightline.example>",
        SIGHTLINE_VAR_DIR=str(var_dir),
    )
    # Anything else that tunes Sightline (SIGHTLINE_DELIVERY_*, LOG_LEVEL) is kept, and
    # written into the results so that the run can be repeated (but never a key).
    return {
        k: v
        for k, v in os.environ.items()
        if (k.startswith("SIGHTLINE_") and k != "SIGHTLINE_AUDIT_KEY") or k == "LOG_LEVEL"
    }


def send_logs_to(path: Path) -> None:
    """Sightline logs a line per placement and per notice: keep them out of the report."""
    stream = path.open("a")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(
            handler, logging.FileHandler
        ):
            handler.setStream(stream)


def _read(command: list[str]) -> str:
    try:
        return subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    model = ""
    memory_gib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus": cpus,
        "cpu_model": model or platform.processor(),
        "memory_gib": memory_gib,
        "platform": platform.platform(),
    }


def software(vendor: str) -> dict[str, Any]:
    import aiosmtpd
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "postgres":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        database_version = cursor.fetchone()[0]
    status = _read(["git", "status", "--porcelain"])
    return {
        "python": platform.python_version(),
        "django": django.__version__,
        "aiosmtpd": aiosmtpd.__version__,
        "database": f"{vendor} {database_version}",
        "git_commit": _read(["git", "rev-parse", "--short", "HEAD"]),
        "git_dirty": bool(status),
    }


# --- Phases -------------------------------------------------------------------------------


def record_placements(plans: Sequence[Any], *, rate: float, record: Callable[[Any], Any]) -> dict:
    durations: list[float] = []
    started = time.perf_counter()
    for i, plan in enumerate(plans):
        if rate > 0:
            wait = started + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        t0 = time.perf_counter()
        record(plan)
        durations.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - started
    return {
        "placements": len(plans),
        "seconds": seconds,
        "per_second": per_second(len(plans), seconds),
        "placement_record_ms": {k: v * 1000 for k, v in distribution(durations).items()},
    }


def wait_until_final(
    *, sink: SmtpSink, expected: int, workers: Workers, timeout: float
) -> tuple[bool, str]:
    """Until every placement notice e-mail has a final status (the sink has them all, and
    each worker has recorded its result), the workers die, or time runs out."""
    from sightline.notifications.models import FINAL_STATUSES, Channel, Delivery
    from sightline.placements.notices import PlacementNoticeKind

    pending_email = Delivery.objects.filter(
        channel=Channel.EMAIL, notice__kind=PlacementNoticeKind.PLACEMENT
    ).exclude(status__in=FINAL_STATUSES)
    deadline = time.monotonic() + timeout
    checked = 0.0
    while True:
        now = time.monotonic()
        # The database is asked often only once the sink has everything; before that, every
        # few seconds in case some deliveries end in failure and never reach the sink.
        if sink.count() >= expected or now - checked > 5:
            checked = now
            if not pending_email.exists():
                return True, ""
        if not workers.any_running():
            return False, "every worker exited"
        if now > deadline:
            return False, f"timed out after {timeout:.0f} s"
        time.sleep(0.05)


def header_values(receipts: Sequence[Receipt]) -> list[tuple[str, str]]:
    """(Message-ID, X-Sightline-Reference) of each received message."""
    parser = BytesHeaderParser()
    values = []
    for receipt in receipts:
        headers = parser.parsebytes(receipt.data)
        values.append(
            (str(headers.get("Message-ID", "")), str(headers.get("X-Sightline-Reference", "")))
        )
    return values


def sightline_delivery(
    receipts: Sequence[Receipt], *, workers: Workers, mode: str
) -> tuple[dict, list[Receipt]]:
    """Throughput and record→delivered latency of the placement notice e-mails, and those
    messages (once each) for the baseline. Anything else the worker sent (an escalation, say)
    is counted apart."""
    from sightline.notifications.models import (
        Channel,
        Delivery,
        Notice,
        NoticeEvent,
        NoticeEventKind,
    )
    from sightline.placements.notices import PlacementNoticeKind

    created = {
        ref: at.timestamp()
        for ref, at in Notice.objects.filter(kind=PlacementNoticeKind.PLACEMENT).values_list(
            "reference", "created_at"
        )
    }
    seen: set[str] = set()
    unique: list[Receipt] = []
    latencies: list[float] = []
    others = 0
    ours: list[Receipt] = []
    for receipt, (message_id, reference) in zip(receipts, header_values(receipts), strict=True):
        if reference not in created:
            others += 1
            continue
        ours.append(receipt)
        if message_id in seen:
            continue
        seen.add(message_id)
        unique.append(receipt)
        latencies.append(receipt.at - created[reference])
    emails = Delivery.objects.filter(
        channel=Channel.EMAIL, notice__kind=PlacementNoticeKind.PLACEMENT
    )
    statuses = Counter(emails.values_list("status", flat=True))
    retried = emails.filter(attempts__gt=1).count()
    failures = NoticeEvent.objects.filter(
        event__in=[
            NoticeEventKind.TEMPORARY_FAILURE,
            NoticeEventKind.LEASE_EXPIRED,
            NoticeEventKind.TECHNICAL_FAILURE,
            NoticeEventKind.PERMANENT_FAILURE,
        ]
    ).count()
    first = min(r.at for r in unique) if unique else math.nan
    last = max(r.at for r in unique) if unique else math.nan
    seconds = last - workers.started_at
    result = {
        "emails": len(unique),
        "seconds": seconds,
        "per_second": per_second(len(unique), seconds),
        "seconds_first_to_last": last - first,
        "per_second_first_to_last": per_second(len(unique) - 1, last - first),
        "latency_s": distribution(latencies),
        "latency_from": "notice created_at (in the placement's transaction) to receipt at the sink",
        "smtp_connections": len({r.connection for r in ours}),
        "received": len(ours),
        "duplicates": len(ours) - len(unique),
        "other_emails_received": others,
        "statuses": dict(sorted(statuses.items())),
        "deliveries_retried": retried,
        "failure_events": failures,
        "mode": mode,
    }
    return result, unique


def run_baseline(
    name: str, send: Callable[..., list[float]], messages: Sequence[Any], *, sink: SmtpSink
) -> dict:
    sink.drain()
    cpu = PhaseCpu().start()  # no database in the baseline
    began = time.time()
    started = send(messages, host="127.0.0.1", port=sink.port, timeout=SMTP_TIMEOUT)
    usage = cpu.stop([os.getpid(), sink.pid])
    receipts = sink.drain()  # the sink stamps a message before it answers 250: all are here
    if len(receipts) != len(messages):
        raise RuntimeError(f"baseline {name}: sent {len(messages)}, received {len(receipts)}")
    seconds = receipts[-1].at - began
    return {
        "emails": len(receipts),
        "seconds": seconds,
        "per_second": per_second(len(receipts), seconds),
        "latency_s": distribution([r.at - s for r, s in zip(receipts, started, strict=True)]),
        "latency_from": "start of the send (connecting too, where it connects) to receipt",
        "smtp_connections": len({r.connection for r in receipts}),
        "cpu": usage,
    }


# --- Report -------------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def format_report(result: dict) -> str:
    p = result["parameters"]
    m = result["machine"]
    s = result["software"]
    rec = result["record"]
    sl = result["sightline"]
    base = result["baseline"]
    lines = [
        f"Sightline notices benchmark: {p['placements']:,} placements, {p['database']}, "
        f"{p['workers']} worker(s), {p['mode']} mode",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB; "
        f"Python {s['python']}, Django {s['django']}, {s['database']}; "
        f"commit {s['git_commit']}{' (dirty)' if s['git_dirty'] else ''}",
        "",
        f"Recorded {rec['placements']:,} placements in {rec['seconds']:.1f} s: "
        f"{rec['per_second']:.1f} placements/s "
        f"(placement_record p50 {rec['placement_record_ms']['p50']:.1f} ms, "
        f"p95 {rec['placement_record_ms']['p95']:.1f} ms); "
        f"{rec['notices']:,} notices, {rec['email_deliveries']:,} e-mail deliveries",
        "",
    ]
    header = (
        f"{'Delivery':<34}{'e-mails':>9}{'seconds':>10}{'e-mails/s':>11}"
        f"{'latency p50':>13}{'p95':>11}{'SMTP conns':>12}"
    )
    lines += [header, "-" * len(header)]
    rows = [
        (f"Sightline, {p['workers']} worker(s)", sl),
        ("smtplib, connection per message", base["connection_per_message"]),
        ("smtplib, one connection", base["reused_connection"]),
    ]
    for label, row in rows:
        lines.append(
            f"{label:<34}{row['emails']:>9,}{row['seconds']:>10.2f}{row['per_second']:>11.1f}"
            f"{_duration(row['latency_s'].get('p50', math.nan)):>13}"
            f"{_duration(row['latency_s'].get('p95', math.nan)):>11}"
            f"{row['smtp_connections']:>12,}"
        )
    ratios = result["ratios"]
    foreign = ["other_processes_cpu_seconds", "remainder_cpu_seconds"]
    busy = [
        (phase, _share(cpu, foreign, m["cpus"]), cpu["busiest_other_processes"])
        for phase, cpu in (("recording", rec["cpu"]), ("delivering", sl["cpu"]))
        if cpu["wall_seconds"] >= 1  # in live mode delivering is the short tail after recording
    ]
    quiet = all(share is not None and share < 0.10 for _, share, _ in busy)
    lines += [
        "",
        "Sightline latency: notice created (placement committed) to receipt at the sink; "
        "smtplib latency: start of the send to receipt.",
        f"Sightline seconds: worker start to last receipt (first to last receipt: "
        f"{sl['seconds_first_to_last']:.2f} s, {sl['per_second_first_to_last']:.1f} e-mails/s).",
        f"Sightline/baseline throughput: {ratios['vs_connection_per_message']:.3f} of "
        f"connection-per-message smtplib, {ratios['vs_reused_connection']:.3f} of one-connection "
        "smtplib.",
        f"Checks: {sl['statuses']}; {sl['duplicates']} duplicate(s); "
        f"{sl['other_emails_received']} other e-mail(s); "
        f"{sl['deliveries_retried']} retried; {sl['failure_events']} failure event(s); "
        f"worker exit codes {result['workers']['exit_codes']}.",
        "Other processes (not the benchmark, its sink, workers or database) used "
        + "; ".join(
            (f"{share:.0%}" if share is not None else "(unknown)")
            + f" of the machine's CPU while {phase}"
            + (f" ({', '.join(f'{k} {v} s' for k, v in top.items())})" if top else "")
            for phase, share, top in busy
        )
        + ("." if quiet else ". THE MACHINE WAS NOT QUIET: these numbers are pessimistic."),
    ]
    return "\n".join(lines)


def _share(cpu: dict[str, Any], keys: list[str], cpus: int) -> float | None:
    values = [cpu.get(key) for key in keys]
    wall = cpu.get("wall_seconds") or 0
    if any(v is None for v in values) or not wall or not cpus:
        return None
    return max(0.0, sum(values)) / (wall * cpus)


# --- Main ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    progress = logging.StreamHandler(sys.stderr)
    progress.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.addHandler(progress)
    log.setLevel(logging.INFO)
    log.propagate = False
    began = dt.datetime.now(dt.UTC)
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    tmp = Path(tempfile.mkdtemp(prefix="sightline-bench-"))
    sink = SmtpSink()
    database: FreshDatabase | None = None
    workers: Workers | None = None
    ok = False
    try:
        sink.start()
        database = FreshDatabase.create(
            vendor=args.database, directory=tmp, postgres_admin_url=args.postgres_url
        )
        tuning = configure_environment(
            database_url=database.url, smtp_port=sink.port, var_dir=tmp / "var"
        )
        log.info("database %s; SMTP sink on 127.0.0.1:%s", describe_url(database.url), sink.port)
        database_name = database.name if database.vendor == "postgres" else ""

        import django

        django.setup()
        send_logs_to(tmp / "benchmark.log")

        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        migrate_seconds = time.perf_counter() - t0
        log.info("migrated in %.1f s", migrate_seconds)

        from benchmarks.notices import baseline, dataset
        from sightline.notifications.models import Channel, Delivery, Notice
        from sightline.placements.notices import PlacementNoticeKind

        t0 = time.perf_counter()
        world = dataset.build(placements=args.placements, seed=args.seed)
        dataset_seconds = time.perf_counter() - t0
        log.info(
            "%s children and %s homes created in %.1f s",
            len(world.placements),
            world.settings,
            dataset_seconds,
        )

        workers = Workers(count=args.workers, interval=args.interval, log_dir=tmp)
        if args.mode == "live":
            workers.start()
            workers.wait_ready()
            log.info("%s worker(s) ready; recording while they deliver", args.workers)

        log.info("recording %s placements", args.placements)
        cpu = PhaseCpu(database_name=database_name).start()
        record = record_placements(world.placements, rate=args.rate, record=dataset.record)
        record["cpu"] = cpu.stop([os.getpid(), sink.pid, *workers.pids])
        record["notices"] = Notice.objects.count()
        expected = Delivery.objects.filter(
            channel=Channel.EMAIL, notice__kind=PlacementNoticeKind.PLACEMENT
        ).count()
        record["email_deliveries"] = expected
        log.info(
            "recorded in %.1f s (%.1f/s); %s e-mail deliveries to make",
            record["seconds"],
            record["per_second"],
            expected,
        )

        cpu = PhaseCpu(database_name=database_name).start()
        if args.mode == "backlog":
            workers.start()
            log.info("%s worker(s) started", args.workers)
        delivered, why = wait_until_final(
            sink=sink, expected=expected, workers=workers, timeout=args.timeout
        )
        delivery_cpu = cpu.stop([os.getpid(), sink.pid, *workers.pids])
        exit_codes = workers.stop()
        log.info("workers stopped (exit codes %s)", exit_codes)
        if not delivered:
            log.error("not every e-mail was delivered: %s", why)
            return 1

        receipts = sink.drain()
        sightline, unique = sightline_delivery(receipts, workers=workers, mode=args.mode)
        sightline["cpu"] = delivery_cpu
        messages = [baseline.Message(r.mail_from, r.rcpt_tos, r.data) for r in unique]
        log.info("baseline: smtplib, a connection per message")
        per_message = run_baseline(
            "connection_per_message", baseline.send_connection_per_message, messages, sink=sink
        )
        log.info("baseline: smtplib, one connection")
        reused = run_baseline(
            "reused_connection", baseline.send_reused_connection, messages, sink=sink
        )

        result = {
            "benchmark": "notices",
            "started_at": began.isoformat(timespec="seconds"),
            "command": " ".join(["python -m benchmarks.notices", *(argv or sys.argv[1:])]),
            "parameters": {
                "placements": args.placements,
                "database": args.database,
                "workers": args.workers,
                "mode": args.mode,
                "rate": args.rate,
                "worker_interval": args.interval,
                "seed": args.seed,
                "environment": tuning,
            },
            "machine": {**machine(), "load_average_1m_at_start": load_at_start},
            "software": software(args.database),
            "setup": {
                "migrate_seconds": migrate_seconds,
                "dataset_seconds": dataset_seconds,
                "councils": world.councils,
                "police_forces": world.police_forces,
                "homes": world.settings,
            },
            "record": record,
            "sightline": sightline,
            "baseline": {"connection_per_message": per_message, "reused_connection": reused},
            "ratios": {
                "vs_connection_per_message": sightline["per_second"] / per_message["per_second"],
                "vs_reused_connection": sightline["per_second"] / reused["per_second"],
            },
            "workers": {"exit_codes": exit_codes, "tracebacks_in_logs": workers.tracebacks()},
        }
        args.results_dir.mkdir(parents=True, exist_ok=True)
        path = args.results_dir / f"notices-{began:%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(format_report(result))
        print(f"\nResults: {path}")
        ok = True
        return 0
    finally:
        if workers is not None and workers.any_running():
            workers.stop(timeout=10)
        sink.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if database is not None and not args.keep:
            database.drop()
        elif database is not None:
            print(f"Kept the database: {describe_url(database.url)}", file=sys.stderr)
        if args.keep or not ok:
            print(f"Kept the logs: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
