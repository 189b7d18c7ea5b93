"""Reading department files: every bad cell is one clean problem naming its row and column;
good files in UTF-8, GBK and XLSX read the same."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiuzhu.core.plugins import Regions
from jiuzhu.plugins.monitoring import feeds

from .helpers import csv_bytes, mon, number, xlsx_bytes

TODAY = date(2025, 3, 3)
AREAS = {"371600", "371621", "371602"}

# per column code of Binzhou's medical feed: a good value and the ways to spoil it
GOOD = {
    "id_number": lambda i: number("371621", i),
    "name": lambda i: "张三",
    "discharged_on": lambda i: "2025-02-10",
    "total_fen": lambda i: "30000",
    "out_of_pocket_fen": lambda i: "12000.50",
    "area": lambda i: "371621",
}
BAD = {
    "id_number": ["", "37162119700101001", "371621197013010011", "abc"],
    "name": [""],
    "discharged_on": ["", "2025-02-30", "昨天", "2025/13/01"],
    "total_fen": ["", "-5", "1.234", "三万", "1e5"],
    "out_of_pocket_fen": ["", "12000.505", "abc"],
    "area": ["999999", "北京"],
}
COLUMNS = list(GOOD)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[list[str]], set[tuple[int, str]]]:
    """A file whose spoiled cells are known: (cells, {(row number, column code)})."""
    n = draw(st.integers(min_value=1, max_value=12))
    rows, spoiled = [], set()
    for i in range(n):
        cells = []
        for code in COLUMNS:
            if draw(st.booleans()) and draw(st.integers(0, 4)) == 0:
                cells.append(draw(st.sampled_from(BAD[code])))
                spoiled.add((i + 2, code))
            else:
                cells.append(GOOD[code](i))
        rows.append(cells)
    return rows, spoiled


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_every_bad_cell_is_one_problem_naming_row_and_column(
    regions: Regions, drawn: tuple[list[list[str]], set[tuple[int, str]]]
) -> None:
    kind = mon(regions.get("binzhou")).kind("medical")
    body, spoiled = drawn
    header = [kind.column(c).header for c in COLUMNS]
    parsed = feeds.parse(kind, [header, *body], AREAS, TODAY)
    found = {(p.row, p.code) for p in parsed.problems}
    assert found == spoiled
    for p in parsed.problems:
        assert p.column == kind.column(p.code).header
        text = str(p)
        assert text.startswith(f"第{p.row}行「{p.column}」列") and "Traceback" not in text
    good_rows = {r for r in range(2, len(body) + 2)} - {r for r, _ in spoiled}
    assert {n for n, _ in parsed.rows} == good_rows


def test_money_is_fen_and_dates_are_read_in_common_shapes(regions: Regions) -> None:
    kind = mon(regions.get("binzhou")).kind("medical")
    header = [c.header for c in kind.columns]
    row = [number("371621", 1), "张三", "2025/2/1", "300", "12000.5", ""]
    parsed = feeds.parse(kind, [header, row], AREAS, TODAY)
    assert not parsed.problems
    values = parsed.rows[0][1]
    assert values["out_of_pocket_fen"] == 1_200_050 and values["total_fen"] == 30_000
    assert values["discharged_on"] == "2025-02-01" and values["area"] is None


def test_header_problems_are_row_one(regions: Regions) -> None:
    kind = mon(regions.get("binzhou")).kind("medical")
    header = [c.header for c in kind.columns if c.code != "total_fen"] + ["备注", "姓名"]
    problems = feeds.parse(kind, [header], AREAS, TODAY).problems
    texts = [str(p) for p in problems]
    assert all(p.row == 1 for p in problems)
    assert any("「总费用」列" in t and "缺少此列" in t for t in texts)
    assert any("「备注」列" in t for t in texts) and any("表头重复" in t for t in texts)
    assert [str(p) for p in feeds.parse(kind, [], AREAS, TODAY).problems] == [
        "第1行：文件为空或缺少表头行"
    ]


def test_utf8_gbk_and_xlsx_read_alike(regions: Regions) -> None:
    region = regions.get("binzhou")
    rows = [
        {
            "id_number": number("371621", 5),
            "name": "王五",
            "discharged_on": "2025-02-10",
            "total_fen": "30000",
            "out_of_pocket_fen": "12000.5",
            "area": "371621",
        }
    ]
    utf8 = feeds.read_table("a.csv", csv_bytes(region, "medical", rows, "utf-8-sig"))
    gbk = feeds.read_table("a.csv", csv_bytes(region, "medical", rows, "gbk"))
    xrows = [
        {
            **rows[0],
            "discharged_on": date(2025, 2, 10),
            "total_fen": 30000,
            "out_of_pocket_fen": 12000.5,
        }
    ]
    xlsx = feeds.read_table("a.xlsx", xlsx_bytes(region, "medical", xrows))
    assert utf8 == gbk
    kind = mon(region).kind("medical")
    a = feeds.parse(kind, utf8, AREAS, TODAY)
    b = feeds.parse(kind, xlsx, AREAS, TODAY)
    assert not a.problems and not b.problems and a.rows == b.rows


def test_a_broken_xlsx_is_one_clean_problem() -> None:
    try:
        feeds.read_table("x.xlsx", b"PK\x03\x04 not really a zip")
    except feeds.FeedRefused as exc:
        assert exc.problems[0].row == 1 and "XLSX" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a broken XLSX was read")
