"""`jiuzhu compare` through click's CliRunner: outputs, and clear errors for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pluggy
import pytest
from click.testing import CliRunner, Result

from jiuzhu.core import cli as core_cli
from jiuzhu.core.plugins import make_plugin_manager
from jiuzhu.core.testing import all_builtin_plugins


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[click.Group]:
    def builtins() -> pluggy.PluginManager:
        return make_plugin_manager(entry_points=False, plugins=all_builtin_plugins())

    monkeypatch.setattr(core_cli, "make_plugin_manager", builtins)
    pm = make_plugin_manager(entry_points=False, plugins=all_builtin_plugins())
    pm.hook.jiuzhu_cli_commands(cli=core_cli.cli)
    assert "compare" in core_cli.cli.commands
    yield core_cli.cli


def invoke(cli: click.Group, *args: str) -> Result:
    return CliRunner().invoke(cli, ["compare", *args], catch_exceptions=False)


def test_json(cli: click.Group) -> None:
    res = invoke(cli, "--people", "400", "--seed", "5", "--format", "json", "--on", "2025-06-01")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["population"]["seed"] == 5 and data["population"]["people"] == 400
    assert data["jiuzhu_version"]
    assert len(data["regions"]) == 4


def test_same_seed_same_output(cli: click.Group) -> None:
    args = ("--people", "300", "--seed", "9", "--format", "json", "--on", "2025-06-01")
    a = json.loads(invoke(cli, *args).stdout)
    b = json.loads(invoke(cli, *args).stdout)
    a.pop("seconds")
    b.pop("seconds")
    assert a == b


def test_table_and_regions(cli: click.Group) -> None:
    res = invoke(cli, "--people", "300", "--regions", "ordos,changji", "--on", "2025-06-01")
    assert res.exit_code == 0, res.output
    assert "ordos" in res.stdout and "changji" in res.stdout
    assert "binzhou" not in res.stdout
    assert "符合条件" in res.stdout


def test_html_to_file(cli: click.Group, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    res = invoke(cli, "--people", "200", "--seed", "3", "--format", "html", "--output", str(out))
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert '<b id="seed">3</b>' in html and "<svg" in html


def test_population_config_and_roster(cli: click.Group, tmp_path: Path) -> None:
    cfg = tmp_path / "pop.toml"
    cfg.write_text('people = 250\nseed = 77\n[groups]\n"低保" = 1.0\n', encoding="utf-8")
    res = invoke(cli, "--population-config", str(cfg), "--format", "json", "--seed", "78")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["population"]["people"] == 250 and data["population"]["seed"] == 78
    roster = tmp_path / "people.csv"
    roster.write_text("年龄,群体,残疾等级,助洁\n45,低保,4,2\n80,分散供养特困,,3\n", "utf-8")
    res = invoke(cli, "--roster", str(roster), "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["population"]["roster"] == "people.csv"
    ordos = next(r for r in data["regions"] if r["id"] == "ordos")
    assert ordos["eligibility"]["eligible"] == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--regions", "ordos,nowhere"), 2, "unknown region 'nowhere'"),
        (("--regions", ","), 2, "at least one region"),
        (("--people", "-3"), 2, "--people"),
        (("--format", "pdf"), 2, "pdf"),
        (("--on", "2025-13-01"), 2, "--on"),
        (("--on", "2000-01-01", "--people", "10"), 1, "no rule in force"),
        (("--roster", "x.csv", "--seed", "1"), 2, "do not combine"),
        (("--roster", "missing.csv"), 1, "no such file"),
    ],
)
def test_bad_input_is_a_message(
    cli: click.Group, args: tuple[str, ...], code: int, message: str
) -> None:
    res = invoke(cli, *args)
    assert res.exit_code == code
    assert message in res.output
    assert "Traceback" not in res.output


def test_bad_roster_cell(cli: click.Group, tmp_path: Path) -> None:
    roster = tmp_path / "bad.csv"
    roster.write_text("年龄,群体\n45,低保\n46,低保\n4x,低保\n", "utf-8")
    res = invoke(cli, "--roster", str(roster))
    assert res.exit_code == 1
    assert "error: bad.csv: row 4, column A (年龄): '4x' is not a whole number" in res.output


def test_bad_population_config(cli: click.Group, tmp_path: Path) -> None:
    cfg = tmp_path / "pop.toml"
    cfg.write_text("peeple = 3\n", encoding="utf-8")
    res = invoke(cli, "--population-config", str(cfg))
    assert res.exit_code == 1
    assert "--population-config" in res.output and "peeple" in res.output
