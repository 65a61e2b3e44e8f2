"""The link benchmark (issue 18, part 4): on a fresh seed, plant exploitation networks in a
synthetic England (``synth.england.networks``), compute the links (``exploitation.linking``)
and report precision and recall at the child-pair level, the time to compute them, and the
machine's load, with a naive baseline measured in the same run (docs/benchmarks.md).

    python -m benchmarks.links                      # England, a fresh seed (printed)
    python -m benchmarks.links --seed 2019          # the same facts again
    python -m benchmarks.links --councils 352,356 --scale 0.5    # a quick try

The baseline links any two children with one overlapping episode from the same or nearby
settings (the same 10 km and hours as the link core), found by a plain sweep over episodes
sorted by start: what "missing together" means without scoring or an index.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent.parent / "results"


def _setup(directory: Path) -> None:
    """A throwaway SQLite database with the reference geography the generator reads."""
    os.environ["SIGHTLINE_MODE"] = "test"
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _load() -> list[float]:
    """The machine's load average (1, 5 and 15 minutes): other work inflates wall-clock
    figures, so every result records it."""
    return [round(x, 2) for x in os.getloadavg()]


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock and CPU seconds (this process) of one call, and its result."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - started, time.process_time() - started_cpu, result


def naive_links(absences: Sequence[Any], *, params: Any) -> set[tuple[str, str]]:
    """Every pair of children with one overlapping episode from the same or nearby settings:
    episodes sorted by start, each compared with those starting within the window."""
    from sightline.exploitation.linking import haversine_m

    ordered = sorted(absences, key=lambda a: a.start)
    window = params.start_within
    pairs: set[tuple[str, str]] = set()
    for i, first in enumerate(ordered):
        first_end = first.end or first.start + params.open_for
        for second in ordered[i + 1 :]:
            if second.start - first.start > window:
                break
            if second.child == first.child:
                continue
            second_end = second.end or second.start + params.open_for
            if min(first_end, second_end) - second.start < params.overlap_min:
                continue
            same = first.setting is not None and first.setting == second.setting
            if not same and (
                first.point is None
                or second.point is None
                or haversine_m(first.point, second.point) > params.nearby_m
            ):
                continue
            pairs.add((min(first.child, second.child), max(first.child, second.child)))
    return pairs


def _scores(found: set[tuple[str, str]], truth: frozenset[tuple[str, str]]) -> dict[str, Any]:
    hits = len(found & truth)
    return {
        "linked": len(found),
        "true_links": hits,
        "precision": round(hits / len(found), 4) if found else None,
        "recall": round(hits / len(truth), 4) if truth else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.links", description=__doc__)
    parser.add_argument("--seed", type=int, default=None, help="Default: a fresh one.")
    parser.add_argument("--year", type=int, default=2025, help="Collection year (to 31 March).")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--councils", default="", help="DfE codes, comma-separated.")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    councils = tuple(c.strip() for c in args.councils.split(",") if c.strip()) or None

    with tempfile.TemporaryDirectory(prefix="bench-links-") as temporary:
        _setup(Path(temporary))
        from sightline.exploitation.linking import LinkParams, compute_links
        from sightline.synth.england.networks import planted_england

        print(f"seed {seed}: simulating {args.year} and planting networks...", file=sys.stderr)
        generated_s, _cpu, planted = _timed(
            lambda: planted_england(seed=seed, year=args.year, scale=args.scale, councils=councils)
        )
        params = LinkParams()
        load_before = _load()
        link_s, link_cpu, links = _timed(
            lambda: compute_links(
                planted.absences, planted.sightings, planted.mentions, params=params
            )
        )
        load_after = _load()
        confirmed = {(link.a, link.b) for link in links if link.confirmed}
        result: dict[str, Any] = {
            "seed": seed,
            "year": args.year,
            "scale": args.scale,
            "councils": list(councils or ()),
            "facts": {
                "absences": len(planted.absences),
                "sightings": len(planted.sightings),
                "mentions": len(planted.mentions),
                "children_in_homes": planted.children_in_homes,
                "networks": len(planted.networks),
                "children_in_networks": sum(len(n) for n in planted.networks),
                "true_pairs": len(planted.truth),
            },
            "generate_seconds": round(generated_s, 1),
            "links": {
                **_scores(confirmed, planted.truth),
                "pairs_with_evidence": len(links),
                "seconds": round(link_s, 2),
                "cpu_seconds": round(link_cpu, 2),
                "load_before": load_before,
                "load_after": load_after,
            },
            "any_evidence": _scores({(link.a, link.b) for link in links}, planted.truth),
        }
        if not args.no_baseline:
            load_before = _load()
            base_s, base_cpu, naive = _timed(lambda: naive_links(planted.absences, params=params))
            result["baseline_any_overlap"] = {
                **_scores(naive, planted.truth),
                "seconds": round(base_s, 2),
                "cpu_seconds": round(base_cpu, 2),
                "load_before": load_before,
                "load_after": _load(),
            }

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"links-{time.strftime('%Y%m%dT%H%M%S')}-seed{seed}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}", file=sys.stderr)
    return 0
