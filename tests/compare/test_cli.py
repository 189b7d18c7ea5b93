"""`jiuzhu compare` through click's CliRunner: outputs, and clear errors for bad input."""

from __future__ import annotations

import json
import re
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
    assert "compare" in core_cli.cli.list_commands(click.Context(core_cli.cli))
    yield core_cli.cli


def invoke(cli: click.Group, *args: str) -> Result:
    return CliRunner().invoke(cli, ["compare", *args], catch_exceptions=False)


def test_json(cli: click.Group) -> None:
    res = invoke(cli, "--people", "400", "--seed", "5", "--format", "json", "--on", "2025-06-01")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["population"]["seed"] == 5 and data["population"]["people"] == 400
    assert data["jiuzhu_version"]
    assert len(data["regions"]) == 7  # the four first, Qiaojia, Xingqing and Beilin
    qiaojia = next(r for r in data["regions"] if r["id"] == "qiaojia")
    # a time floor owed by assessment level: modelled at the first level that has one
    assert qiaojia["entitlement"]["kind"] == "floor" and qiaojia["entitlement"]["unit"] == "minutes"
    assert qiaojia["entitlement"]["annual"] == 12 * 3600 and qiaojia["entitlement"]["level"]


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
    cfg.write_text("people = 250\nseed = 77\ntemporary_relief = 0.5\n", encoding="utf-8")
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


def test_readme_example_writes_the_html_report(cli: click.Group, tmp_path: Path) -> None:
    """README: `jiuzhu compare --people 100000 --format html -o report.html` (issue 12 item 1);
    -o is the short form of --output."""
    out = tmp_path / "report.html"
    res = invoke(cli, "--people", "500", "--format", "html", "-o", str(out))
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "鄂尔多斯市" in html
    assert f"wrote {out}" in res.stderr


def test_readme_compare_command_is_the_one_tested() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "jiuzhu compare --people 100000 --format html -o report.html" in readme


def test_redirected_table_keeps_whole_cells(cli: click.Group) -> None:
    """Piped or redirected (not a terminal), the table is not squeezed to 80 columns:
    no cell is cut with an ellipsis and the long labels stay on one line (issue 12 item 7)."""
    res = invoke(cli, "--people", "500", "--on", "2025-06-01")
    assert res.exit_code == 0, res.output
    assert not re.search(r"…\s*[│┃]", res.stdout)  # rich ends a cut cell with …
    assert "人均额度 entitlement/person" in res.stdout
    assert "昌吉回族自治州" in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) > 80


def test_table_to_a_file_keeps_whole_cells(cli: click.Group, tmp_path: Path) -> None:
    out = tmp_path / "table.txt"
    res = invoke(cli, "--people", "500", "--on", "2025-06-01", "-o", str(out))
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"…\s*[│┃]", text) and "需求满足 needs met" in text


def test_write_population_config_and_roster_template(cli: click.Group, tmp_path: Path) -> None:
    cfg, tpl = tmp_path / "pop.toml", tmp_path / "roster.xlsx"
    res = invoke(cli, "--write-population-config", str(cfg), "--write-roster-template", str(tpl))
    assert res.exit_code == 0, res.output
    assert res.stdout == ""  # nothing is compared
    assert "illustrative (no source)" in cfg.read_text(encoding="utf-8")
    res = invoke(cli, "--population-config", str(cfg), "--people", "300", "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["population"]["people"] == 300
    res = invoke(cli, "--roster", str(tpl), "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["population"]["people"] == 2  # two members of one household
