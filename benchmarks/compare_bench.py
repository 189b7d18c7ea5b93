"""Benchmark of `jiuzhu compare`: a synthetic population through every built-in region.

    python benchmarks/compare_bench.py [--people N] [--seed S] [--chunk N] [--regions a,b]
                                       [--baseline] [--json]

Prints, per region, the seconds the engine takes (through the hooks, as `jiuzhu compare`
runs it). With --baseline it also runs a hand-vectorized NumPy pass for the same figures
(benchmarks/compare_baseline.py) in the same process, over the same chunks, checks that
every figure is equal, and prints the ratio engine / baseline (target: <= 1.5 per region).
The ratio is of the same figures: the engine runs without the other dimensions (one-form
coverage, supervision, time, finding people; the baseline has none of them), whose cost is
timed apart and printed as "dimensions" (seconds the full run takes beyond the ratio's).
--json prints {"regions": {id: {"seconds", "baseline_seconds", "ratio"}}, ...} instead.
Generating the population is timed apart and not counted in either.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.plugins.compare.engine import DEFAULT_CHUNK, PlanSettings, compare
from jiuzhu.plugins.compare.kinds import KINDS
from jiuzhu.plugins.compare.population import People, PopulationSettings, generate
from jiuzhu.plugins.compare.results import RegionResult

sys.path.insert(0, str(Path(__file__).parent))
from compare_baseline import Figures, baseline

ON = date(2025, 6, 1)


def engine_figures(r: RegionResult) -> Figures:
    return Figures(
        eligible=r.eligibility.eligible,
        served=r.persons_served,
        full_use=r.entitlement.full_use,
        tier_spent=[t.spent_fen for t in r.entitlement.tiers],
        item_units={i.code: i.units for i in r.items},
        item_persons={i.code: i.persons for i in r.items},
        met=[n.met_units for n in r.needs],
        by_source=[s.spent_fen for s in r.funding],
        includes=[x.people for x in r.eligibility.includes],
        excludes=[x.people for x in r.eligibility.excludes],
        excludes_matched=[x.matched for x in r.eligibility.excludes],
        need_all=[n.need_units for n in r.needs],
        need_eligible=[n.eligible_need_units for n in r.needs],
        need_people=[n.people_in_need for n in r.needs],
        need_fully_met=[n.people_fully_met for n in r.needs],
        cat_persons=[c.persons for c in r.categories],
    )


def best_of(repeat: int, fn):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240701)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    parser.add_argument("--regions", default="")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs (default 1)")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    regions = load_regions(make_plugin_manager(entry_points=False, plugins=all_builtin_plugins()))
    # the hand-vectorized baseline inlines a yearly money budget: regions that have one
    ids = [r for r in args.regions.split(",") if r] or sorted(
        r.id for r in regions if "budget" in r.sections
    )
    t0 = time.perf_counter()
    synthetic = generate(PopulationSettings(people=args.people, seed=args.seed))
    people = People(synthetic.population, synthetic.needs, synthetic.info)  # held: not timed
    generate_s = time.perf_counter() - t0
    settings = PlanSettings(on=ON, dimensions=False)
    full = PlanSettings(on=ON)
    out: dict[str, dict[str, float]] = {}
    for rid in ids:
        seconds, result = best_of(
            args.repeat,
            lambda rid=rid: compare(
                regions, people, region_ids=[rid], settings=settings, chunk_size=args.chunk
            ),
        )
        row: dict[str, float] = {"seconds": round(seconds, 3)}
        with_dims, _ = best_of(
            args.repeat,
            lambda rid=rid: compare(
                regions, people, region_ids=[rid], settings=full, chunk_size=args.chunk
            ),
        )
        row["dimensions_seconds"] = round(max(with_dims - seconds, 0.0), 3)
        if args.baseline:
            region = regions.get(rid)

            def run_baseline(region=region) -> Figures:  # type: ignore[no-untyped-def]
                total = None
                for pop, needs in people.chunks(args.chunk):
                    part = baseline(region, pop, needs, ON, list(KINDS))
                    total = part if total is None else total.add(part)
                assert total is not None
                return total

            base_s, figures = best_of(args.repeat, run_baseline)
            mine = engine_figures(result.region(rid))
            if mine != figures:
                print(f"{rid}: the engine and the baseline differ:", file=sys.stderr)
                print(f"  engine:   {mine}", file=sys.stderr)
                print(f"  baseline: {figures}", file=sys.stderr)
                sys.exit(1)
            row["baseline_seconds"] = round(base_s, 3)
            row["ratio"] = round(seconds / base_s, 2) if base_s else 0.0
        out[rid] = row
    load = os.getloadavg()[0]
    if args.json:
        print(
            json.dumps(
                {
                    "people": args.people,
                    "chunk": args.chunk,
                    "generate_seconds": round(generate_s, 3),
                    "load_average": round(load, 2),
                    "regions": out,
                },
                indent=2,
            )
        )
        return
    print(f"people {args.people:,}; generated in {generate_s:.2f} s; load average {load:.2f}")
    for rid, row in out.items():
        line = f"  {rid:<11} engine {row['seconds']:7.3f} s"
        line += f" (+{row['dimensions_seconds']:.3f} s dimensions)"
        if "ratio" in row:
            line += f"   baseline {row['baseline_seconds']:7.3f} s   ratio {row['ratio']:.2f}"
            line += "   figures equal"
        print(line)
    total = sum(r["seconds"] for r in out.values())
    print(f"  all regions: {total:.2f} s, {args.people * len(out) / total:,.0f} person x region/s")


if __name__ == "__main__":
    main()
