"""Benchmark of `jiuzhu compare`: 1,000,000 people through every built-in region.

    python benchmarks/compare_bench.py [--people N] [--seed S] [--chunk N]

Prints the time to generate the population, the time to run it through the regions and
people per second (people x regions per second too). Target: under 10 seconds on 2 cores.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.core.testing import all_builtin_plugins
from jiuzhu.plugins.compare.engine import DEFAULT_CHUNK, PlanSettings, compare
from jiuzhu.plugins.compare.population import PopulationSettings, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240701)
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    args = parser.parse_args()

    regions = load_regions(make_plugin_manager(entry_points=False, plugins=all_builtin_plugins()))
    t0 = time.perf_counter()
    people = generate(PopulationSettings(people=args.people, seed=args.seed))
    t1 = time.perf_counter()
    result = compare(
        regions, people, settings=PlanSettings(on=date(2025, 6, 1)), chunk_size=args.chunk
    )
    t2 = time.perf_counter()
    n, k = len(people), len(result.regions)
    print(f"regions: {', '.join(r.id for r in result.regions)}")
    for r in result.regions:
        print(
            f"  {r.id:<11} eligible {r.eligibility.eligible:>9,}  served {r.persons_served:>9,}"
            f"  spent {r.entitlement.spent_fen / 100:>16,.2f} yuan  staff {r.staffing.staff:>6,}"
        )
    print(f"generate  {n:,} people: {t1 - t0:6.2f} s")
    print(f"compare   {n:,} people x {k} regions: {t2 - t1:6.2f} s")
    print(f"total     {t2 - t0:6.2f} s")
    print(f"people per second (compare): {n / (t2 - t1):,.0f}")
    print(f"people per second (generate + compare): {n / (t2 - t0):,.0f}")
    print(f"person-regions per second (compare): {n * k / (t2 - t1):,.0f}")


if __name__ == "__main__":
    main()
