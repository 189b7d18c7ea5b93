"""`pip install .` builds a wheel with all three namespace portions and the regions' data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def test_wheel_contains_portions_data_and_migrations(tmp_path: Path):
    pytest.importorskip("hatchling")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("jiuzhu-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"jiuzhu", wheel.name.split("-py")[0] + ".dist-info"}  # no core/, regions/
    assert "jiuzhu/__init__.py" not in names  # PEP 420 namespace
    for region in ("changji", "binzhou", "ordos", "shizuishan"):
        for file in ("region", "catalogue", "assessment", "budget", "funding", "eligibility"):
            assert f"jiuzhu/regions/{region}/data/{file}.toml" in names
    assert any(n.startswith("jiuzhu/core/migrations/versions/0001") for n in names)
    assert {"jiuzhu/core/py.typed", "jiuzhu/plugins/py.typed", "jiuzhu/regions/py.typed"} <= set(
        names
    )
