"""Administration without the API: providers and workers; `regions show` prints content;
`stats` lines up Chinese labels; `jiuzhu plugins` lists plugins, versions and hooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len

from jiuzhu.core.cli import cli


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'admin.db'}"
    assert run("--database-url", url, "db", "upgrade").exit_code == 0
    return url


def test_providers_add_and_list(url: str) -> None:
    made = run(
        "--database-url",
        url,
        "providers",
        "add",
        "凯霖社会工作服务中心",
        "--region",
        "ordos",
        "--area",
        "150602",
    )
    assert (
        made.exit_code == 0
        and made.stdout == "created provider 1 凯霖社会工作服务中心 in ordos/150602\n"
    )
    run("--database-url", url, "providers", "add", "第二家机构", "--region", "ordos")
    listed = run("--database-url", url, "providers", "list", "--region", "ordos")
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["id", "name", "area", "light", "workers", "active"]
    assert lines[1].split() == ["1", "凯霖社会工作服务中心", "东胜区", "green", "0", "yes"]
    assert lines[2].split() == ["2", "第二家机构", "鄂尔多斯市", "green", "0", "yes"]
    assert len({cell_len(ln) for ln in lines}) <= 2  # columns line up by display width
    data = json.loads(
        run("--database-url", url, "providers", "list", "--region", "ordos", "--json").stdout
    )
    assert [p["name"] for p in data] == ["凯霖社会工作服务中心", "第二家机构"]
    assert (
        run("--database-url", url, "providers", "list", "--region", "binzhou").stdout.count("\n")
        == 1
    )


def test_providers_refusals_are_one_line(url: str) -> None:
    twice = run("--database-url", url, "providers", "add", "甲", "--region", "ordos")
    assert twice.exit_code == 0
    again = CliRunner().invoke(
        cli, ["--database-url", url, "providers", "add", "甲", "--region", "ordos"]
    )
    assert again.exit_code == 1 and again.stderr == "error: provider.unique: 服务机构「甲」已存在\n"
    area = CliRunner().invoke(
        cli,
        ["--database-url", url, "providers", "add", "乙", "--region", "ordos", "--area", "999999"],
    )
    assert area.exit_code == 1 and area.stderr.startswith("error: area_code: 999999")


def test_workers_add_and_list_with_masked_phones(url: str) -> None:
    run("--database-url", url, "providers", "add", "凯霖社会工作服务中心", "--region", "ordos")
    made = run(
        "--database-url", url, "workers", "add", "张慧", "--provider", "1",
        "--qualification", "助理社会工作师", "--qualification", "护理员", "--phone", "13800000001",
    )  # fmt: skip
    assert made.stdout == "created worker 1 张慧 of provider 1\n"
    listed = run("--database-url", url, "workers", "list", "--provider", "1")
    assert listed.stdout.splitlines()[0] == "凯霖社会工作服务中心 (ordos)"
    row = listed.stdout.splitlines()[2].split()
    assert row == ["1", "张慧", "助理社会工作师、护理员", "138****0001", "yes"]
    assert "13800000001" not in listed.stdout
    data = json.loads(
        run("--database-url", url, "workers", "list", "--provider", "1", "--json").stdout
    )
    assert data[0]["phone"] == "138****0001"
    counted = run("--database-url", url, "providers", "list", "--region", "ordos")
    assert counted.stdout.splitlines()[1].split()[4] == "1"


def test_workers_refusals_are_one_line(url: str) -> None:
    missing = CliRunner().invoke(
        cli, ["--database-url", url, "workers", "add", "李", "--provider", "7"]
    )
    assert missing.exit_code == 1 and missing.stderr == "error: provider 7 not found\n"
    run("--database-url", url, "providers", "add", "甲", "--region", "ordos")
    phone = CliRunner().invoke(
        cli,
        ["--database-url", url, "workers", "add", "李", "--provider", "1", "--phone", "call me"],
    )
    assert phone.exit_code == 1 and phone.stderr.startswith("error: phone: 'call me' 不是电话号码")


def test_regions_show_prints_the_content_of_every_file() -> None:
    text = run("regions", "show", "ordos").stdout
    assert "EligibilityRules" not in text and "Supervision" not in text and "Staffing" not in text
    # eligibility.toml: its rules, conditions in words
    assert "dibao_mild_disability 60周岁以下、轻度残疾（残疾人证四级）的低保对象" in text
    assert "- age < 60" in text and "- disability_grade = 4" in text
    # policies.toml of the one-form plugin, supervision.toml's thresholds
    assert "policies.toml:" in text and "departments (6):" in text
    assert "supervision.toml" in text and "traffic_light:" in text


def test_stats_pads_chinese_labels_by_display_width(url: str) -> None:
    assert run("--database-url", url, "demo", "--regions", "ordos").exit_code == 0
    out = run("--database-url", url, "stats", "--region", "ordos", "--by", "item").stdout
    table = out.splitlines()[1:-1]  # the title and the funding line aside
    assert len(table) >= 3 and table[-1].startswith("合计")
    assert len({cell_len(line) for line in table}) == 1, table  # right edges line up


def test_plugins_lists_names_versions_and_hooks() -> None:
    text = run("plugins").stdout
    assert "ordos" in text and "jiuzhu 0.1.0" in text
    assert "    jiuzhu_funding_rule" in text
    data = json.loads(run("plugins", "--json").stdout)
    by_name = {p["name"]: p for p in data}
    assert by_name["tiered_budget"] == {
        "name": "tiered_budget",
        "distribution": "jiuzhu",
        "version": "0.1.0",
        "hooks": [
            "jiuzhu_budget_rule",
            "jiuzhu_check_region",
            "jiuzhu_entitlement_rule",
            "jiuzhu_region_sections",
        ],
    }
    assert set(by_name) >= {"eligibility", "funding", "one_form", "compare", "changji"}
    assert "jiuzhu_register_regions" not in run("plugins", "--no-hooks").stdout
