"""The import CLI, the error workbook and the templates, through `jiuzhu import`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from jiuzhu.core import idcard
from jiuzhu.core.cli import cli

from .helpers import BAD_CELLS, PERSON_HEADERS, person_row, to_csv

AREA = "150602"


def run(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, *args], catch_exceptions=False)


def test_dry_run_error_workbook_then_apply(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run(url, "db", "upgrade").exit_code == 0
    rows = [person_row(i, AREA) for i in range(3)]
    rows[1][PERSON_HEADERS.index("区划代码")] = BAD_CELLS["区划代码"]
    rows[2][PERSON_HEADERS.index("残疾等级")] = BAD_CELLS["残疾等级"]
    src = tmp_path / "名单.csv"
    src.write_bytes(to_csv(PERSON_HEADERS, rows, "gbk"))

    dry = run(url, "import", "persons", "ordos", str(src))
    assert dry.exit_code == 0, dry.output
    report = tmp_path / "名单.问题.xlsx"
    assert str(report) in dry.output and "2行有问题" in dry.output
    book = load_workbook(report)
    ws = book["数据"]
    header = [c.value for c in ws[1]]
    assert header == [*PERSON_HEADERS, "问题"]
    area_col = PERSON_HEADERS.index("区划代码")
    grade_col = PERSON_HEADERS.index("残疾等级")
    assert ws.cell(row=3, column=area_col + 1).fill.start_color.rgb.endswith("FFC7CE")
    assert ws.cell(row=3, column=grade_col + 1).fill.fill_type is None
    assert "区划代码：999999 不是鄂尔多斯市的区划代码" in ws.cell(row=3, column=len(header)).value
    assert "残疾等级" in ws.cell(row=4, column=len(header)).value
    assert ws.cell(row=2, column=len(header)).value in (None, "")
    assert ws.cell(row=2, column=1).value == rows[0][0]  # the ID stays text
    listing = list(book["问题清单"].iter_rows(values_only=True))
    assert listing[1:] == [
        (3, "区划代码", "999999 不是鄂尔多斯市的区划代码"),
        (4, "残疾等级", "残疾等级应为 无、1级、2级、3级 或 4级"),
    ]

    failed = run(url, "import", "persons", "ordos", str(src), "--apply")
    assert failed.exit_code == 1 and "未写入任何数据" in failed.output

    # the clerk corrects the error workbook itself and uploads it again
    ws.cell(row=3, column=area_col + 1).value = AREA
    ws.cell(row=4, column=grade_col + 1).value = "2级"
    fixed = tmp_path / "改正.xlsx"
    book.save(fixed)
    applied = run(url, "import", "persons", "ordos", str(fixed), "--apply")
    assert applied.exit_code == 0 and "已写入：新增3" in applied.output, applied.output
    again = run(url, "import", "persons", "ordos", str(fixed), "--apply")
    assert "无变化3" in again.output and "没有变化" in again.output


def test_file_problems_are_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run(url, "db", "upgrade")
    result = run(url, "import", "persons", "ordos", str(tmp_path / "none.csv"))
    assert result.exit_code == 1 and result.output.startswith("error: ")
    assert "Traceback" not in result.output


def test_template_has_headers_help_and_drop_downs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    out = tmp_path / "persons.xlsx"
    result = run(url, "import", "template", "persons", "--region", "ordos", "-o", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    ws = book.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["身份证号", "姓名", "性别", "区划代码"]
    assert all(str(c.value).startswith("说明：") for c in ws[2])
    options = book["选项"]
    assert options.sheet_state == "hidden"
    lists = {
        options.cell(row=1, column=c).value: [
            options.cell(row=r, column=c).value
            for r in range(2, options.max_row + 1)
            if options.cell(row=r, column=c).value
        ]
        for c in range(1, options.max_column + 1)
    }
    assert "150602 东胜区" in lists["区划代码"]
    assert "低保" in lists["救助类别"] and "4级" in lists["残疾等级"]
    ranges = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    area_letter = "D"
    assert any(r.startswith(f"{area_letter}3") for r in ranges)

    # a clerk fills the template (help row left in place, an area picked from the list)
    ws.append([idcard.make(AREA, date(1950, 5, 6), 1), "填表人", "女", "150602 东胜区"])
    ws.append([idcard.make(AREA, date(1950, 5, 6), 2), "另一人", "男", "150603"])
    book.save(out)
    run(url, "db", "upgrade")
    applied = run(url, "import", "persons", "ordos", str(out), "--apply")
    assert applied.exit_code == 0 and "新增2" in applied.output, applied.output


def test_export_from_the_cli_as_a_user(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run(url, "db", "upgrade")
    assert run(url, "demo", "--regions", "ordos").exit_code == 0
    out = tmp_path / "orders.xlsx"
    result = run(url, "export", "orders", "ordos", "-o", str(out))
    assert result.exit_code == 0 and "行" in result.output and "脱敏" not in result.output
    assert load_workbook(out).worksheets[0].cell(row=1, column=1).value == "工单号"
    stats = tmp_path / "stats.csv"
    result = run(
        url, "export", "statistics", "ordos", "--format", "csv", "-o", str(stats),
        "--as", "ordos-evaluator",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert stats.read_text(encoding="utf-8-sig").splitlines()[-1].split(",")[2] == "合计"
    refused = run(url, "export", "cases", "ordos", "--as", "ordos-evaluator", "-o", str(out))
    assert refused.exit_code == 1 and refused.output.startswith("error: ")
    assert "case.read" in refused.output
    assert run(url, "export", "cases", "ordos", "--as", "nobody").exit_code == 1
