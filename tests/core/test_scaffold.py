"""`jiuzhu regions new NAME --from ordos` makes an installable region package that passes
its own tests and `jiuzhu regions check` as soon as it is made."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiuzhu.core.cli import cli

RUN_CLI = "from jiuzhu.core.cli import main; main()"


def cli_in(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("JIUZHU_TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_new_region_package_installs_checks_and_passes_its_tests(tmp_path: Path) -> None:
    made = CliRunner().invoke(
        cli,
        ["regions", "new", "yiliang", "--from", "ordos", "--title", "彝良县", "--code", "530628",
         "--into", str(tmp_path)],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    root = tmp_path / "jiuzhu-region-yiliang"
    assert made.stdout.splitlines()[0] == (
        f"created {root} (package jiuzhu_region_yiliang, region id yiliang)"
    )
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["jiuzhu"] == {"yiliang": "jiuzhu_region_yiliang"}
    package = root / "jiuzhu_region_yiliang"
    for rel in ("__init__.py", "py.typed", "data/region.toml", "scenarios/kang_yumei.toml"):
        assert (package / rel).exists(), rel
    assert (root / "README.md").exists() and (root / "tests/test_region.py").exists()
    region = tomllib.loads((package / "data/region.toml").read_text(encoding="utf-8"))
    assert (region["id"], region["name"], region["code"]) == ("yiliang", "彝良县", "530628")
    assert "areas" not in region  # Ordos's areas lie in another province

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(root)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    listed = cli_in(site, "regions", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith("yiliang"))
    assert "彝良县" in line and "jiuzhu_region_yiliang" not in line and "yiliang 0.1.0" in line
    checked = cli_in(site, "regions", "check", "jiuzhu_region_yiliang/data", cwd=root)
    assert checked.returncode == 0 and checked.stdout.startswith("ok: 彝良县 (yiliang)")
    scenarios = cli_in(site, "regions", "test", "yiliang", cwd=root)
    assert scenarios.returncode == 0, scenarios.stdout + scenarios.stderr
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("JIUZHU_TEST_DATABASE_URL", None)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Qiao-jia", "--from", "ordos"], "use a lower-case ASCII identifier"),
        (["yiliang", "--from", "atlantis"], "unknown region 'atlantis'"),
        (["yiliang", "--from", "ordos", "--code", "53"], "give the 6-digit GB/T 2260"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["regions", "new", *args, "--into", str(tmp_path)])
    assert result.exit_code == 1 and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_an_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "jiuzhu-region-yiliang").mkdir()
    result = CliRunner().invoke(
        cli, ["regions", "new", "yiliang", "--from", "ordos", "--into", str(tmp_path)]
    )
    assert result.exit_code == 1 and "already exists" in result.stderr
