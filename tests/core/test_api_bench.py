"""benchmarks/api_bench.py runs end to end (a tiny run: two connections, half a second per
endpoint) and its --json has the promised shape; every request answered without error.
The figures themselves are the benchmark's business, not a test's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "benchmarks" / "api_bench.py"


def test_api_bench_json_shape() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", "--seconds", "0.5", "--connections", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(out.stdout)
    assert set(result["endpoints"]) == {"case_read", "order_place_cancel", "case_page"}
    for name, figures in result["endpoints"].items():
        assert {"rps", "p50_ms", "p99_ms", "ratio"} <= set(figures), name
        assert figures["rps"] > 0 and figures["p99_ms"] >= figures["p50_ms"] > 0, name
        assert figures["errors"] == 0, name
    assert result["hello"]["rps"] > 0
