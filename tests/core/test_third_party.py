"""A third-party region plugin, built and pip-installed from a temporary folder, is picked up
by `jiuzhu regions list`; a broken one is reported by name, without a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ORDOS_DATA = Path(__file__).parents[2] / "regions/jiuzhu/regions/ordos/data"
RUN_CLI = "from jiuzhu.core.cli import main; main()"


def write_plugin(root: Path, module: str, body: str, with_data: bool = True) -> Path:
    pkg = root / module
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "{module.replace("_", "-")}"
        version = "0.3.1"

        [project.entry-points.jiuzhu]
        {module} = "{module}"

        [tool.hatch.build.targets.wheel]
        packages = ["{module}"]
    """)
    )
    (pkg / "__init__.py").write_text(textwrap.dedent(body))
    if with_data:
        shutil.copytree(ORDOS_DATA, pkg / "data")
        region = (pkg / "data/region.toml").read_text(encoding="utf-8")
        region = region.replace('id = "ordos"', 'id = "testville"', 1)
        (pkg / "data/region.toml").write_text(region, encoding="utf-8")
    return root


def pip_install(project: Path, target: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(project),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def run_cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def hatchling_available() -> None:
    pytest.importorskip("hatchling")


def test_installed_third_party_region_is_listed(tmp_path: Path, hatchling_available: None):
    project = write_plugin(
        tmp_path / "src",
        "jiuzhu_region_testville",
        """
        from jiuzhu.core import hookimpl, region_source

        @hookimpl
        def jiuzhu_register_regions(register):
            register(region_source(__name__, "testville"))
    """,
    )
    site = tmp_path / "site"
    pip_install(project, site)
    result = run_cli(site, "regions", "list")
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("testville"))
    assert "jiuzhu_region_testville 0.3.1" in line  # the plugin and its version
    assert "ordos" in result.stdout  # built-ins still there


def test_broken_plugin_is_named_and_can_be_blocked(tmp_path: Path, hatchling_available: None):
    project = write_plugin(
        tmp_path / "src",
        "jiuzhu_region_broken",
        """
        import this_module_does_not_exist
    """,
        with_data=False,
    )
    site = tmp_path / "site"
    pip_install(project, site)
    result = run_cli(site, "regions", "list")
    assert result.returncode == 1
    assert "plugin 'jiuzhu_region_broken'" in result.stderr
    assert "jiuzhu-region-broken 0.3.1" in result.stderr  # the distribution
    assert "Traceback" not in result.stderr
    env_blocked = run_cli_env(
        site, {"JIUZHU_DISABLE_PLUGINS": "jiuzhu_region_broken"}, "regions", "list"
    )
    assert env_blocked.returncode == 0 and "ordos" in env_blocked.stdout


def run_cli_env(site: Path, extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), **extra}
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args], env=env, capture_output=True, text=True, timeout=120
    )
