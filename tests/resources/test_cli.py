"""`jiuzhu resources …` through click's CliRunner: the same services as the API and pages;
bad input is one line naming the cause, and writes nothing."""

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
    assert "resources" in core_cli.cli.list_commands(click.Context(core_cli.cli))
    yield core_cli.cli


@pytest.fixture
def url(tmp_path: Path, cli: click.Group) -> str:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert CliRunner().invoke(cli, ["--database-url", url, "db", "upgrade"]).exit_code == 0
    return url


def run(cli: click.Group, url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", url, "resources", *args])


def test_import_list_add_and_stats(cli, url, tmp_path: Path) -> None:
    r = run(cli, url, "import", "--region", "beilin")
    assert (
        r.exit_code == 0
        and "imported 7 resources (0 already there), 1 new charity funds" in r.output
    )
    r = run(cli, url, "import", "--region", "beilin")
    assert "imported 0 resources (7 already there)" in r.output
    r = run(cli, url, "list", "--region", "beilin", "--need", "残疾证")
    assert r.exit_code == 0 and "小红船为民服务直播间" in r.output and "1 个资源" in r.output
    r = run(
        cli,
        url,
        "add",
        "--region",
        "beilin",
        "--code",
        "s9",
        "--name",
        "文艺路某院哨点",
        "--kind",
        "sentinel",
        "--area",
        "610103006001",
        "--location",
        "文艺路社区3号院",
    )
    assert r.exit_code == 0 and "added s9 (需求哨点)" in r.output
    csv = tmp_path / "list.csv"
    csv.write_text(
        "code,name,kind,area_code,contact,location,content,needs\n"
        "b1,爱心餐厅,business,610103007,,,老人助餐,助餐\n",
        encoding="utf-8",
    )
    r = run(cli, url, "import", "--region", "beilin", "--file", str(csv))
    assert r.exit_code == 0 and "imported 1 resources" in r.output
    r = run(cli, url, "stats", "--region", "beilin", "--json")
    data = json.loads(r.output)
    sentinels = next(c for c in data["library"] if c["kinds"] == ["sentinel"])
    assert (sentinels["in_library"], sentinels["reported"]) == (3, 1375)
    assert data["wishes"]["published"] == 0
    r = run(cli, url, "stats", "--region", "beilin")
    assert "需求哨点（小区院落）: 3（来源报告 1375）" in r.output


def test_errors_are_one_line_and_write_nothing(cli, url, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,kind,area_code,contact,location,content,needs\n"
        "ok1,好单位,unit,610103,,,结对帮扶,慰问\n"
        "x,坏单位,unit,999999,,,结对帮扶,慰问\n",
        encoding="utf-8",
    )
    r = run(cli, url, "import", "--region", "beilin", "--file", str(bad))
    assert r.exit_code != 0
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "999999" in lines[0]
    assert "0 个资源" in run(cli, url, "list", "--region", "beilin").output
    r = run(cli, url, "list", "--region", "beilinn")
    assert r.exit_code != 0 and "did you mean beilin?" in r.output
    r = run(cli, url, "link-account", "--region", "beilin", "someone", "nope")
    assert r.exit_code != 0 and len(r.output.strip().splitlines()) == 1
    r = run(cli, url, "list", "--region", "ordos")
    assert r.exit_code != 0 and "未配置融救联助" in r.output
