"""The benchmark's hand-vectorized NumPy pass computes the same figures as the engine: an
independent implementation the engine is checked against (no timing is asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "compare_bench.py"


def test_bench_baseline_json() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--people",
            "4000",
            "--seed",
            "5",
            "--chunk",
            "1500",
            "--baseline",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr  # exits 1 when any figure differs
    data = json.loads(out.stdout)
    # every region with a yearly money budget (Qiaojia has a time floor instead)
    assert set(data["regions"]) == {
        "beilin",
        "binzhou",
        "changji",
        "ordos",
        "shizuishan",
        "xingqing",
    }
    for row in data["regions"].values():
        assert set(row) == {"seconds", "baseline_seconds", "ratio"}


def test_bench_table() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--people", "2000", "--regions", "ordos", "--baseline"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "ordos" in out.stdout and "figures equal" in out.stdout and "ratio" in out.stdout
