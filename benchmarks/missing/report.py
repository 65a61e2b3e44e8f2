"""From outcomes and e-mail receipts to the numbers: latency percentiles, errors by status,
report-to-e-mail times, what was lost. Pure functions; no Django."""

from __future__ import annotations

import json
import math
import os
import platform
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.missing.load import Outcome
from benchmarks.missing.sink import Receipt

PERCENTILES = (50, 95, 99)
# Busier than this with the servers idle, and something else is running on the machine.
IDLE_WARNING = 0.10


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile, interpolated between the two nearest ranks; None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def distribution(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values),
        **{f"p{q}": percentile(values, q) for q in PERCENTILES},
        "max": max(values) if values else None,
        "mean": sum(values) / len(values) if values else None,
    }


def status_label(outcome: Outcome) -> str:
    return str(outcome.status) if outcome.status is not None else (outcome.error or "no answer")


def counted_latency(outcome: Outcome, *, timeout: float) -> float:
    """A request's latency as the percentiles count it: an answer at its latency, whatever
    its status; no answer (a time-out, a dropped connection) at the client's timeout, so that
    a server that answers nothing cannot look fast."""
    return outcome.latency if outcome.status is not None else max(timeout, outcome.latency)


def phase_summary(
    outcomes: list[Outcome], *, expected: int, cpu: dict[str, float | None], timeout: float
) -> dict[str, Any]:
    ok = [o for o in outcomes if o.status == expected]
    first_due = min((o.due for o in outcomes), default=0.0)
    last_done = max((o.due + o.latency for o in outcomes), default=0.0)
    samples: dict[str, str] = {}
    for o in outcomes:
        if o.status != expected:
            samples.setdefault(status_label(o), o.body.decode(errors="replace")[:300])
    return {
        "requests": len(outcomes),
        "succeeded": len(ok),
        "by_status": dict(sorted(Counter(status_label(o) for o in outcomes).items())),
        "error_samples": samples,
        # Over every request sent (see ``counted_latency``); and over the successes alone.
        "latency_seconds": distribution([counted_latency(o, timeout=timeout) for o in outcomes]),
        "succeeded_latency_seconds": distribution([o.latency for o in ok]),
        "throughput_per_second": len(ok) / (last_done - first_due) if last_done > first_due else 0,
        "cpu_seconds": cpu,
    }


@dataclass
class EmailFindings:
    """What the sink received against what the accepted reports owed."""

    per_email: list[float]  # seconds from a report leaving to each of its e-mails arriving
    after_answer: list[float]  # ... from the report's answer to each of its e-mails arriving
    per_report: list[float]  # ... to the last of its e-mails arriving
    accepted: int  # reports the database committed (owed e-mails)
    answered: int  # ... of which the client got its 201
    expected_emails: int
    received_expected: int
    lost_reports: list[str]  # episode ids of accepted reports with an e-mail missing
    lost_emails: int
    duplicates: int
    unexpected: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted_reports": self.accepted,
            "answered_reports": self.answered,
            "committed_after_client_gave_up": self.accepted - self.answered,
            "expected_emails": self.expected_emails,
            "received_expected_emails": self.received_expected,
            "report_to_email_seconds": distribution(self.per_email),
            "report_to_all_emails_seconds": distribution(self.per_report),
            "answer_to_email_seconds": distribution(self.after_answer),
            "lost_reports": len(self.lost_reports),
            "lost_emails": self.lost_emails,
            "lost_report_episode_ids": self.lost_reports[:50],
            "duplicate_emails": self.duplicates,
            "unexpected_emails": self.unexpected,
        }


def expected_emails(
    outcomes: list[Outcome], *, emailed_organisations: frozenset[str]
) -> dict[int, tuple[str, list[str]]]:
    """For each accepted report (by index): its episode id and the references of the notices
    that owe an e-mail (one per alerted organisation with an address), from the API's answer."""
    owed: dict[int, tuple[str, list[str]]] = {}
    for outcome in outcomes:
        if outcome.status != 201:
            continue
        answer = json.loads(outcome.body)
        owed[outcome.index] = (
            answer["id"],
            [
                alert["reference"]
                for alert in answer["alerts"]
                if alert["event"] == "reported" and alert["recipient"] in emailed_organisations
            ],
        )
    return owed


def email_findings(
    outcomes: list[Outcome],
    owed: dict[int, tuple[str, list[str]]],
    receipts: list[Receipt],
    *,
    answered: set[int] | None = None,
) -> EmailFindings:
    """``owed``: every committed report (from the database), by request index; ``answered``
    the indexes whose client got its 201 (default: all of ``owed``)."""
    first_receipt: dict[str, float] = {}
    seen: Counter[str] = Counter()
    for receipt in receipts:
        seen[receipt.reference] += 1
        first_receipt.setdefault(receipt.reference, receipt.at)
    sent_at = {o.index: o.sent for o in outcomes}
    answered_at = {o.index: o.due + o.latency for o in outcomes}
    per_email: list[float] = []
    after_answer: list[float] = []
    per_report: list[float] = []
    lost_reports: list[str] = []
    lost_emails = 0
    expected: set[str] = set()
    for index, (episode_id, references) in owed.items():
        expected.update(references)
        arrived = [first_receipt[r] - sent_at[index] for r in references if r in first_receipt]
        per_email.extend(arrived)
        after_answer.extend(
            first_receipt[r] - answered_at[index] for r in references if r in first_receipt
        )
        missing = len(references) - len(arrived)
        if missing:
            lost_emails += missing
            lost_reports.append(episode_id)
        elif arrived:
            per_report.append(max(arrived))
    return EmailFindings(
        per_email=per_email,
        after_answer=after_answer,
        per_report=per_report,
        accepted=len(owed),
        answered=len(owed) if answered is None else len(set(owed) & answered),
        expected_emails=len(expected),
        received_expected=sum(1 for r in expected if r in first_receipt),
        lost_reports=lost_reports,
        lost_emails=lost_emails,
        duplicates=sum(n - 1 for r, n in seen.items() if r in expected and n > 1),
        unexpected=sum(n for r, n in seen.items() if r not in expected),
    )


# --- The machine --------------------------------------------------------------------------


def loadavg() -> list[float] | None:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    model = ""
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


# --- The table ----------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.1f} s"


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}x"


def _errors(by_status: dict[str, int], expected: str) -> str:
    errors = {k: v for k, v in by_status.items() if k != expected}
    return ", ".join(f"{k}: {v}" for k, v in errors.items()) or "none"


def _cpu_ms(phase: dict[str, Any], part: str) -> str:
    seconds = phase["cpu_seconds"].get(part)
    if seconds is None or not phase["requests"]:
        return "—"
    return f"{seconds * 1000 / phase['requests']:.1f}"


def table(result: dict[str, Any]) -> str:
    run = result["run"]
    phases = result["phases"]
    lines = [
        f"Missing-episodes benchmark: {run['database_version']}; {run['rate']:g}/s for "
        f"{run['duration']:g} s per phase; {result['machine']['cpus']} CPUs; gunicorn "
        f"{run['web_workers']} workers per server; 1 sightline worker",
        f"Database statistics: {run.get('database_statistics', 'not analysed')}",
        "",
        f"{'':18}{'sent':>6}{'201':>6}{'p50':>10}{'p95':>10}{'p99':>10}{'max':>10}"
        f"{'CPU':>6}{'other':>7}{'web':>7}{'pg':>7}{'pg db':>7}{'wrk':>6}  errors",
    ]
    for name, label, web in (
        ("bare", "bare endpoint", "bare web"),
        ("sightline", "Sightline report", "sightline web"),
    ):
        phase = phases[name]
        lat = phase["latency_seconds"]
        busy = phase["cpu_seconds"].get("machine busy share")
        other = phase["cpu_seconds"].get("other share")
        lines.append(
            f"{label:18}{phase['requests']:>6}{phase['succeeded']:>6}{_ms(lat['p50']):>10}"
            f"{_ms(lat['p95']):>10}{_ms(lat['p99']):>10}{_ms(lat['max']):>10}"
            f"{_share(busy):>6}{_share(other):>7}{_cpu_ms(phase, web):>7}"
            f"{_cpu_ms(phase, 'postgresql'):>7}"
            f"{_cpu_ms(phase, 'postgresql (run' + chr(39) + 's database)'):>7}"
            f"{_cpu_ms(phase, 'worker'):>6}  {_errors(phase['by_status'], '201')}"
        )
    ratios = result["ratios"]
    email = result["email"]
    per_email = email["report_to_email_seconds"]
    per_report = email["report_to_all_emails_seconds"]
    after = email["answer_to_email_seconds"]
    idle = result["machine"]["idle_cpu_seconds"].get("machine busy share")
    lines += [
        "Latency from when each request was due to leave, over every request sent (no answer "
        f"counts at the {run['client_timeout']:g} s timeout). CPU: the machine's busy share "
        "during the phase; other: the share used by processes outside the benchmark; web, "
        "pg, pg db, wrk: CPU ms per request of the gunicorn server, of the whole PostgreSQL "
        "server the run's database is on, of that database's backends only, and of the "
        "Sightline worker (delivery).",
        "",
        f"p99 ratio Sightline / bare: {_x(ratios['p99'])}   "
        f"(p50 {_x(ratios['p50'])}, p95 {_x(ratios['p95'])})",
        f"Report -> e-mail delivered ({per_email['n']} e-mails): p50 {_s(per_email['p50'])}, "
        f"p95 {_s(per_email['p95'])}, p99 {_s(per_email['p99'])}, max {_s(per_email['max'])}",
        f"Report -> all its e-mails delivered ({per_report['n']} reports): "
        f"p50 {_s(per_report['p50'])}, p95 {_s(per_report['p95'])}, "
        f"max {_s(per_report['max'])}",
        f"API answer -> e-mail delivered (the worker's part): p50 {_s(after['p50'])}, "
        f"p95 {_s(after['p95'])}, max {_s(after['max'])}",
        f"Committed reports: {email['accepted_reports']} ({email['answered_reports']} answered "
        f"201, {email['committed_after_client_gave_up']} committed after the client gave up)",
        f"Lost: {email['lost_reports']} of {email['accepted_reports']} committed reports "
        f"({email['lost_emails']} of {email['expected_emails']} e-mails) after waiting up to "
        f"{run['grace']:g} s; duplicates {email['duplicate_emails']}, "
        f"unexpected {email['unexpected_emails']}",
    ]
    counts = result["database_counts"]
    lines.append(
        f"Database at the end: {counts['episodes']} episodes; e-mail deliveries by status "
        + ", ".join(f"{k} {v}" for k, v in counts["email_deliveries_by_status"].items())
    )
    load = result["machine"].get("load")
    if load:
        lines.append(f"Load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if idle is not None and idle > IDLE_WARNING:
        lines.append(
            f"WARNING: the machine was {idle:.0%} busy before the load started: something "
            "else is running, and these numbers are not comparable."
        )
    return "\n".join(lines)


# Issue 13's goals (``--goal``).
CPU_GOAL_MS = 20.0
P99_RATIO_GOAL = 5.0
# Keeping up: a server that falls behind an open-loop load builds a queue, and its p99 grows
# with the length of the run (tens of seconds in 5 minutes); one that keeps up answers within
# about a second.
KEEPING_UP_P99_SECONDS = 2.0


def cpu_per_report_ms(result: dict[str, Any]) -> dict[str, float | None]:
    """CPU ms per report in all, as issue 13 counts it: the gunicorn server, the run's
    database's own backends and the Sightline worker (delivery), during the report phase."""
    phase = result["phases"]["sightline"]
    cpu = phase["cpu_seconds"]
    parts = {
        "web": cpu.get("sightline web"),
        "postgresql (run's database)": cpu.get("postgresql (run's database)"),
        "worker": cpu.get("worker"),
    }
    per = {
        name: (
            seconds * 1000 / phase["requests"]
            if seconds is not None and phase["requests"]
            else None
        )
        for name, seconds in parts.items()
    }
    known = [v for v in per.values() if v is not None]
    per["in all"] = sum(known) if len(known) == len(parts) else None
    # Shown, not added again: the long lane's sweeps (links, screening prompts: ADR 62), whose
    # cost grows with the data held and falls in a phase or not by the clock, not with the
    # reports. Already counted in the worker's and the database's figures above.
    for name, key in (
        ("of which the long lane's worker", "worker's long lane (within worker)"),
        (
            "of which the long lane's database",
            "postgresql: the worker's long lane (within postgresql (run's database))",
        ),
    ):
        seconds = cpu.get(key)
        if seconds is not None and phase["requests"]:
            per[name] = seconds * 1000 / phase["requests"]
    return per


def goals(result: dict[str, Any], *, goal: str | None) -> dict[str, Any]:
    """Each of issue 13's goals this run can judge, with the figure and whether it is met.
    ``goal``: which run this was meant to be (``--goal``), or None for any other run, whose
    figures are given without a verdict on the rate-bound goals."""
    phase = result["phases"]["sightline"]
    email = result["email"]
    cpu = cpu_per_report_ms(result)
    ratio = result["ratios"].get("p99")
    p99 = phase["latency_seconds"].get("p99")
    checks: dict[str, dict[str, Any]] = {
        "cpu_per_report_ms": {
            "goal": f"<= {CPU_GOAL_MS:g} ms (web + run's database + worker)",
            "value": cpu,
            "met": cpu["in all"] is not None and cpu["in all"] <= CPU_GOAL_MS,
        },
        "nothing_lost": {
            "goal": "every committed report's e-mails received, no duplicates",
            "value": {
                "lost_reports": email["lost_reports"],
                "duplicates": email["duplicate_emails"],
            },
            "met": email["lost_reports"] == 0 and email["duplicate_emails"] == 0,
        },
    }
    if goal in (None, "latency"):
        checks["p99_ratio"] = {
            "goal": f"<= {P99_RATIO_GOAL:g}x the bare endpoint (at 5/s)",
            "value": ratio,
            "met": ratio is not None and ratio <= P99_RATIO_GOAL,
        }
    if goal in (None, "throughput"):
        checks["keeping_up"] = {
            "goal": "every request answered 201, p99 within "
            f"{KEEPING_UP_P99_SECONDS:g} s (no queue building) (at 40/s for 300 s)",
            "value": {
                "rate": result["run"]["rate"],
                "duration": result["run"]["duration"],
                "answered_201": phase["succeeded"],
                "sent": phase["requests"],
                "p99_seconds": p99,
                "throughput_per_second": phase["throughput_per_second"],
            },
            "met": phase["succeeded"] == phase["requests"]
            and p99 is not None
            and p99 <= KEEPING_UP_P99_SECONDS,
        }
    busy = result["machine"]["idle_cpu_seconds"].get("machine busy share")
    return {
        "goal": goal,
        "checks": checks,
        # A verdict only for the run the goal names, on a machine that was idle before it.
        "judged": goal is not None
        and busy is not None
        and busy <= IDLE_WARNING
        and result["run"]["rate"] == (40.0 if goal == "throughput" else 5.0)
        and result["run"]["duration"] >= 300,
    }


def goals_text(found: dict[str, Any]) -> str:
    lines = ["", f"Issue 13's goals ({found['goal'] or 'no --goal: figures only'}):"]
    for name, check in found["checks"].items():
        value = check["value"]
        if name == "cpu_per_report_ms":
            shown = ", ".join(f"{k} {_ms_value(v)}" for k, v in value.items())
        elif name == "p99_ratio":
            shown = _x(value)
        else:
            shown = ", ".join(
                f"{k} {v if not isinstance(v, float) else round(v, 3)}" for k, v in value.items()
            )
        lines.append(
            f"  {name}: {shown}; goal {check['goal']}: {'met' if check['met'] else 'NOT met'}"
        )
    if not found["judged"]:
        lines.append(
            "  (not a verdict: a verdict needs --goal, its rate and 300 s, and a machine idle "
            "before the load)"
        )
    return "\n".join(lines)


def _ms_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"
