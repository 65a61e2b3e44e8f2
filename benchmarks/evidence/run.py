"""The evidence benchmark: the full inquiry report against a hand-written Polars query of the
same headline figures, measured in the same run on the same extract (docs/benchmarks.md).

    python -m benchmarks.evidence                          # 1.2 million episodes, simulated
    python -m benchmarks.evidence --episodes 100000        # a quick try
    python -m benchmarks.evidence --returns DIR            # SSDA903 returns (synth england)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent.parent / "results"


def _setup(directory: Path) -> None:
    os.environ["SIGHTLINE_MODE"] = "test"
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], list[float], Any]:
    """Median wall-clock seconds, every run's wall-clock and CPU seconds (CPU: this process,
    all its threads), and the last result."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), times, cpu, result


def _load() -> list[float]:
    """The machine's load average (1, 5 and 15 minutes): other work inflates wall-clock
    figures, so every result records it."""
    return [round(x, 2) for x in os.getloadavg()]


def baseline(directory: Path, *, area_councils: list[str] | None, year_from: int, year_to: int):
    """The headline figures, written by hand in Polars straight from the Parquet files: missing
    incidents from homes in the area by year and how many were other councils' children (Q1),
    and missing incidents per 1,000 placement-days by year and by distance band (Q2)."""
    import polars as pl

    meta = json.loads((directory / "extract.json").read_text())
    as_of = dt.date.fromisoformat(meta["as_of"])
    spells = pl.scan_parquet(directory / "spells.parquet")
    missing = pl.scan_parquet(directory / "missing.parquet")
    in_area = pl.col("host_council").is_in(area_councils) if area_councils else pl.lit(True)
    year = pl.col("start").dt.year() + (pl.col("start").dt.month() >= 4).cast(pl.Int32)
    q1 = (
        missing.filter(in_area & (pl.col("kind") == "M"))
        .with_columns(year=year)
        .filter(pl.col("year").is_between(year_from, year_to))
        .group_by("year")
        .agg(
            missing=pl.len(),
            other=(pl.col("placing_council") != pl.col("host_council")).sum(),
        )
        .sort("year")
    )
    first, last = dt.date(year_from - 1, 4, 1), dt.date(year_to, 4, 1)
    exposure = (
        spells.filter(in_area)
        .with_columns(stop=pl.col("end").fill_null(as_of + dt.timedelta(days=1)))
        .filter((pl.col("start") < last) & (pl.col("stop") > first))
        .with_columns(
            band=pl.col("distance_miles").cut([5, 10, 20, 50], left_closed=False),
            year=pl.int_ranges(
                pl.max_horizontal("start", pl.lit(first)).dt.year()
                + (pl.max_horizontal("start", pl.lit(first)).dt.month() >= 4).cast(pl.Int32),
                (pl.min_horizontal("stop", pl.lit(last)) - pl.duration(days=1)).dt.year()
                + (
                    (pl.min_horizontal("stop", pl.lit(last)) - pl.duration(days=1)).dt.month() >= 4
                ).cast(pl.Int32)
                + 1,
            ),
        )
        .explode("year")
        .with_columns(
            days=(
                pl.min_horizontal("stop", pl.date(pl.col("year"), 4, 1))
                - pl.max_horizontal("start", pl.date(pl.col("year") - 1, 4, 1))
            ).dt.total_days()
        )
    )
    incidents = (
        missing.filter(pl.col("kind") == "M")
        .with_columns(year=year)
        .group_by("spell_id", "year")
        .agg(n=pl.len())
    )
    joined = exposure.join(incidents, on=["spell_id", "year"], how="left").with_columns(
        pl.col("n").fill_null(0)
    )
    by_year = (
        joined.group_by("year")
        .agg(days=pl.col("days").sum(), n=pl.col("n").sum())
        .with_columns(rate=1000 * pl.col("n") / pl.col("days"))
        .sort("year")
    )
    by_band = (
        joined.group_by("band")
        .agg(days=pl.col("days").sum(), n=pl.col("n").sum())
        .with_columns(rate=1000 * pl.col("n") / pl.col("days"))
        .sort("band")
    )
    q1, by_year, by_band = pl.collect_all([q1, by_year, by_band])
    return {"q1": q1, "by_year": by_year, "by_band": by_band}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.evidence", description=__doc__)
    parser.add_argument("--episodes", type=int, default=1_200_000)
    parser.add_argument("--from", dest="year_from", type=int, default=2016)
    parser.add_argument("--to", dest="year_to", type=int, default=2025)
    parser.add_argument("--returns", type=Path, default=None, help="A folder of 903 returns.")
    parser.add_argument("--area", default="Stockport")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="sightline-bench-evidence-"))
    _setup(work)
    import polars as pl

    from sightline.evidence import areas, charts, frames, inquiry, present, report, sources
    from sightline.evidence.questions import Query
    from sightline.evidence.simulate import PLANTED_IRR, national_extract

    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(),
        "polars": pl.__version__,
        "threads": pl.thread_pool_size(),
        "years": [args.year_from, args.year_to],
        "cpus": os.cpu_count(),
        "command": " ".join(["python -m benchmarks.evidence", *(argv or sys.argv[1:])]),
        "load_average_start": _load(),
    }
    log = sys.stderr.write
    started = time.perf_counter()
    if args.returns:
        extract = sources.from_returns(args.returns)
        results["source"] = f"903 returns in {args.returns}"
    else:
        extract = national_extract(
            councils=sources.councils_frame(),
            forces=sources.forces_frame(),
            episodes=args.episodes,
            year_from=args.year_from,
            year_to=args.year_to,
            seed=args.seed,
        )
        results["source"] = "simulated national extract"
    results["extract_seconds"] = time.perf_counter() - started
    directory = work / "extract"
    frames.save(extract, directory)
    results["episodes"] = extract.spells.height
    results["missing_rows"] = extract.missing.height
    log(
        f"extract: {extract.spells.height:,} placement episodes, {extract.missing.height:,} "
        f"missing and away incidents in {results['extract_seconds']:.1f} s\n"
    )

    runs: dict[str, Any] = {}
    for label in ("England", args.area):
        area = areas.resolve(label, frames.load(directory))
        councils = areas.council_codes(area, extract)
        query = Query(area, args.year_from, args.year_to)
        out = work / f"report-{label}.html"

        def full_report(query: Query = query, out: Path = out) -> inquiry.Inquiry:
            # Nothing carried over from the run before: no kept charts, placement-years or
            # results; the extract is read from Parquet again (the columns the questions
            # use, as the dashboards read it) and nothing derived is kept.
            charts._images.clear()
            inquiry.forget()
            loaded = frames.load(directory, used_only=True)
            result = inquiry.run(query, loaded)
            report.write(result, out)
            return result

        def hand(councils: list[str] | None = councils) -> dict[str, pl.DataFrame]:
            return baseline(
                directory,
                area_councils=councils,
                year_from=args.year_from,
                year_to=args.year_to,
            )

        # Alternate so that neither side always runs on a warmer cache.
        load_before = _load()
        t_hand, hand_times, hand_cpu, figures = _timed(hand, args.repeat)
        t_report, report_times, report_cpu, result = _timed(full_report, args.repeat)
        # The same figures from both sides (an independent count).
        by_year = result.table("q1-share-by-year").frame
        match_q1 = by_year.filter(pl.col("missing") > 0).select(
            "year", "missing", "missing_other"
        ).rows() == [(y, m, o) for y, m, o in figures["q1"].rows()]
        trend = result.table("q2-trend").frame.filter(pl.col("days") > 0)
        rates_equal = all(
            abs(a - b) < 1e-9
            for a, b in zip(trend["missing_rate"], figures["by_year"]["rate"], strict=True)
        )
        runs[label] = {
            "report_seconds": t_report,
            "report_runs": report_times,
            "report_cpu_runs": report_cpu,
            "report_cpu_seconds": statistics.median(report_cpu),
            "baseline_seconds": t_hand,
            "baseline_runs": hand_times,
            "baseline_cpu_runs": hand_cpu,
            "baseline_cpu_seconds": statistics.median(hand_cpu),
            "ratio": t_report / t_hand,
            "cpu_ratio": statistics.median(report_cpu) / statistics.median(hand_cpu),
            "load_average": [load_before, _load()],
            "q1_counts_match": match_q1,
            "q2_rates_match": rates_equal,
            "report_bytes": out.stat().st_size,
        }
        log(
            f"{label}: report {t_report:.2f} s (CPU {runs[label]['report_cpu_seconds']:.2f} s), "
            f"hand-written Polars {t_hand:.2f} s (CPU {runs[label]['baseline_cpu_seconds']:.2f} "
            f"s), ratio {t_report / t_hand:.2f}; figures match: Q1 {match_q1}, Q2 {rates_equal}; "
            f"load {load_before}\n"
        )
        if label == "England" and not args.returns:
            fit = result.table("q3-distance-model").frame
            runs[label]["irr"] = {
                r["distance_band"]: [
                    r["irr"],
                    r["lower"],
                    r["upper"],
                    PLANTED_IRR[r["distance_band"]],
                ]
                for r in fit.to_dicts()
            }
    results["runs"] = runs

    # A filter change on the dashboard: one tab, one area, from the extract already in memory
    # with its placement-years worked out once when it was loaded (frames.load_cached).
    from sightline.evidence.questions import placement_years, placements_with_incidents

    loaded = frames.load(directory, used_only=True)  # as frames.load_cached reads it
    started, started_cpu = time.perf_counter(), time.process_time()
    placement_years(loaded)
    placements_with_incidents(loaded)
    results["dashboard_load_seconds"] = time.perf_counter() - started
    results["dashboard_load_cpu_seconds"] = time.process_time() - started_cpu
    log(f"dashboard: placement-years worked out in {results['dashboard_load_seconds']:.2f} s\n")
    changes = []
    for label in ("England", args.area, "region:North West", "police:Greater Manchester"):
        area = areas.resolve(label, loaded)
        for tab in inquiry.SECTIONS:

            def change(area: areas.Area = area, tab: str = tab) -> None:
                # A change of filters: nothing kept from the last answer or its charts.
                charts._images.clear()
                inquiry.forget()
                query = Query(area, args.year_from, args.year_to)
                result = inquiry.run(query, loaded, only=(tab,))
                for t in result.tables():
                    present.page_rows(t)
                    charts.image(t)

            wall, _, cpu, _ = _timed(change, args.repeat)
            changes.append((label, tab, wall, statistics.median(cpu)))
    slowest = max(changes, key=lambda c: c[2])
    results["filter_change_seconds"] = {f"{a} {t}": s for a, t, s, _ in changes}
    results["filter_change_cpu_seconds"] = {f"{a} {t}": c for a, t, _, c in changes}
    results["filter_change_max"] = slowest[2]
    results["load_average_end"] = _load()
    log(f"dashboard filter change: slowest {slowest[2]:.2f} s ({slowest[0]}, {slowest[1]})\n")

    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"evidence-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    print(
        f"{'area':<12} {'report s':>9} {'(CPU)':>7} {'Polars s':>9} {'(CPU)':>7} {'ratio':>6}"
        f" {'CPU ratio':>9}  figures match"
    )
    for label, r in runs.items():
        ok = r["q1_counts_match"] and r["q2_rates_match"]
        print(
            f"{label:<12} {r['report_seconds']:>9.2f} {r['report_cpu_seconds']:>7.2f} "
            f"{r['baseline_seconds']:>9.2f} {r['baseline_cpu_seconds']:>7.2f} "
            f"{r['ratio']:>6.2f} {r['cpu_ratio']:>9.2f}  {'yes' if ok else 'NO'}"
        )
    print(
        f"dashboard: placement-years at load {results['dashboard_load_seconds']:.2f} s; "
        "filter changes (median wall s) by tab:"
    )
    for label in dict.fromkeys(a for a, _, _, _ in changes):
        row = " ".join(f"{t} {s:.2f}" for a, t, s, _ in changes if a == label)
        print(f"  {label:<26} {row}")
    print(f"load average: start {results['load_average_start']}, end {results['load_average_end']}")
    print(f"slowest dashboard filter change: {slowest[2]:.2f} s ({slowest[0]}, {slowest[1]})")
    if "irr" in runs.get("England", {}):
        print("Q3 incidence-rate ratios (estimate, 95% interval, planted):")
        for band, (irr, lo, hi, planted) in runs["England"]["irr"].items():
            interval = f"{lo:.3f} to {hi:.3f}" if lo is not None else "reference"
            print(f"  {band:<16} {irr:.3f}  {interval:<16} planted {planted}")
    print(f"results: {path}")
    ok = all(r["q1_counts_match"] and r["q2_rates_match"] for r in runs.values())
    return 0 if ok else 1
