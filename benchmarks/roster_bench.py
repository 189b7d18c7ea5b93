"""Benchmark of reading a roster: a 1,000,000-row CSV (and the same as Parquet).

    python benchmarks/roster_bench.py [--people N] [--dir DIR] [--repeat N] [--json]

Writes the synthetic population of seed 1 as a CSV and a Parquet roster in DIR (once; kept
for later runs), then times `read_roster` on each (best of --repeat). Target: 1,000,000-row
CSV in 2 s or less. Writing the files is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from jiuzhu.plugins.compare.population import PopulationSettings, generate
from jiuzhu.plugins.compare.roster import read_roster, write_roster


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    people = None
    out: dict[str, float] = {}
    for suffix in (".csv", ".parquet"):
        path = args.dir / f"jiuzhu-roster-{args.people}{suffix}"
        if not path.exists():
            people = people or generate(PopulationSettings(people=args.people, seed=1))
            write_roster(people, path)
        best = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            roster = read_roster(path)
            len(roster.population)  # a Parquet roster streams: read it whole here
            best = min(best, time.perf_counter() - t)
        out[suffix.lstrip(".")] = round(best, 3)
    load = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps({"people": args.people, "seconds": out, "load_average": load}))
        return
    print(f"read_roster, {args.people:,} rows (best of {args.repeat}; load average {load}):")
    for fmt, seconds in out.items():
        print(f"  {fmt:<8} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
