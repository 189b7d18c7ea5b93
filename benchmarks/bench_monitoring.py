"""Time the warning rules over a generated million rows (no database): the same vectorised
rules the feed loader runs for one file.

    python benchmarks/bench_monitoring.py --rows 1000000 --people 200000 --region binzhou

Prints, per rule, the seconds taken and how many people it flags.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jiuzhu.core.plugins import load_regions, make_plugin_manager
from jiuzhu.plugins.monitoring.config import Monitoring
from jiuzhu.plugins.monitoring.rules import Data, FeedFrame, rule_kinds


def synthetic(monitoring: Monitoring, rows: int, people: int, seed: int) -> Data:
    rng = np.random.default_rng(seed)
    feeds: dict[str, FeedFrame] = {}
    for kind in monitoring.kinds:
        frame = FeedFrame(
            subject=rng.integers(0, people, rows, dtype=np.int64),
            day=rng.integers(739_000, 739_365, rows, dtype=np.int64),
            row_id=np.arange(rows, dtype=np.int64),
        )
        for col in kind.columns:
            if col.type == "money":
                frame.values[col.code] = rng.gamma(1.2, 300_000, rows).astype(np.int64)
            elif col.type == "int":
                frame.values[col.code] = rng.integers(0, 20, rows, dtype=np.int64)
            else:
                continue
            frame.present[col.code] = np.ones(rows, dtype=bool)
        feeds[kind.code] = frame
    return Data(subjects=people, feeds=feeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per feed kind")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--region", default="binzhou")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pm = make_plugin_manager()
    monitoring = load_regions(pm).get(args.region).section("monitoring", Monitoring)
    assert monitoring is not None, f"{args.region} has no monitoring.toml"
    data = synthetic(monitoring, args.rows, args.people, args.seed)
    kinds = rule_kinds(pm)
    done: dict[str, object] = {}
    for rule in monitoring.rules:
        start = time.perf_counter()
        hits = kinds[rule.kind].evaluate(rule, data, done)  # type: ignore[arg-type]
        took = time.perf_counter() - start
        done[rule.code] = hits
        print(f"{rule.code:<24} {took:7.3f} s  {int(hits.flagged.sum()):>8} flagged")


if __name__ == "__main__":
    main()
