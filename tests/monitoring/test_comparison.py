"""Every region's warning rules over one set of feeds: counts per rule, and beyond those
who applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiuzhu.core.plugins import Regions
from jiuzhu.plugins.monitoring.comparison import compare_rules
from jiuzhu.plugins.monitoring.feeds import FeedRefused

from .helpers import csv_bytes, number


def row(who: str, pay: str, on: str = "2025-02-01") -> dict[str, str]:
    return {
        "id_number": who,
        "name": "某",
        "discharged_on": on,
        "total_fen": "1",
        "out_of_pocket_fen": pay,
    }


def test_each_region_finds_by_its_own_rules(regions: Regions, tmp_path: Path) -> None:
    a, b, c = number("371621", 1), number("371621", 2), number("371621", 3)
    medical = tmp_path / "medical.csv"
    rows = [row(a, "12000"), row(b, "7000"), row(c, "100"), row(c, "3000", "2025-02-20")]
    medical.write_bytes(csv_bytes(regions.get("binzhou"), "medical", rows))
    disability = tmp_path / "disability.csv"
    disability.write_text(
        f"身份证号,变更日期,残疾等级\n{b},2025-01-05,1\n{c},2025-01-05,2\n", encoding="utf-8"
    )
    files = {"medical": medical, "disability": disability}
    found = compare_rules(regions, files, applied={a})
    counts = {(r.region_id, r.rule): (r.flagged, r.beyond_applicants) for r in found}
    assert counts[("binzhou", "large_medical_stay")] == (1, 0)  # a, who applied
    assert counts[("binzhou", "medical_30_days")] == (1, 0)
    assert counts[("binzhou", "school_arrears")] == (0, 0)  # no school-fee feed given
    # Changji: b (7,000 in 30 days + grade 1) and c (3,100 in 30 days: 0 + grade 2 = 2 points)
    assert counts[("changji", "departments_score")] == (1, 1)
    assert counts[("shizuishan", "multi_dimensional")] == (0, 0)  # no psychological data
    assert {r.region_id for r in found} == {"binzhou", "changji", "shizuishan"}
    assert not any(r.rule in ("low_income", "severe_disability") for r in found)  # helpers


def test_a_file_unfit_for_a_region_is_named(regions: Regions, tmp_path: Path) -> None:
    bad = tmp_path / "medical.csv"
    bad.write_text("身份证号,出院日期\n1,2025-01-01\n", encoding="utf-8")
    with pytest.raises(FeedRefused) as err:
        compare_rules([regions.get("changji")], {"medical": bad})
    assert "changji" in str(err.value) and err.value.problems[0].row == 1


def test_the_evaluator_runs_it_from_the_command_line(regions: Regions, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from jiuzhu.core.cli import cli

    a, b = number("371621", 1), number("371621", 2)
    medical = tmp_path / "medical.csv"
    medical.write_bytes(
        csv_bytes(regions.get("binzhou"), "medical", [row(a, "12000"), row(b, "12000")])
    )
    applied = tmp_path / "applied.csv"
    applied.write_text(f"身份证号\n{a}\n", encoding="utf-8")
    run = CliRunner().invoke(
        cli,
        ["warnings", "compare", "--feed", f"medical={medical}", "--applied", str(applied),
         "--regions", "binzhou", "--format", "json"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    counts = {r["rule"]: (r["flagged"], r["beyond_applicants"]) for r in json.loads(run.output)}
    assert counts["large_medical_stay"] == (2, 1)  # b did not apply
    text = CliRunner().invoke(
        cli, ["warnings", "compare", "--feed", f"medical={medical}", "--regions", "binzhou"]
    )
    assert text.exit_code == 0 and "发现人数" in text.output and "其中未申请" in text.output
    bad = CliRunner().invoke(cli, ["warnings", "compare", "--feed", "medical"])
    assert bad.exit_code == 2 and "KIND=FILE" in bad.output
