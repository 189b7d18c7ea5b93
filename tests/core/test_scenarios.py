"""Scenario tests shipped in region packages: `jiuzhu regions test [REGION]` runs them;
a scenario that no longer holds is reported with its step and what differs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiuzhu.core.cli import cli
from jiuzhu.core.plugins import Regions
from jiuzhu.core.scenarios import run_region_scenarios, run_scenarios, scenario_files

REGION_IDS = ["beilin", "binzhou", "changji", "ordos", "shizuishan", "xingqing"]


@pytest.mark.parametrize("region_id", REGION_IDS)
def test_every_builtin_region_ships_scenarios_that_hold(regions: Regions, region_id: str) -> None:
    assert scenario_files(regions, region_id), f"{region_id} has no scenarios/*.toml"
    assert run_scenarios(regions, region_id) == []


def test_kang_yumei_is_ordos_data(regions: Regions) -> None:
    results = {r.name: r for r in run_region_scenarios(regions, "ordos")}
    kang = results["康玉梅：1000元按40%、40%、20%分三阶段使用"]
    assert kang.ok and kang.where == "kang_yumei.toml:scenarios[0]"


def test_regions_test_command() -> None:
    result = CliRunner().invoke(cli, ["regions", "test", "ordos", "-v"])
    assert result.exit_code == 0, result.output
    assert "ok    ordos: 康玉梅：1000元按40%、40%、20%分三阶段使用" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("scenario(s) passed in 1 region(s)")
    every = CliRunner().invoke(cli, ["regions", "test"])
    assert every.exit_code == 0 and "in 7 region(s)" in every.stdout


@pytest.fixture
def copied_ordos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the Ordos package whose scenarios a test may break; the CLI loads it."""
    import jiuzhu.regions.ordos as ordos

    package = tmp_path / "ordos_copy"
    shutil.copytree(Path(ordos.__file__).parent, package)
    from jiuzhu.core import RegionSource

    source = RegionSource(id="ordos", data_dir=package / "data")
    monkeypatch.setattr(ordos, "region_source", lambda name, rid: source)
    return package


def test_a_broken_scenario_names_the_step_and_the_difference(copied_ordos: Path) -> None:
    kang = copied_ordos / "scenarios/kang_yumei.toml"
    kang.write_text(
        kang.read_text(encoding="utf-8").replace("quantity = 5", "quantity = 6"), encoding="utf-8"
    )
    who = copied_ordos / "scenarios/who_is_served.toml"
    who.write_text(
        who.read_text(encoding="utf-8").replace("age = 66", "age = 59"), encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["regions", "test", "ordos"])
    assert result.exit_code == 1
    out = result.stdout
    assert (
        "FAIL  ordos: 康玉梅：1000元按40%、40%、20%分三阶段使用 (kang_yumei.toml:scenarios[0])"
        in out
    )
    assert "steps[4] (massage): refused by budget: 本单480.00元超出当前可用额度" in out
    assert "steps[4] (massage): available[第二阶段]: expected 0 fen, got 40000" in out
    assert "eligible: expected False, got True" in out
    assert result.stderr == "error: 2 scenario(s) failed\n"


def test_a_scenario_file_that_does_not_decode_is_reported(copied_ordos: Path) -> None:
    (copied_ordos / "scenarios/bad.toml").write_text(
        '[[scenarios]]\nname = "x"\non = 2025-01-01\nperson = { age = 1, groups = ["低保户"] }\n'
        '[[scenarios]]\nname = "y"\non = 2025-01-01\nperson = { age = 1 }\n'
        "[[scenarios.steps]]\nbuy = 'bath_assist'\nreview = true\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["regions", "test", "ordos"])
    assert result.exit_code == 1
    bad = str(copied_ordos / "scenarios/bad.toml")
    assert f"{bad}: scenarios[x]: unknown groups value '低保户'" in result.stdout
    assert (
        f"{bad}: scenarios[y].steps[0]: a step either buys an item (buy = CODE) or is a "
        "review = true"
    ) in result.stdout


def test_a_review_too_soon_does_not_count(copied_ordos: Path) -> None:
    """The region's minimum interval between stage reviews holds in scenarios as in the
    loop: a review 10 days after the grant opens nothing and the scenario says why."""
    kang = copied_ordos / "scenarios/kang_yumei.toml"
    kang.write_text(
        kang.read_text(encoding="utf-8").replace("on = 2025-09-01", "on = 2025-06-11"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["regions", "test", "ordos"])
    assert result.exit_code == 1
    assert (
        "steps[3] (review): a review on 2025-06-11 comes 10 days after the last "
        "(the region counts reviews at least 90 days apart)" in result.stdout
    )
